/**
 * Event store micro-benchmark against the machine's NATS and Postgres (RN_NATS_URL, RN_DATABASE_URL).
 *
 *   npm run bench:eventstore [-- --appends 5000 --latency 500 --json]
 *
 * Beside each of our figures it measures the same work done with bare JetStream (a publish with no
 * envelope, validation or concurrency check; a consumer with no Postgres), so the cost of what the
 * store adds is visible in the same run on the same machine.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { AckPolicy, DeliverPolicy, type NatsConnection } from 'nats';
import { z } from 'zod';
import { EventRegistry, defineEvent } from '@rustronaut/contracts';
import { EventStore, ProjectionRunner, ensureEventStream } from '@rustronaut/eventstore';
import { connectTestNats, createTestSchema, deleteStream, uniqueName } from '@rustronaut/testing';

const ThingHappened = defineEvent({
  type: 'ThingHappened',
  aggregate: 'thing',
  schema: z.object({ n: z.number().int(), note: z.string() }),
});
const registry = new EventRegistry([ThingHappened]);
const actor = { kind: 'system', id: 'bench' } as const;

const { values: args } = parseArgs({
  options: {
    appends: { type: 'string', default: '5000' },
    latency: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '1,16,64' },
    json: { type: 'boolean', default: false },
  },
});
const APPENDS = Number(args.appends);
const LATENCY_SAMPLES = Number(args.latency);
const CONCURRENCY = String(args.concurrency).split(',').map(Number);
const log = (line: string) => (args.json ? process.stderr : process.stdout).write(`${line}\n`);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function runWorkers(
  total: number,
  concurrency: number,
  one: (i: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await one(next++);
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const nc: NatsConnection = await connectTestNats('eventstore-bench');
  const stream = uniqueName('BENCH_EVENTS');
  const subjectRoot = `${stream.toLowerCase()}.events`;
  const db = await createTestSchema('bench');
  const results: Record<string, unknown>[] = [];
  try {
    const jsm = await nc.jetstreamManager();
    await ensureEventStream(jsm, { name: stream, subjectRoot });
    const store = new EventStore({ nc, registry, name: stream, subjectRoot });
    const js = nc.jetstream();
    const note = 'x'.repeat(200);
    let lastAppended = 0;

    log(`append throughput: ${APPENDS} appends per run, each to a new aggregate`);
    for (const concurrency of CONCURRENCY) {
      const run = randomUUID().slice(0, 8);
      const ours = await runWorkers(APPENDS, concurrency, async (i) => {
        const { version } = await store.append(
          { type: 'thing', id: `t${run}_${i}` },
          0,
          [{ type: 'ThingHappened', data: { n: i, note } }],
          {
            commandId: randomUUID(),
            orgId: 'bench',
            actor,
          },
        );
        lastAppended = Math.max(lastAppended, version);
      });
      const payload = Buffer.from(JSON.stringify({ n: 1, note }));
      const bare = await runWorkers(APPENDS, concurrency, async (i) => {
        await js.publish(`${subjectRoot}.bare.b${run}_${i}`, payload);
      });
      results.push({
        metric: 'append_events_per_s',
        concurrency,
        eventstore: Math.round(ours),
        bare_jetstream: Math.round(bare),
      });
      log(
        `  concurrency ${String(concurrency).padStart(3)}: eventstore ${Math.round(ours)} events/s, bare JetStream publish ${Math.round(bare)} msg/s (${((ours / bare) * 100).toFixed(0)}%)`,
      );
    }

    log(
      `append → projection latency: ${LATENCY_SAMPLES} appends, one at a time, each awaited until projected in Postgres`,
    );
    await db.dataSource.query('CREATE TABLE things (id text PRIMARY KEY, n int NOT NULL)');
    const runner = new ProjectionRunner({
      nc,
      dataSource: db.dataSource,
      schema: db.schema,
      registry,
      name: stream,
      subjectRoot,
      projection: {
        name: 'bench_things',
        aggregateType: 'thing',
        async apply(event, { manager }) {
          await manager.query('INSERT INTO things (id, n) VALUES ($1, $2)', [
            event.aggregateId,
            event.data.n,
          ]);
        },
        async reset(manager) {
          await manager.query('TRUNCATE things');
        },
      },
    });
    const catchUpStart = performance.now();
    await runner.start();
    await runner.waitFor(lastAppended, 600_000);
    const catchUpRate = (CONCURRENCY.length * APPENDS) / ((performance.now() - catchUpStart) / 1000);
    log(
      `  projection catch-up: ${Math.round(catchUpRate)} events/s over a backlog of ${CONCURRENCY.length * APPENDS}`,
    );

    const latencies: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const t0 = performance.now();
      const { version } = await store.append(
        { type: 'thing', id: `lat_${i}` },
        0,
        [{ type: 'ThingHappened', data: { n: i, note } }],
        {
          commandId: randomUUID(),
          orgId: 'bench',
          actor,
        },
      );
      await runner.waitFor(version);
      latencies.push(performance.now() - t0);
    }
    await runner.stop();

    // Bare: publish and receive on a plain durable consumer, no Postgres.
    await jsm.consumers.add(stream, {
      durable_name: 'bare',
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      filter_subject: `${subjectRoot}.barelat.>`,
    });
    const consumer = await js.consumers.get(stream, 'bare');
    const messages = await consumer.consume();
    const bareLatencies: number[] = [];
    const arrived = new Set<number>();
    const waiting = new Map<number, () => void>();
    void (async () => {
      for await (const m of messages) {
        m.ack();
        const resolve = waiting.get(m.seq);
        if (resolve) resolve();
        else arrived.add(m.seq);
      }
    })();
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const t0 = performance.now();
      const ack = await js.publish(`${subjectRoot}.barelat.x${i}`, Buffer.from('{}'));
      if (!arrived.delete(ack.seq)) await new Promise<void>((resolve) => waiting.set(ack.seq, resolve));
      bareLatencies.push(performance.now() - t0);
    }
    messages.stop();

    latencies.sort((a, b) => a - b);
    bareLatencies.sort((a, b) => a - b);
    const row = {
      metric: 'append_to_projection_ms',
      eventstore_p50: +percentile(latencies, 50).toFixed(2),
      eventstore_p99: +percentile(latencies, 99).toFixed(2),
      bare_jetstream_p50: +percentile(bareLatencies, 50).toFixed(2),
      bare_jetstream_p99: +percentile(bareLatencies, 99).toFixed(2),
      projection_catch_up_events_per_s: Math.round(catchUpRate),
    };
    results.push(row);
    log(
      `  eventstore append → Postgres read model: p50 ${row.eventstore_p50} ms, p99 ${row.eventstore_p99} ms`,
    );
    log(
      `  bare JetStream publish → consumer:       p50 ${row.bare_jetstream_p50} ms, p99 ${row.bare_jetstream_p99} ms`,
    );
    if (args.json) process.stdout.write(`${JSON.stringify({ results }, null, 2)}\n`);
  } finally {
    await deleteStream(nc, stream);
    await nc.drain();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
