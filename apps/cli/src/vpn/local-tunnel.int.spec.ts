import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const asRoot = process.getuid?.() === 0 ? it : it.skip;

/**
 * How `rustronaut connect` starts wireguard-go when the kernel has no WireGuard. bringUp runs in a
 * child process whose PATH holds only stand-ins: an `ip` that always fails (a host without the
 * module) and, in the second case, a `wireguard-go` that only writes down how it was started; so
 * nothing on this machine changes.
 */
describe('bringUp with wireguard-go (stand-ins on the PATH)', () => {
  let bin: string;

  beforeEach(() => {
    bin = mkdtempSync(join(tmpdir(), 'rn-local-tunnel-'));
    writeFileSync(join(bin, 'ip'), '#!/bin/sh\nexit 1\n');
    chmodSync(join(bin, 'ip'), 0o755);
    symlinkSync(execFileSync('sh', ['-c', 'command -v nohup']).toString().trim(), join(bin, 'nohup'));
  });

  /** bringUp in a child whose PATH is the stand-ins; what it threw (code, message, hint). */
  function bringUpWithStandIns(): Promise<{ code?: string; message?: string; hint?: string }> {
    const script = join(bin, 'bring-up.ts');
    writeFileSync(
      script,
      `import { generateKeyPair } from '@rustronaut/wireguard';
import { bringUp } from ${JSON.stringify(join(__dirname, 'local-tunnel'))};
const config = { interface: { privateKey: generateKeyPair().privateKey, addresses: ['10.99.0.2/32'] }, peers: [] };
bringUp('rntest0', config).then(
  () => console.log(JSON.stringify({ code: 'UP' })),
  (e) => console.log(JSON.stringify({ code: e.code, message: e.message, hint: e.hint })),
);
`,
    );
    return new Promise((resolve, reject) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', script],
        { env: { ...process.env, PATH: bin }, cwd: join(__dirname, '../../../..'), timeout: 30_000 },
        (error, out) => (error ? reject(error) : resolve(JSON.parse(out.trim().split('\n').pop()!))),
      ),
    );
  }

  asRoot(
    'says what to install when there is no wireguard-go',
    async () => {
      expect(await bringUpWithStandIns()).toEqual({
        code: 'CLI_NOT_SUPPORTED',
        message: 'this machine has no kernel WireGuard and no wireguard-go',
        hint: expect.stringContaining('apt-get install wireguard-go'),
      });
    },
    40_000,
  );

  asRoot(
    "starts wireguard-go in the caller's session (one CPU scheduling group with it), deaf to hang-ups",
    async () => {
      const seen = join(bin, 'seen');
      // It writes its session, its parent's session and its ignored signals, then "daemonises" (exits 0).
      writeFileSync(
        join(bin, 'wireguard-go'),
        `#!/bin/sh\nPATH=/usr/bin:/bin\necho "$(cut -d' ' -f6 /proc/$$/stat) $(cut -d' ' -f6 /proc/$PPID/stat) $(grep SigIgn /proc/$$/status | cut -f2)" > ${seen}\n`,
      );
      chmodSync(join(bin, 'wireguard-go'), 0o755);
      expect(await bringUpWithStandIns()).toMatchObject({ message: expect.stringMatching(/did not open/) });
      const [sid, parentSid, ignored] = readFileSync(seen, 'utf8').trim().split(' ');
      expect(sid).toBe(parentSid); // no session of its own (no setsid)
      expect(BigInt(`0x${ignored}`) & 1n).toBe(1n); // SIGHUP (signal 1) ignored
    },
    40_000,
  );
});
