/**
 * Restart with a long history: the config distributor (a process of its own, as deployed) is
 * restarted over an event stream of N events, and a change is made at once; measured is the time
 * from starting the process until the change's signed site snapshot is published on the site's
 * config subject — what a gateway's subscription receives, so "serving current config" and the
 * gateway's convergence in one number. Each N runs twice: with no stored fold state (a full
 * replay, as before issue 13) and with the state the previous run stored (resume).
 *
 *   npm run bench:restart [-- --events 10000,100000,1000000 --json]
 *
 * Uses its own nats-server (free port) and its own Postgres schema; removes both afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { connect, type JetStreamClient, type NatsConnection } from 'nats';
import { aggregateSubject, siteConfigSubject } from '@rustronaut/contracts';
import { ensureEventStream } from '@rustronaut/eventstore';
import { migrateService } from '@rustronaut/migrations';
import { TestNatsServer, freePort, testDatabaseUrl, uniqueName } from '@rustronaut/testing';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '10000,100000,1000000' },
    json: { type: 'boolean', default: false },
    /** Give up on one restart after this many seconds (the run stays bounded). */
    'timeout-s': { type: 'string', default: '600' },
  },
});
const SIZES = String(args.events).split(',').map(Number);
const TIMEOUT_MS = Number(args['timeout-s']) * 1000;
const log = (line: string) => (args.json ? process.stderr : process.stdout).write(`${line}\n`);
const DISTRIBUTOR = join(__dirname, '../../../dist/apps/config-distributor/src/main.js');
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

/** Starts the distributor, makes a change, and times until the change's snapshot is published. */
async function restart(
  nc: NatsConnection,
  env: NodeJS.ProcessEnv,
): Promise<{ ms: number; child: ChildProcess }> {
  const js = nc.jetstream();
  const published = nc.subscribe(siteConfigSubject(SITE));
  const started = performance.now();
  const child = spawn(process.execPath, [DISTRIBUTOR], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
  child.stderr?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
  const changeSeq = await append(js, 'ResourceUpdated', 'resource', RESOURCE, {
    name: `restart ${Date.now()}`,
  });
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
      return { ms: performance.now() - started, child };
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
  const results: { events: number; mode: string; ms: number; storedStateBytes: number }[] = [];
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
    for (const size of SIZES) {
      await grow(js, have, size);
      have = size;
      for (const mode of ['full replay (no stored state)', 'resume (stored state)']) {
        if (mode.startsWith('full')) await pg.query(`DELETE FROM "${schema}".fold_snapshots`);
        const { ms, child } = await restart(nc, env);
        await stop(child); // stores the fold state on the way out
        const row = await pg.query(`SELECT length(state) AS bytes FROM "${schema}".fold_snapshots`);
        const bytes = Number(row.rows[0]?.bytes ?? 0);
        results.push({ events: size, mode, ms: Math.round(ms), storedStateBytes: bytes });
        log(
          `  ${size} events, ${mode}: ${Math.round(ms)} ms to the change's snapshot (stored state ${bytes} B)`,
        );
        have += 1;
      }
    }
  } finally {
    await nc.close();
    await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pg.end();
    await nats.dispose();
  }
  if (args.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else {
    log('\nevents      full replay   resume');
    for (const size of SIZES) {
      const [full, resume] = results.filter((r) => r.events === size);
      log(`${String(size).padEnd(11)} ${`${full?.ms ?? '—'} ms`.padEnd(13)} ${resume?.ms ?? '—'} ms`);
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
