/**
 * Memory of `npm start`: the resident memory (RSS, as the kernel counts it) of every process of the
 * platform — launcher, console services, local gateway — at rest after start-up and again after a
 * load (API reads and writes, HTTP through the gateway), for both ways of running the console:
 * every service in one process (RN_CONSOLE_PROCESSES=one, the default) and a process per service.
 *
 *   npm run bench:memory [-- --modes one,per-service --settle 10 --load 5 --gateway-workers N --json]
 *
 * Runs the built dist/ (npm run bench:memory builds first), each platform on a NATS server of its
 * own, its own database (dropped after), ports and data dir. Targets: the whole platform at rest
 * ≤ 400 MB, the gateway at rest ≤ 80 MB per process (its primary and each worker are shown apart).
 */
import { readFileSync } from 'node:fs';
import { createServer, get } from 'node:http';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { ADMIN, PlatformProcess, call, login, type ProcessMemory } from '@rustronaut/console-testing';
import { TestNatsServer } from '@rustronaut/testing';

const { values: args } = parseArgs({
  options: {
    modes: { type: 'string', default: 'one,per-service' },
    settle: { type: 'string', default: '10' },
    load: { type: 'string', default: '5' },
    /** RN_GATEWAY_WORKERS for the gateway (its own default when not given). */
    'gateway-workers': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const SETTLE_S = Number(args.settle);
const LOAD_S = Number(args.load);
const log = (line: string) => (args.json ? process.stderr : process.stdout).write(`${line}\n`);
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Snapshot {
  totalMb: number;
  byRole: Record<string, number>;
  /** Each process of the gateway: the primary (or the one process) first, then its workers. */
  gatewayProcessesMb: number[];
}

const parentOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
};

function snapshot(processes: ProcessMemory[]): Snapshot {
  const byRole: Record<string, number> = {};
  for (const p of processes) byRole[p.role] = mb((byRole[p.role] ?? 0) * 1024 * 1024 + p.rssBytes);
  const gateway = processes.filter((p) => p.role === 'gateway');
  const gatewayPids = new Set(gateway.map((p) => p.pid));
  const isWorker = (p: ProcessMemory) => {
    try {
      return gatewayPids.has(parentOf(p.pid));
    } catch {
      return false; // gone meanwhile
    }
  };
  const gatewayProcessesMb = [...gateway.filter((p) => !isWorker(p)), ...gateway.filter(isWorker)].map((p) =>
    mb(p.rssBytes),
  );
  return { totalMb: mb(processes.reduce((sum, p) => sum + p.rssBytes, 0)), byRole, gatewayProcessesMb };
}

/** `primary 73.2, workers 74.7 76.1`, or the one process's figure. */
const gatewayLine = (s: Snapshot) =>
  s.gatewayProcessesMb.length > 1
    ? `primary ${s.gatewayProcessesMb[0]}, workers ${s.gatewayProcessesMb.slice(1).join(' ')}`
    : String(s.gatewayProcessesMb[0] ?? '-');

async function blast(
  name: string,
  options: autocannon.Options,
): Promise<{ requests: number; p99_ms: number }> {
  const result = await autocannon({ connections: 8, duration: LOAD_S, ...options });
  log(
    `    ${name}: ${result.requests.total} requests, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}`,
  );
  return { requests: result.requests.total, p99_ms: result.latency.p99 };
}

async function measure(mode: string) {
  log(`\n${mode}: starting the platform…`);
  const nats = await TestNatsServer.start();
  const upstream = createServer((_req, res) => res.end('ok')).listen(0, '127.0.0.1');
  await new Promise((r) => upstream.once('listening', r));
  const upstreamPort = (upstream.address() as { port: number }).port;
  const started = Date.now();
  const platform = await PlatformProcess.start({
    natsUrl: nats.url,
    env: {
      RN_CONSOLE_PROCESSES: mode,
      ...(args['gateway-workers'] ? { RN_GATEWAY_WORKERS: args['gateway-workers'] } : {}),
      RN_LOG_LEVEL: 'warn',
      RN_LOGIN_LIMIT_PER_IP: '1000000',
      RN_LOGIN_LIMIT_PER_ACCOUNT: '1000000',
    },
  });
  try {
    const startupS = (Date.now() - started) / 1000;
    log(`  up in ${startupS.toFixed(1)} s; settling ${SETTLE_S} s`);
    await pause(SETTLE_S * 1000);
    const atRest = snapshot(platform.processes());
    log(`  at rest: ${atRest.totalMb} MB ${JSON.stringify(atRest.byRole)}; gateway ${gatewayLine(atRest)}`);

    const token = (await login(platform.apiUrl, ADMIN.email, ADMIN.password)).access;
    const site = (await call(platform.apiUrl, 'GET', '/sites', { token })).body.items[0] as { id: string };
    const resource = await call(platform.apiUrl, 'POST', '/resources', {
      token,
      body: {
        site_id: site.id,
        name: 'bench',
        protocol: 'http',
        domains: ['bench.localhost'],
        auth_required: false,
        targets: [{ address: `127.0.0.1:${upstreamPort}`, protocol: 'http' }],
      },
    });
    if (resource.status !== 201)
      throw new Error(`resource: ${resource.status} ${JSON.stringify(resource.body)}`);
    const gatewayUrl = `http://127.0.0.1:${platform.gateway.httpPort}/`;
    for (let i = 0; ; i++) {
      const status = await statusOf(gatewayUrl, 'bench.localhost');
      if (status === 200) break;
      if (i > 200) throw new Error(`the gateway never served the bench resource (last ${status})`);
      await pause(100);
    }
    log(`  load: ${LOAD_S} s each`);
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    let n = 0;
    const load = {
      reads: await blast('API reads (GET /sites)', { url: `${platform.apiUrl}/api/v1/sites`, headers: auth }),
      writes: await blast('API writes (POST /groups)', {
        url: `${platform.apiUrl}/api/v1/groups`,
        method: 'POST',
        headers: auth,
        requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ name: `g${mode}${n++}` }) }) }],
      }),
      gateway: await blast('through the gateway', {
        url: gatewayUrl,
        headers: { host: 'bench.localhost' },
        connections: 16,
      }),
    };
    await pause(5_000);
    const afterLoad = snapshot(platform.processes());
    log(
      `  after load: ${afterLoad.totalMb} MB ${JSON.stringify(afterLoad.byRole)}; gateway ${gatewayLine(afterLoad)}`,
    );
    return { mode, startupS, atRest, afterLoad, load };
  } finally {
    await platform.stop();
    upstream.close();
    await nats.dispose();
  }
}

/** The status of a GET with this Host (fetch cannot set Host). */
function statusOf(url: string, host: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    get(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode);
    }).once('error', () => resolve(undefined));
  });
}

async function main(): Promise<void> {
  const results = [];
  for (const mode of args.modes.split(',')) results.push(await measure(mode));
  if (args.json) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return;
  }
  log('\nRSS (MB)                      at rest   after load');
  for (const r of results) {
    log(
      `${r.mode.padEnd(12)} whole platform   ${String(r.atRest.totalMb).padStart(7)}   ${String(r.afterLoad.totalMb).padStart(10)}`,
    );
    for (const role of Object.keys(r.atRest.byRole))
      log(
        `${''.padEnd(12)}   ${role.padEnd(18)}${String(r.atRest.byRole[role]).padStart(7)}   ${String(r.afterLoad.byRole[role] ?? '-').padStart(10)}`,
      );
  }
  for (const r of results)
    log(
      `${r.mode.padEnd(12)} gateway's processes at rest: ${gatewayLine(r.atRest)}; after load: ${gatewayLine(r.afterLoad)}`,
    );
  log('targets: whole platform at rest ≤ 400 MB; gateway at rest ≤ 80 MB per process');
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
