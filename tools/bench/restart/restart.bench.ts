/**
 * Restart with a long history: the config distributor (a process of its own, as deployed) is
 * restarted over an event stream of N events, and a change is made at once — a new resource with a
 * domain of its own. Two times are measured from starting the process: until the change's signed
 * site snapshot is published on the site's config subject (what a gateway's subscription receives),
 * and until a real gateway (dist/apps/gateway, as `npm start` runs it, serving the site since before
 * the restart) answers for the new domain on its HTTP port — the gateway's convergence. Each N runs
 * twice: with no stored fold state (a full replay, as before issue 13) and with the state the
 * previous run stored (resume).
 *
 *   npm run bench:restart [-- --sizes 10000,100000,1000000 --json]
 *
 * Uses its own nats-server (free port), its own Postgres schema and a gateway data dir of its own;
 * removes them afterwards. `--no-gateway` measures the published snapshot only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { connect, JSONCodec, type JetStreamClient, type NatsConnection } from 'nats';
import { aggregateSubject, siteConfigSubject } from '@rustronaut/contracts';
import { ensureEventStream } from '@rustronaut/eventstore';
import { migrateService } from '@rustronaut/migrations';
import { TestNatsServer, freePort, testDatabaseUrl, uniqueName } from '@rustronaut/testing';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string' },
    /** The old name of --sizes. */
    events: { type: 'string' },
    json: { type: 'boolean', default: false },
    gateway: { type: 'boolean', default: true },
    'no-gateway': { type: 'boolean', default: false },
    /** Give up on one restart after this many seconds (the run stays bounded). */
    'timeout-s': { type: 'string', default: '600' },
  },
});
const SIZES = String(args.sizes ?? args.events ?? '10000,100000,1000000')
  .split(',')
  .map(Number);
const WITH_GATEWAY = args.gateway && !args['no-gateway'];
const TIMEOUT_MS = Number(args['timeout-s']) * 1000;
const log = (line: string) => (args.json ? process.stderr : process.stdout).write(`${line}\n`);
const DISTRIBUTOR = join(__dirname, '../../../dist/apps/config-distributor/src/main.js');
const GATEWAY = join(__dirname, '../../../dist/apps/gateway/src/main.js');
const ORG = 'org_bench';
const SITE = 'st_bench';
const RESOURCE = 'res_bench';

function envelope(type: string, aggregateType: string, aggregateId: string, data: object) {
  return {
    id: randomUUID(),
    type,
    version: 1,
    aggregateType,
    aggregateId,
    orgId: ORG,
    occurredAt: new Date().toISOString(),
    actor: { kind: 'system', id: 'bench' },
    commandId: randomUUID(),
    trace: {},
    data,
  };
}

async function append(js: JetStreamClient, type: string, aggregateType: string, id: string, data: object) {
  const body = JSON.stringify({ events: [envelope(type, aggregateType, id, data)] });
  return (await js.publish(aggregateSubject(aggregateType, id), body)).seq;
}

/** Grows the history to `total` events: resource renames, and a login in every ten (state grows too). */
async function grow(js: JetStreamClient, from: number, total: number): Promise<void> {
  const expiresAt = new Date(Date.now() + 30 * 86400_000).toISOString();
  const started = performance.now();
  for (let i = from; i < total; i += 1000) {
    const batch: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(total, i + 1000); j++) {
      batch.push(
        j % 10 === 0
          ? append(js, 'SessionStarted', 'session', `ses_${j}`, {
              userId: 'usr_bench',
              refreshHash: 'h',
              expiresAt,
              ip: null,
              userAgent: null,
            })
          : append(js, 'ResourceUpdated', 'resource', RESOURCE, { name: `app ${j}` }),
      );
    }
    await Promise.all(batch);
  }
  log(
    `  history: ${total} events (appended ${total - from} in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
}

/** What the gateway answers for a host on its HTTP port (0: no answer). */
function answerFor(port: number, host: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.setTimeout(2_000, () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

interface Gateway {
  child: ChildProcess;
  httpPort: number;
  dataDir: string;
  output: string;
  /** What it answers for a domain no resource has. */
  unknownHost: number;
}

/** Polls until the gateway answers for `host` as for a resource it serves; the time it did. */
async function untilServed(gateway: Gateway, host: string, deadline: number): Promise<number> {
  for (;;) {
    const status = await answerFor(gateway.httpPort, host);
    if (status !== 0 && status !== gateway.unknownHost) return performance.now();
    if (gateway.child.exitCode !== null) throw new Error(`the gateway exited:\n${gateway.output}`);
    if (performance.now() > deadline)
      throw new Error(`the gateway did not serve ${host} in time (answers ${status}):\n${gateway.output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A gateway serving the bench's site, as `npm start` runs one: it trusts the distributor's config
 * keys (asked over NATS, as the console's API does for a gateway's first start, and written where
 * the gateway keeps them) and is up once it serves the site's first resource.
 */
async function startGateway(nc: NatsConnection, natsUrl: string): Promise<Gateway> {
  const codec = JSONCodec<{
    response?: { ok: boolean; data?: { keys: { id: string; publicKey: string }[] } };
  }>();
  const ask = JSONCodec().encode({ pattern: 'distributor.keys', data: {}, id: '1' });
  let reply: ReturnType<typeof codec.decode> | undefined;
  for (let tries = 0; !reply; tries++) {
    try {
      reply = codec.decode((await nc.request('distributor.keys', ask, { timeout: 5_000 })).data);
    } catch (error) {
      if (tries >= 60) throw error; // no responders yet: its RPC starts after its first snapshot
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const keys = reply.response?.data?.keys;
  if (!keys?.length) throw new Error(`the distributor gave no config keys: ${JSON.stringify(reply)}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'rn-bench-restart-gw-'));
  writeFileSync(
    join(dataDir, 'config-keys.json'),
    JSON.stringify(Object.fromEntries(keys.map((k) => [k.id, k.publicKey]))),
    { mode: 0o600 },
  );
  const httpPort = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--enable-source-maps',
      GATEWAY,
      '--sites',
      SITE,
      '--nats',
      natsUrl,
      '--console',
      'http://127.0.0.1:9', // not asked: the keys are in the data dir
      '--data-dir',
      dataDir,
      '--management-port',
      String(await freePort()),
      '--http-port',
      String(httpPort),
      '--https-port',
      String(await freePort()),
      '--gateway-id',
      'gw_bench_restart',
      '--no-wireguard',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RN_GATEWAY_HTTP_HOST: '127.0.0.1', RN_LOG_LEVEL: 'warn' },
    },
  );
  const gateway: Gateway = { child, httpPort, dataDir, output: '', unknownHost: 0 };
  const keep = (c: Buffer) => (gateway.output = (gateway.output + c.toString()).slice(-8000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const deadline = performance.now() + 60_000;
  while ((gateway.unknownHost = await answerFor(httpPort, 'nobody.bench.test')) === 0) {
    if (child.exitCode !== null || performance.now() > deadline)
      throw new Error(`the gateway did not start:\n${gateway.output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await untilServed(gateway, 'app.bench.test', deadline);
  return gateway;
}

/**
 * Starts the distributor and adds a resource at once; times until the change's snapshot is
 * published and, with a gateway, until the gateway answers for the new resource's domain.
 */
async function restart(
  nc: NatsConnection,
  env: NodeJS.ProcessEnv,
  gateway: Gateway | undefined,
  n: number,
): Promise<{ ms: number; gatewayMs?: number; child: ChildProcess }> {
  const js = nc.jetstream();
  const published = nc.subscribe(siteConfigSubject(SITE));
  const started = performance.now();
  const deadline = started + TIMEOUT_MS;
  const child = spawn(process.execPath, [DISTRIBUTOR], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
  child.stderr?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
  const domain = `new${n}.bench.test`;
  const changeSeq = await append(js, 'ResourceCreated', 'resource', `res_bench_new_${n}`, {
    siteId: SITE,
    name: `new ${n}`,
    protocol: 'http',
    domains: [domain],
  });
  const served = gateway ? untilServed(gateway, domain, deadline) : undefined;
  served?.catch(() => undefined); // awaited below, after the snapshot
  const timer = setTimeout(() => published.unsubscribe(), TIMEOUT_MS);
  for await (const message of published) {
    if (message.data.length === 0) continue;
    const signed = JSON.parse(message.string()) as { payload: string };
    const { revision } = JSON.parse(Buffer.from(signed.payload, 'base64').toString()) as {
      revision?: number;
    };
    if ((revision ?? 0) >= changeSeq) {
      clearTimeout(timer);
      published.unsubscribe();
      const ms = performance.now() - started;
      return { ms, ...(served ? { gatewayMs: (await served) - started } : {}), child };
    }
  }
  child.kill('SIGKILL');
  throw new Error(`no snapshot with revision ${changeSeq} within ${TIMEOUT_MS / 1000} s:\n${output}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  await exited;
  clearTimeout(timer);
}

async function main(): Promise<void> {
  const nats = await TestNatsServer.start();
  const databaseUrl = await testDatabaseUrl();
  const prefix = uniqueName('bench_restart').toLowerCase();
  const schema = `${prefix}_distributor`;
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  const nc = await connect({ servers: nats.url });
  const results: {
    events: number;
    mode: string;
    ms: number;
    gatewayMs?: number;
    storedStateBytes: number;
  }[] = [];
  let gateway: Gateway | undefined;
  try {
    await migrateService(databaseUrl, 'distributor', schema);
    await ensureEventStream(await nc.jetstreamManager());
    const js = nc.jetstream();
    await append(js, 'SiteCreated', 'site', SITE, {
      name: 'Bench',
      subnet: '10.99.0.0/24',
      region: 'eu',
      connectionType: 'local',
    });
    await append(js, 'ResourceCreated', 'resource', RESOURCE, {
      siteId: SITE,
      name: 'app',
      protocol: 'http',
      domains: ['app.bench.test'],
    });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      RN_NATS_URL: nats.url,
      RN_DATABASE_URL: databaseUrl,
      RN_SCHEMA_PREFIX: prefix,
      RN_REDIS_PREFIX: prefix,
      RN_API_PORT: String(await freePort()),
      RN_LOG_LEVEL: 'warn',
    };
    let have = 2;
    let n = 0;
    if (WITH_GATEWAY) {
      // The gateway comes up on the site's first snapshot, then serves through every restart.
      const first = await restart(nc, env, undefined, n++);
      gateway = await startGateway(nc, nats.url);
      await stop(first.child);
      have += 1;
      log(`  gateway up (answers ${gateway.unknownHost} for a domain no resource has)`);
    }
    for (const size of SIZES) {
      await grow(js, have, size);
      have = size;
      for (const mode of ['full replay (no stored state)', 'resume (stored state)']) {
        if (mode.startsWith('full')) await pg.query(`DELETE FROM "${schema}".fold_snapshots`);
        const { ms, gatewayMs, child } = await restart(nc, env, gateway, n++);
        await stop(child); // stores the fold state on the way out
        const row = await pg.query(`SELECT length(state) AS bytes FROM "${schema}".fold_snapshots`);
        const bytes = Number(row.rows[0]?.bytes ?? 0);
        results.push({
          events: size,
          mode,
          ms: Math.round(ms),
          ...(gatewayMs !== undefined ? { gatewayMs: Math.round(gatewayMs) } : {}),
          storedStateBytes: bytes,
        });
        log(
          `  ${size} events, ${mode}: ${Math.round(ms)} ms to the change's snapshot` +
            (gatewayMs !== undefined ? `, ${Math.round(gatewayMs)} ms to the gateway serving it` : '') +
            ` (stored state ${bytes} B)`,
        );
        have += 1;
      }
    }
  } finally {
    if (gateway) {
      const exited = new Promise((resolve) => gateway?.child.once('exit', resolve));
      if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
      await exited;
      rmSync(gateway.dataDir, { recursive: true, force: true });
    }
    await nc.close();
    await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pg.end();
    await nats.dispose();
  }
  if (args.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else {
    const cell = (r: (typeof results)[number] | undefined) =>
      `${r?.ms ?? '—'} ms${r?.gatewayMs !== undefined ? ` / ${r.gatewayMs} ms` : ''}`.padEnd(22);
    log(`\nevents      full replay${' '.repeat(11)}resume`);
    if (WITH_GATEWAY) log(`(snapshot published / gateway serving the change, from the restart)`);
    for (const size of SIZES) {
      const [full, resume] = results.filter((r) => r.events === size);
      log(`${String(size).padEnd(11)} ${cell(full)} ${cell(resume)}`);
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
