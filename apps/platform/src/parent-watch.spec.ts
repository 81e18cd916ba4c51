import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PARENT_WATCH = join(__dirname, 'parent-watch.cjs');

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return check();
}

/** Orphans started by a test: one still running afterwards (a failed test) is ended. */
const orphans: number[] = [];
afterEach(() => {
  for (const pid of orphans.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

/**
 * A parent that starts a child with parent-watch preloaded (naming itself in RN_PARENT_PID, as the
 * supervisor does) and prints its pid; the parent is then killed with SIGKILL (nothing of it runs
 * any more), as a launcher killed hard would be.
 */
async function orphan(childScript: string, env: NodeJS.ProcessEnv = {}) {
  const parentScript = `
    const { spawn } = require('node:child_process');
    const child = spawn(process.execPath, ['--require', ${JSON.stringify(PARENT_WATCH)}, '-e', ${JSON.stringify(childScript)}], {
      stdio: 'ignore',
      env: { ...process.env, RN_PARENT_PID: String(process.pid) },
    });
    console.log(child.pid);
    setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ['-e', parentScript], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const childPid = await new Promise<number>((resolve) =>
    parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
  );
  parent.kill('SIGKILL'); // at once: on a loaded machine, perhaps before the child has even started
  orphans.push(childPid);
  return childPid;
}

describe('parent-watch (preloaded into every supervised process)', () => {
  it('stops a process whose parent was killed with SIGKILL, through its own SIGTERM handler', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'rn-parent-watch-')), 'stopped');
    const child = await orphan(
      `process.on('SIGTERM', () => { require('fs').writeFileSync(${JSON.stringify(marker)}, 'graceful'); process.exit(0); });
       setInterval(() => {}, 1000);`,
    );
    expect(await until(() => !alive(child), 5_000)).toBe(true);
    expect(existsSync(marker) && readFileSync(marker, 'utf8')).toBe('graceful');
  });

  it('ends one whose graceful stop does not finish within the grace period', async () => {
    const child = await orphan(`process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);`, {
      RN_ORPHAN_GRACE_MS: '1000',
    });
    await new Promise((r) => setTimeout(r, 700));
    expect(alive(child)).toBe(true); // asked to stop, still in its grace period
    expect(await until(() => !alive(child), 5_000)).toBe(true);
  });

  it('ends one whose main thread never comes back (stuck in a futex wait) once asked to stop', async () => {
    // As pino's flush at exit retried a write to the gone launcher: no timer, no signal handler runs.
    const child = await orphan(
      `process.on('SIGTERM', () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));
       setInterval(() => {}, 1000);`,
      { RN_ORPHAN_GRACE_MS: '1000' },
    );
    expect(await until(() => !alive(child), 8_000)).toBe(true);
  });

  it('leaves a process alone while its parent lives, and lets it end by itself', async () => {
    const done = spawn(process.execPath, ['--require', PARENT_WATCH, '-e', 'setTimeout(() => {}, 1200)']);
    const started = Date.now();
    const code = await new Promise((r) => done.once('exit', r));
    expect(code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000); // not stopped early, not kept alive
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
