import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { NatsConnection } from 'nats';
import { loadPlatformConfig } from '@rustronaut/config';
import {
  connectTestNats,
  createTestSchema,
  deleteStream,
  testDatabaseUrl,
  uniqueName,
  type TestSchema,
} from '@rustronaut/testing';
import {
  ledgerRegistry,
  testActor,
  type LedgerDefinition,
  type LedgerEvent,
} from '../__fixtures__/ledger-events';
import { createLedgerTables, ledgerProjection } from '../__fixtures__/ledger-projection';
import { EventStore } from '../event-store';
import { ensureEventStream } from '../stream';
import { CheckpointStore } from './checkpoint-store';
import { ProjectionRunner } from './projection-runner';

describe('ProjectionRunner (real NATS and Postgres)', () => {
  let nc: NatsConnection;
  let db: TestSchema;
  let stream: string;
  let subjectRoot: string;
  let store: EventStore<LedgerDefinition>;
  let projectionName: string;
  const runners: ProjectionRunner<LedgerDefinition>[] = [];

  beforeAll(async () => {
    nc = await connectTestNats('projection-int');
  });
  afterAll(async () => {
    await nc.drain();
  });
  beforeEach(async () => {
    stream = uniqueName('TEST_EVENTS');
    subjectRoot = `${stream.toLowerCase()}.events`;
    projectionName = uniqueName('balances');
    await ensureEventStream(await nc.jetstreamManager(), { name: stream, subjectRoot });
    store = new EventStore({ nc, registry: ledgerRegistry, name: stream, subjectRoot });
    db = await createTestSchema('projection');
    await createLedgerTables(db.dataSource.manager);
  });
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
    await deleteStream(nc, stream);
    await db.drop();
  });

  function runner(
    hooks: Parameters<typeof ledgerProjection>[1] = {},
    eventTypes?: ReadonlySet<LedgerEvent['type']>,
  ): ProjectionRunner<LedgerDefinition> {
    const sut = new ProjectionRunner({
      nc,
      dataSource: db.dataSource,
      schema: db.schema,
      registry: ledgerRegistry,
      projection: { ...ledgerProjection(projectionName, hooks), eventTypes },
      name: stream,
      subjectRoot,
    });
    runners.push(sut);
    return sut;
  }

  /** `accounts` accounts, each opened and given `deposits` deposits of 1..n cents: one commit per event. */
  async function seed(accounts: number, deposits: number): Promise<number> {
    let last = 0;
    for (let a = 0; a < accounts; a++) {
      const ref = { type: 'account', id: `acc${a}` };
      const meta = () => ({ commandId: randomUUID(), orgId: 'org_test', actor: testActor });
      let { version } = await store.append(
        ref,
        0,
        [{ type: 'AccountOpened', data: { owner: `owner${a}` } }],
        meta(),
      );
      for (let d = 1; d <= deposits; d++) {
        ({ version } = await store.append(
          ref,
          version,
          [{ type: 'AmountDeposited', data: { cents: d } }],
          meta(),
        ));
      }
      last = version;
    }
    return last;
  }

  async function readModel() {
    const balances: unknown[] = await db.dataSource.query(
      'SELECT account_id, owner, cents::int FROM balances ORDER BY account_id',
    );
    const applied: { times: number; n: string }[] = await db.dataSource.query(
      'SELECT times, count(*) AS n FROM applied_events GROUP BY times ORDER BY times',
    );
    return { balances, applied: applied.map((r) => ({ times: r.times, n: Number(r.n) })) };
  }

  it('passes over commits with none of its eventTypes without a transaction, and still reaches them', async () => {
    const sut = runner({}, new Set(['AccountOpened']));
    await sut.start();
    const checkpoint = async () =>
      Number(
        (
          (await db.dataSource.query(`SELECT sequence FROM projection_checkpoints WHERE projection = $1`, [
            projectionName,
          ])) as { sequence: string }[]
        )[0]?.sequence ?? 0,
      );
    const last = await seed(1, 3); // opened (applied), then three deposits (passed over)
    await sut.waitFor(last); // read-your-writes holds for a commit it has nothing to do with
    expect(await readModel()).toEqual({
      balances: [{ account_id: 'acc0', owner: 'owner0', cents: 0 }],
      applied: [{ times: 1, n: 1 }],
    });
    expect(await checkpoint()).toBe(last - 3); // no transaction was spent on the deposits
    const { version } = await store.append(
      { type: 'account', id: 'acc9' },
      0,
      [{ type: 'AccountOpened', data: { owner: 'owner9' } }],
      { commandId: randomUUID(), orgId: 'org_test', actor: testActor },
    );
    await sut.waitFor(version);
    expect(await checkpoint()).toBe(version);
    expect((await readModel()).balances).toHaveLength(2);
  });

  it('claims a commit once: the checkpoint moves forward only, with what is applied in its transaction', async () => {
    const checkpoints = new CheckpointStore(db.dataSource, db.schema);
    await checkpoints.ensureTable();
    const claim = (sequence: number, fail = false) =>
      checkpoints
        .claimAndApply(projectionName, sequence, async (manager) => {
          await manager.query(`INSERT INTO balances (account_id, owner, cents) VALUES ($1, 'claims', 0)`, [
            `seq${sequence}`,
          ]);
          if (fail) throw new Error('apply failed');
        })
        .catch(() => 'rolled back');
    expect(await claim(5)).toBe(true); // no row yet: created at 5
    expect(await claim(5)).toBe(false); // a redelivery
    expect(await claim(3)).toBe(false); // behind
    expect(await claim(9, true)).toBe('rolled back');
    expect(await checkpoints.read(projectionName)).toBe(5);
    expect(await claim(9)).toBe(true);
    expect(await db.dataSource.transaction((m) => checkpoints.lock(m, projectionName))).toBe(9);
    // Applied once for each claim that held; the failed apply left nothing behind.
    const applied: { account_id: string }[] = await db.dataSource.query(
      `SELECT account_id FROM balances WHERE owner = 'claims' ORDER BY account_id`,
    );
    expect(applied.map((r) => r.account_id)).toEqual(['seq5', 'seq9']);
  });

  it('applies every event exactly once, in order, and rebuild() gives the same read model', async () => {
    const last = await seed(3, 4); // 15 events
    const order: number[] = [];
    const sut = runner({ beforeApply: (e) => e.type === 'AmountDeposited' && order.push(e.data.cents) });
    await sut.start();
    await sut.waitFor(last);
    const before = await readModel();
    expect(before.applied).toEqual([{ times: 1, n: 15 }]);
    expect(before.balances).toEqual([
      { account_id: 'acc0', owner: 'owner0', cents: 10 },
      { account_id: 'acc1', owner: 'owner1', cents: 10 },
      { account_id: 'acc2', owner: 'owner2', cents: 10 },
    ]);
    expect(order).toEqual([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]);

    await sut.rebuild();
    await sut.waitFor(last);
    expect(await readModel()).toEqual(before);
  });

  it('resumes after its consumer is stopped part-way, applying the rest exactly once', async () => {
    let seen = 0;
    const first = runner({ beforeApply: () => void seen++ });
    await first.start();
    const seeding = seed(4, 9); // 40 events, while the first runner follows them live
    while (seen < 12) await new Promise((r) => setTimeout(r, 2));
    await first.stop();
    const last = await seeding;
    const partial = await readModel();
    expect(partial.applied[0]?.n).toBeGreaterThanOrEqual(12);
    expect(partial.applied[0]?.n).toBeLessThan(40);

    const second = runner(); // catches up the rest from the checkpoint
    await second.start();
    await second.waitFor(last);
    expect((await readModel()).applied).toEqual([{ times: 1, n: 40 }]);
  });

  it('catches up to the last commit its filter takes, then leaves only its durable consumer', async () => {
    const last = await seed(2, 4); // 10 events
    // Commits of another aggregate type after them: the backlog ends before the stream does.
    const js = nc.jetstream();
    for (let i = 0; i < 3; i++) await js.publish(`${subjectRoot}.other.o${i}`, '{}');
    const sut = runner();
    await sut.start(); // caught up before it resolves
    expect(sut.position).toBe(last);
    expect((await readModel()).applied).toEqual([{ times: 1, n: 10 }]);
    const consumers: string[] = [];
    for await (const c of (await nc.jetstreamManager()).consumers.list(stream)) consumers.push(c.name);
    expect(consumers).toEqual([projectionName]);
  });

  async function childEnv(stopAt: number): Promise<NodeJS.ProcessEnv> {
    return {
      ...process.env,
      RN_TEST_NATS_URL: loadPlatformConfig().natsServers.join(','),
      RN_TEST_DATABASE_URL: await testDatabaseUrl(),
      RN_TEST_SCHEMA: db.schema,
      RN_TEST_PROJECTION: projectionName,
      RN_TEST_STREAM: stream,
      RN_TEST_SUBJECT_ROOT: subjectRoot,
      RN_TEST_STOP_AT: String(stopAt),
      RN_TEST_ACK_WAIT_MS: '1000', // how soon the commit the dead process held is handed out again
    };
  }

  async function expectAllFortyAppliedOnce(): Promise<void> {
    const after = await readModel();
    expect(after.applied).toEqual([{ times: 1, n: 40 }]);
    expect(after.balances).toHaveLength(5);
    expect(after.balances).toEqual(
      expect.arrayContaining([{ account_id: 'acc4', owner: 'owner4', cents: 28 }]),
    );
  }

  it('survives a process killed between commit and acknowledgement while following live events', async () => {
    const env = await childEnv(40); // a fresh stream: the 40 commits get sequences 1 to 40
    const crashing = startChild({ ...env, RN_TEST_CRASH_AT: '17' });
    await crashing.ready;
    await seed(5, 7);
    const crashed = await crashing.exited;
    expect(crashed.signal).toBe('SIGKILL');
    expect((await readModel()).applied).toEqual([{ times: 1, n: 17 }]); // the 17th committed, never acknowledged

    const resumed = await startChild(env).exited;
    expect(resumed).toMatchObject({ code: 0 });
    await expectAllFortyAppliedOnce();
  });

  it('survives a process killed between commit and acknowledgement while catching up a backlog', async () => {
    const last = await seed(5, 7);
    const env = await childEnv(last);
    const crashed = await startChild({ ...env, RN_TEST_CRASH_AT: '17', RN_TEST_CATCH_UP_BATCH: '5' }).exited;
    expect(crashed.signal).toBe('SIGKILL');
    expect((await readModel()).applied).toEqual([{ times: 1, n: 20 }]); // batches of 5: 16 to 20 committed together

    const resumed = await startChild(env).exited;
    expect(resumed).toMatchObject({ code: 0 });
    await expectAllFortyAppliedOnce();
  });

  function failingTwiceOnTwoCents(order: number[]) {
    let failures = 0;
    return {
      failures: () => failures,
      hooks: {
        beforeApply: (e: LedgerEvent) => {
          if (e.type === 'AmountDeposited' && e.data.cents === 2 && failures++ < 2)
            throw new Error('database hiccup');
          if (e.type === 'AmountDeposited') order.push(e.data.cents);
        },
      },
    };
  }

  it('retries a live commit its handler failed on, without skipping past it', async () => {
    const order: number[] = [];
    const failing = failingTwiceOnTwoCents(order);
    const sut = runner(failing.hooks);
    await sut.start();
    const last = await seed(1, 3);
    await sut.waitFor(last, 10_000);
    expect(failing.failures()).toBe(3);
    expect(order).toEqual([1, 2, 3]);
    expect((await readModel()).applied).toEqual([{ times: 1, n: 4 }]);
  });

  it('retries a backlog commit its handler failed on, without skipping past it', async () => {
    const last = await seed(2, 3);
    const failing = failingTwiceOnTwoCents([]);
    const sut = runner(failing.hooks);
    await sut.start();
    await sut.waitFor(last, 10_000);
    const model = await readModel();
    expect(model.applied).toEqual([{ times: 1, n: 8 }]);
    expect(model.balances).toEqual([
      { account_id: 'acc0', owner: 'owner0', cents: 6 },
      { account_id: 'acc1', owner: 'owner1', cents: 6 },
    ]);
  });
});

interface Child {
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
}

function startChild(env: NodeJS.ProcessEnv): Child {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, '../__fixtures__/run-ledger-projection.ts')],
    {
      env: { ...env, TSX_TSCONFIG_PATH: join(__dirname, '../../../../tsconfig.base.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on('data', (c: Buffer) => {
    output += c.toString();
    if (output.includes('ready')) markReady();
  });
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>(
    (resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`projection process hung:\n${output}`));
      }, 60_000);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        markReady();
        resolve({ code, signal, output });
      });
    },
  );
  return { ready, exited };
}
