import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * tools/provision.sh on a machine that lacks the tests' system packages: a PATH holding only the
 * shell tools the script itself uses (and no sbin directories), as a fresh machine would.
 */
const SCRIPT = join(__dirname, '../provision.sh');
const SHELL_TOOLS = ['bash', 'id', 'sed', 'grep', 'ls', 'sort', 'tail', 'sleep', 'mkdir', 'cat'];
/** The Debian packages the script proves by a command (postgresql it proves by a path). */
const COMMAND_PACKAGES = [
  'nats-server',
  'redis-server',
  'chromium',
  'pebble',
  'iproute2',
  'bsdutils',
  'wireguard-go',
  'wireguard-tools',
  'nftables',
  'iperf3',
];

function which(command: string): string {
  const found = spawnSync('bash', ['-c', `command -v ${command}`], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error(`${command} is needed to run this test`);
  return found;
}

function provision(bin: string, ...args: string[]) {
  const run = spawnSync(join(bin, 'bash'), [SCRIPT, ...args], {
    env: { PATH: bin, PROVISION_SBIN: '' },
    encoding: 'utf8',
  });
  return { code: run.status, out: run.stdout + run.stderr };
}

/** The packages the script reports missing. */
const missingIn = (out: string) => /missing packages: (.*)/.exec(out)?.[1]?.split(' ') ?? [];

describe('tools/provision.sh', () => {
  let bin: string;
  beforeEach(() => {
    bin = mkdtempSync(join(tmpdir(), 'rn-provision-'));
    for (const tool of SHELL_TOOLS) symlinkSync(which(tool), join(bin, tool));
  });
  afterEach(() => rmSync(bin, { recursive: true, force: true }));

  it('names every missing package and the exact apt-get command, changing nothing (--dry-run, --check)', () => {
    const dry = provision(bin, '--dry-run');
    expect(dry.code).toBe(0);
    expect(missingIn(dry.out)).toEqual(expect.arrayContaining(COMMAND_PACKAGES));
    expect(dry.out).toContain(
      'would run: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nats-server',
    );
    const check = provision(bin, '--check');
    expect(check.code).toBe(1);
    expect(missingIn(check.out)).toEqual(missingIn(dry.out));
  });

  it('finds a package by its command, and lists only what is still missing', () => {
    for (const command of ['chromium', 'pebble', 'wg']) {
      writeFileSync(join(bin, command), '#!/bin/sh\n');
      chmodSync(join(bin, command), 0o755);
    }
    const missing = missingIn(provision(bin, '--dry-run').out);
    expect(missing).not.toContain('chromium');
    expect(missing).not.toContain('pebble');
    expect(missing).not.toContain('wireguard-tools');
    expect(missing).toEqual(expect.arrayContaining(['nats-server', 'iproute2', 'bsdutils', 'wireguard-go']));
  });

  it('refuses an unknown option, and is skipped with RN_PROVISION=skip', () => {
    expect(provision(bin, '--install-everything').code).toBe(2);
    const skipped = spawnSync(join(bin, 'bash'), [SCRIPT], {
      env: { PATH: bin, PROVISION_SBIN: '', RN_PROVISION: 'skip' },
      encoding: 'utf8',
    });
    expect(skipped.status).toBe(0);
    expect(skipped.stdout).toContain('skipped');
  });
});
