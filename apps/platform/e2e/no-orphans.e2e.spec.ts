import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlatformProcess } from '@rustronaut/console-testing';
import { TestNatsServer, freePort } from '@rustronaut/testing';

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

const DIST = join(__dirname, '../../../dist/apps');

/**
 * A launcher as `npm start` is one on a first start: the console in its own process (here a stand-in
 * that answers the gateway's enrolment and its config keys) and the local gateway under the
 * platform's Supervisor (parent-watch preloaded, its output piped to the launcher), started with
 * --enroll. It prints the gateway's PID once the gateway serves.
 */
const LAUNCHER = `
  const http = require('node:http');
  const { Supervisor } = require(${JSON.stringify(join(DIST, 'platform/src/supervisor.js'))});
  const [dataDir, natsUrl] = process.argv.slice(1);
  const consoleApi = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/api/v1/gateways/enroll')
      return res.end(JSON.stringify({ gateway_id: 'gw_local', org_id: 'org_default', site_ids: ['site_local'],
        heartbeat_interval_s: 30, nats_jwt: 'unused: NATS does not answer' }));
    if (req.url === '/api/v1/config/keys') return res.end(JSON.stringify({ keys: [] }));
    res.statusCode = 404;
    res.end('{}');
  });
  consoleApi.listen(0, '127.0.0.1', () => {
    let pid;
    const supervisor = new Supervisor([{
      name: 'gateway',
      entry: ${JSON.stringify(join(DIST, 'gateway/src/main.js'))},
      args: ['--console', 'http://127.0.0.1:' + consoleApi.address().port, '--data-dir', dataDir,
        '--nats', natsUrl, '--enroll', 'a-one-time-token', '--no-wireguard'],
    }], {
      started: (name, started) => (pid = started),
      crashed: (name, code, signal) => console.error('gateway exited', code, signal),
      output: (name, line) => { if (line.includes('gateway started')) console.log(pid); },
    });
    supervisor.start();
  });`;

describe('a gateway whose launcher dies with its console', () => {
  let launcher: ChildProcess | undefined;
  let gateway: Known | undefined;
  let dataDir: string | undefined;

  afterEach(() => {
    if (gateway && stillRunning([gateway]).length) process.kill(gateway.pid, 'SIGKILL');
    launcher?.kill('SIGKILL');
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('stops by itself through its graceful stop, logging at info, in one process', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'rn-orphan-gateway-'));
    const [management, http, https, nats] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    let output = '';
    launcher = spawn(process.execPath, ['-e', LAUNCHER, dataDir, `nats://127.0.0.1:${nats}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        RN_GATEWAY_MANAGEMENT_PORT: String(management),
        RN_GATEWAY_HTTP_PORT: String(http),
        RN_GATEWAY_HTTPS_PORT: String(https),
        RN_GATEWAY_HTTP_HOST: '127.0.0.1',
        RN_GATEWAY_WORKERS: '1',
        RN_LOG_LEVEL: 'info',
        // Parent-watch's hard deadline far away: only the gateway's own stop ends it within the bound below.
        RN_ORPHAN_GRACE_MS: '120000',
      },
    });
    launcher.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const pid = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the gateway did not start:\n${output}`)), 60_000);
      launcher?.stdout?.once('data', (chunk: Buffer) => {
        clearTimeout(timer);
        resolve(Number(chunk.toString().trim()));
      });
    });
    gateway = { pid, role: 'gateway', startedAt: startTime(pid) ?? '?' };
    expect(stillRunning([gateway])).toHaveLength(1);

    launcher.kill('SIGKILL'); // the console goes with it
    expect(await leftAfter([gateway], 15_000)).toEqual([]);
  });
});
