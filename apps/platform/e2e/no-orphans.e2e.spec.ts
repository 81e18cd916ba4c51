import { readFileSync } from 'node:fs';
import { PlatformProcess } from '@rustronaut/console-testing';
import { TestNatsServer } from '@rustronaut/testing';

/**
 * `npm start` leaves nothing behind however its launcher ends: Ctrl-C sent to the launcher alone
 * (not its process group), or SIGKILL, which it cannot see. Every process below it (the console's
 * services, the local gateway and its data-plane workers) is gone afterwards, by PID.
 */
jest.setTimeout(300_000);

/** A process by PID and start time (field 22 of /proc/<pid>/stat), so a reused PID is not it. */
interface Known {
  pid: number;
  role: string;
  startedAt: string;
}

function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : fields[19]; // a zombie has ended
  } catch {
    return undefined;
  }
}

const stillRunning = (known: Known[]) => known.filter((p) => startTime(p.pid) === p.startedAt);

async function leftAfter(known: Known[], withinMs: number): Promise<Known[]> {
  const deadline = Date.now() + withinMs;
  while (stillRunning(known).length > 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 200));
  return stillRunning(known);
}

describe('npm start leaves no process behind', () => {
  let nats: TestNatsServer | undefined;
  let platform: PlatformProcess | undefined;
  let known: Known[] = [];

  afterEach(async () => {
    for (const p of stillRunning(known)) process.kill(p.pid, 'SIGKILL'); // a failed test leaves none either
    known = [];
    await platform?.stop();
    platform = undefined;
    await nats?.dispose();
  });

  const start = async (mode: 'one' | 'per-service') => {
    nats = await TestNatsServer.start();
    platform = await PlatformProcess.start({
      natsUrl: nats.url,
      env: { RN_CONSOLE_PROCESSES: mode, RN_GATEWAY_WORKERS: '2', RN_LOG_LEVEL: 'warn' },
    });
    known = platform.processes().map(({ pid, role }) => ({ pid, role, startedAt: startTime(pid) ?? '?' }));
    const roles = known.map((p) => p.role);
    // The launcher, the gateway's primary and its two workers, and in per-service mode each service.
    expect(roles.filter((r) => r === 'gateway')).toHaveLength(3);
    if (mode === 'per-service')
      expect(roles).toEqual(expect.arrayContaining(['identity', 'audit', 'policy', 'api']));
    return platform;
  };

  it('Ctrl-C to the launcher alone: it stops every process it started before it exits', async () => {
    const running = await start('one');
    process.kill(running.pid, 'SIGINT');
    await running.exited;
    expect(await leftAfter(known, 2_000)).toEqual([]);
  });

  it('SIGKILL to the launcher (console in one process): the gateway and its workers stop by themselves', async () => {
    const running = await start('one');
    process.kill(running.pid, 'SIGKILL');
    await running.exited;
    expect(await leftAfter(known, 30_000)).toEqual([]);
  });

  it('SIGKILL to the launcher (a process per service): every service and the gateway stop by themselves', async () => {
    const running = await start('per-service');
    process.kill(running.pid, 'SIGKILL');
    await running.exited;
    expect(await leftAfter(known, 30_000)).toEqual([]);
  });
});
