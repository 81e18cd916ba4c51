import { randomUUID } from 'node:crypto';
import { headers, type NatsConnection } from 'nats';
import { ContractsErrorCode } from '@rustronaut/contracts';
import { connectTestNats, deleteStream, uniqueName } from '@rustronaut/testing';
import {
  ledgerRegistry,
  testActor,
  type LedgerDefinition,
  type LedgerEvent,
} from './__fixtures__/ledger-events';
import { ConcurrencyConflictError, EventStoreErrorCode } from './errors';
import { EventStore } from './event-store';
import { ensureEventStream } from './stream';

describe('EventStore (real NATS JetStream)', () => {
  let nc: NatsConnection;
  let stream: string;
  let subjectRoot: string;
  let sut: EventStore<LedgerDefinition>;
  const opts = (commandId = randomUUID()) => ({ commandId, orgId: 'org_test', actor: testActor });
  const deposit = (cents: number) => [{ type: 'AmountDeposited' as const, data: { cents } }];
  /** An account's balance, counting the events it folds. */
  let folded = 0;
  const balance = (cents: number | undefined, event: LedgerEvent) => {
    folded++;
    return event.type === 'AmountDeposited' ? (cents ?? 0) + event.data.cents : (cents ?? 0);
  };

  beforeAll(async () => {
    nc = await connectTestNats('eventstore-int');
  });
  afterAll(async () => {
    await nc.drain();
  });

  beforeEach(async () => {
    stream = uniqueName('TEST_EVENTS');
    subjectRoot = `${stream.toLowerCase()}.events`;
    await ensureEventStream(await nc.jetstreamManager(), {
      name: stream,
      subjectRoot,
      duplicateWindowMs: 1_000,
    });
    sut = new EventStore({ nc, registry: ledgerRegistry, name: stream, subjectRoot });
  });
  afterEach(async () => {
    await deleteStream(nc, stream);
  });

  async function storedMessages(): Promise<number> {
    const info = await (await nc.jetstreamManager()).streams.info(stream);
    return info.state.messages;
  }

  it('appends events and loads them back in order, with the version to expect next', async () => {
    const account = { type: 'account', id: 'acc1' };
    const first = await sut.append(account, 0, [{ type: 'AccountOpened', data: { owner: 'ada' } }], opts());
    const second = await sut.append(
      account,
      first.version,
      [
        { type: 'AmountDeposited', data: { cents: 500 } },
        { type: 'AmountDeposited', data: { cents: 250 } },
      ],
      opts(),
    );
    expect(second.version).toBeGreaterThan(first.version);

    const loaded = await sut.load(account);
    expect(loaded.version).toBe(second.version);
    expect(loaded.events.map((e) => [e.type, e.data])).toEqual([
      ['AccountOpened', { owner: 'ada' }],
      ['AmountDeposited', { cents: 500 }],
      ['AmountDeposited', { cents: 250 }],
    ]);
    expect(loaded.events[0]).toMatchObject({
      aggregateId: 'acc1',
      orgId: 'org_test',
      actor: testActor,
      version: 1,
    });
    expect(await sut.load({ type: 'account', id: 'nobody' })).toEqual({ version: 0, events: [] });
  });

  it("sees another writer's appends after it has read (and cached) an aggregate", async () => {
    const account = { type: 'account', id: 'shared' };
    const other = new EventStore({ nc, registry: ledgerRegistry, name: stream, subjectRoot });
    const first = await sut.append(account, 0, [{ type: 'AccountOpened', data: { owner: 'ada' } }], opts());
    expect((await other.load(account)).version).toBe(first.version);
    const second = await sut.append(
      account,
      first.version,
      [{ type: 'AmountDeposited', data: { cents: 7 } }],
      opts(),
    );
    const reloaded = await other.load(account);
    expect(reloaded.version).toBe(second.version);
    expect(reloaded.events.map((e) => e.type)).toEqual(['AccountOpened', 'AmountDeposited']);
  });

  it('loads what it has just written exactly as a fresh reader does, missing no other writer in between', async () => {
    const account = { type: 'account', id: 'own-writes' };
    const other = new EventStore({ nc, registry: ledgerRegistry, name: stream, subjectRoot });
    const v1 = await sut.append(account, 0, [{ type: 'AccountOpened', data: { owner: 'ada' } }], opts());
    const v2 = await other.append(account, v1.version, deposit(1), opts()); // not through sut
    const v3 = await sut.append(account, v2.version, deposit(2), opts());
    const v4 = await sut.append(account, v3.version, deposit(3), opts());
    const fresh = new EventStore({ nc, registry: ledgerRegistry, name: stream, subjectRoot });
    const loaded = await sut.load(account);
    expect(loaded).toEqual(await fresh.load(account));
    expect(loaded.version).toBe(v4.version);
    expect(loaded.events.map((e) => e.data)).toEqual([
      { owner: 'ada' },
      { cents: 1 },
      { cents: 2 },
      { cents: 3 },
    ]);
  });

  it('folds only the commits stored since its last load of a state, to what a fresh fold gives', async () => {
    const account = { type: 'account', id: 'folded' };
    const other = new EventStore({ nc, registry: ledgerRegistry, name: stream, subjectRoot });
    folded = 0;
    const v1 = await sut.append(account, 0, [{ type: 'AccountOpened', data: { owner: 'ada' } }], opts());
    const v2 = await sut.append(account, v1.version, deposit(5), opts());
    expect(await sut.loadState(account, balance)).toEqual({ version: v2.version, state: 5 });
    expect(folded).toBe(2);
    folded = 0;
    const v3 = await other.append(account, v2.version, deposit(7), opts()); // not through sut
    const v4 = await sut.append(account, v3.version, deposit(11), opts());
    expect(await sut.loadState(account, balance)).toEqual({ version: v4.version, state: 23 });
    expect(folded).toBe(2); // the two new deposits, not the history again
    const fresh = new EventStore({ nc, registry: ledgerRegistry, name: stream, subjectRoot });
    expect(await fresh.loadState(account, balance)).toEqual({ version: v4.version, state: 23 });
    folded = 0;
    const deposits = (n: number | undefined, event: LedgerEvent) =>
      event.type === 'AmountDeposited' ? (n ?? 0) + 1 : (n ?? 0);
    expect((await sut.loadState(account, deposits)).state).toBe(3); // another fold starts from the first event
    expect(await sut.loadState(account, balance)).toEqual({ version: v4.version, state: 23 });
  });

  it('folds only new commits also when commands on one aggregate load it at the same time', async () => {
    // Concurrent loads each remember the commits they read; one finishing after another used to
    // make the other fold the whole history again (100-350 ms for a user renamed 5,000 times, a
    // stall that fed itself under load).
    const account = { type: 'account', id: 'concurrent' };
    const other = new EventStore({ nc, registry: ledgerRegistry, name: stream, subjectRoot });
    folded = 0;
    let version = (await sut.append(account, 0, [{ type: 'AccountOpened', data: { owner: 'ada' } }], opts()))
      .version;
    for (let i = 0; i < 60; i++) version = (await sut.append(account, version, deposit(1), opts())).version;
    expect((await sut.loadState(account, balance)).state).toBe(60);
    for (let round = 0; round < 5; round++) {
      // Not through sut: each of its loads below has a commit to fetch.
      version = (await other.append(account, version, deposit(1), opts())).version;
      folded = 0;
      const loads = await Promise.all(Array.from({ length: 6 }, () => sut.loadState(account, balance)));
      expect(loads.map((l) => l.state)).toEqual(Array(6).fill(61 + round));
      expect(folded).toBeLessThanOrEqual(6); // the new deposit once per load, not 61 events again
    }
  });

  it('lets exactly one of 20 concurrent appends expecting the same version win', async () => {
    const account = { type: 'account', id: 'contended' };
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        sut.append(account, 0, [{ type: 'AccountOpened', data: { owner: `writer-${i}` } }], opts()),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    for (const r of lost) {
      expect(r.reason).toBeInstanceOf(ConcurrencyConflictError);
      expect(r.reason).toMatchObject({ code: EventStoreErrorCode.ConcurrencyConflict, expectedVersion: 0 });
    }
    const loaded = await sut.load(account);
    expect(loaded.events).toHaveLength(1);
    expect(await storedMessages()).toBe(1);
  });

  it('stores the same command once, inside and after the NATS de-duplication window', async () => {
    const account = { type: 'account', id: 'idem' };
    const commandId = randomUUID();
    const event = [{ type: 'AccountOpened', data: { owner: 'ada' } }] as const;
    const first = await sut.append(account, 0, [...event], opts(commandId));
    const again = await sut.append(account, 0, [...event], opts(commandId));
    expect(again).toMatchObject({ duplicate: true, version: first.version });
    expect(again.events.map((e) => e.id)).toEqual(first.events.map((e) => e.id));

    await new Promise((r) => setTimeout(r, 1_300)); // past the 1 s window this stream was given
    const late = await sut.append(account, 0, [...event], opts(commandId));
    expect(late).toMatchObject({ duplicate: true, version: first.version });
    expect(await storedMessages()).toBe(1);
    expect((await sut.load(account)).events).toHaveLength(1);
  });

  it('refuses a command id already used for another aggregate', async () => {
    const commandId = randomUUID();
    await sut.append(
      { type: 'account', id: 'a' },
      0,
      [{ type: 'AccountOpened', data: { owner: 'a' } }],
      opts(commandId),
    );
    await expect(
      sut.append(
        { type: 'account', id: 'b' },
        0,
        [{ type: 'AccountOpened', data: { owner: 'b' } }],
        opts(commandId),
      ),
    ).rejects.toMatchObject({ code: EventStoreErrorCode.InvalidAppend });
    expect((await sut.load({ type: 'account', id: 'b' })).events).toHaveLength(0);
  });

  it('refuses invalid events and stores nothing', async () => {
    const account = { type: 'account', id: 'bad' };
    await expect(
      sut.append(account, 0, [{ type: 'AmountDeposited', data: { cents: -5 } }], opts()),
    ).rejects.toMatchObject({
      code: ContractsErrorCode.InvalidEvent,
      message: expect.stringMatching(/cents/),
    });
    await expect(
      // @ts-expect-error an event type the registry does not know
      sut.append(account, 0, [{ type: 'AccountClosed', data: {} }], opts()),
    ).rejects.toMatchObject({ code: ContractsErrorCode.UnknownEventType });
    await expect(
      sut.append({ type: 'site', id: 'x' }, 0, [{ type: 'AccountOpened', data: { owner: 'a' } }], opts()),
    ).rejects.toMatchObject({ code: EventStoreErrorCode.InvalidAppend });
    await expect(sut.append(account, 0, [], opts())).rejects.toMatchObject({
      code: EventStoreErrorCode.InvalidAppend,
    });
    await expect(
      sut.append(
        { type: 'account', id: 'a.b' },
        0,
        [{ type: 'AccountOpened', data: { owner: 'a' } }],
        opts(),
      ),
    ).rejects.toMatchObject({ code: ContractsErrorCode.InvalidSubjectToken });
    expect(await storedMessages()).toBe(0);
  });

  it('reads an event stored at an old version back as the current version', async () => {
    const account = { type: 'account', id: 'legacy' };
    // Written the way an older build wrote it: AmountDeposited v1 with a string amount.
    const legacy = {
      id: randomUUID(),
      type: 'AmountDeposited',
      version: 1,
      aggregateType: 'account',
      aggregateId: 'legacy',
      orgId: 'org_test',
      occurredAt: new Date().toISOString(),
      actor: testActor,
      commandId: 'legacy-1',
      trace: {},
      data: { amount: '12.34' },
    };
    const h = headers();
    h.set('Rn-Command-Id', 'legacy-1');
    await nc
      .jetstream()
      .publish(`${subjectRoot}.account.legacy`, Buffer.from(JSON.stringify({ events: [legacy] })), {
        headers: h,
      });
    const loaded = await sut.load(account);
    expect(loaded.events).toEqual([
      expect.objectContaining({ type: 'AmountDeposited', version: 2, data: { cents: 1234 } }),
    ]);
  });
});

describe('ensureEventStream', () => {
  let nc: NatsConnection;
  beforeAll(async () => {
    nc = await connectTestNats('eventstore-stream-int');
  });
  afterAll(async () => {
    await nc.drain();
  });

  it('creates the stream once, file-backed and undeletable, and accepts it again', async () => {
    const name = uniqueName('TEST_EVENTS');
    const subjectRoot = `${name.toLowerCase()}.events`;
    const jsm = await nc.jetstreamManager();
    try {
      const created = await ensureEventStream(jsm, { name, subjectRoot });
      expect(created.config).toMatchObject({
        storage: 'file',
        deny_delete: true,
        deny_purge: true,
        subjects: [`${subjectRoot}.>`],
      });
      const again = await ensureEventStream(jsm, { name, subjectRoot });
      expect(again.config.name).toBe(name);
    } finally {
      await deleteStream(nc, name);
    }
  });

  it('refuses a stream of that name that captures other subjects', async () => {
    const name = uniqueName('TEST_OTHER');
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name, subjects: [`${name.toLowerCase()}.other.>`] });
    try {
      await expect(
        ensureEventStream(jsm, { name, subjectRoot: `${name.toLowerCase()}.events` }),
      ).rejects.toMatchObject({
        code: EventStoreErrorCode.StreamMisconfigured,
      });
    } finally {
      await deleteStream(nc, name);
    }
  });
});
