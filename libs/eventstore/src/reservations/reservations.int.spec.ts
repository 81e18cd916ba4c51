import { randomUUID } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { z } from 'zod';
import { DomainError, EventRegistry, defineEvent, reservationEvents } from '@rustronaut/contracts';
import { connectTestNats, deleteStream, uniqueName } from '@rustronaut/testing';
import { ConcurrencyConflictError } from '../errors';
import { EventStore } from '../event-store';
import { ensureEventStream } from '../stream';
import { Reservations, type KeySpace } from './reservations';

// The owners here are "accounts" whose one event names the handle they use: the handle is the
// unique key. The owner's commit is opening the account.
const AccountOpened = defineEvent({
  type: 'AccountOpened',
  aggregate: 'account',
  schema: z.object({ handle: z.string().min(1) }),
});
const definitions = [AccountOpened, ...reservationEvents];
const registry = new EventRegistry(definitions);
type Definition = (typeof definitions)[number];
const actor = { kind: 'user', id: 'u_test' } as const;
const meta = { orgId: 'org_test', actor };

class HandleTaken extends DomainError<'TEST_HANDLE_TAKEN'> {}

describe('Reservations (real NATS JetStream)', () => {
  let nc: NatsConnection;
  let stream: string;
  let subjectRoot: string;
  let store: EventStore<Definition>;
  let now: number;
  let handles: KeySpace;
  const clock = () => new Date(now);

  beforeAll(async () => {
    nc = await connectTestNats('reservations-int');
  });
  afterAll(async () => {
    await nc.drain();
  });
  beforeEach(async () => {
    stream = uniqueName('TEST_RESERVATIONS');
    subjectRoot = `${stream.toLowerCase()}.events`;
    await ensureEventStream(await nc.jetstreamManager(), {
      name: stream,
      subjectRoot,
      duplicateWindowMs: 1_000,
    });
    store = newStore(nc);
    now = Date.parse('2026-12-07T00:00:00Z');
    handles = {
      name: 'handle',
      async holds(owner, key) {
        const loaded = await store.load({ type: 'account', id: owner });
        return loaded.events.some((e) => e.type === 'AccountOpened' && e.data.handle === key);
      },
      taken: (key, holder) =>
        new HandleTaken('TEST_HANDLE_TAKEN', `${key} is used by ${holder.owner}`, {
          details: { owner: holder.owner, status: holder.status },
        }),
    };
  });
  afterEach(async () => {
    await deleteStream(nc, stream);
  });

  const newStore = (connection: NatsConnection) =>
    new EventStore({ nc: connection, registry, name: stream, subjectRoot });
  const open = (s: EventStore<Definition>, owner: string, handle: string, expected = 0) =>
    s.append({ type: 'account', id: owner }, expected, [{ type: 'AccountOpened', data: { handle } }], {
      commandId: randomUUID(),
      ...meta,
    });
  const openWith = (sut: Reservations<Definition>, owner: string, handle: string) =>
    sut.holdWhile({ owner, ...meta, reserve: [{ space: handles, key: handle }] }, () =>
      open(store, owner, handle),
    );
  const holder = async (handle: string) => (await sut().keys(handles, handle)).get(handle);
  const sut = () => new Reservations(store, { clock });

  it('holds a key for the owner whose commit used it, and refuses it to anyone else with the space’s error', async () => {
    await openWith(sut(), 'acc_1', 'ada');
    expect(await holder('ada')).toMatchObject({ owner: 'acc_1', status: 'confirmed', orgId: 'org_test' });
    const second = openWith(sut(), 'acc_2', 'ada');
    await expect(second).rejects.toBeInstanceOf(HandleTaken);
    await expect(second).rejects.toMatchObject({ details: { owner: 'acc_1' } });
    expect((await store.load({ type: 'account', id: 'acc_2' })).version).toBe(0);
  });

  it('gives the key back when the commit fails after the reservation (a validation error, a stale version)', async () => {
    const invalid = sut().holdWhile(
      { owner: 'acc_1', ...meta, reserve: [{ space: handles, key: 'bob' }] },
      () =>
        store.append({ type: 'account', id: 'acc_1' }, 0, [{ type: 'AccountOpened', data: { handle: '' } }], {
          commandId: randomUUID(),
          ...meta,
        }),
    );
    await expect(invalid).rejects.toMatchObject({ code: 'CONTRACTS_INVALID_EVENT' });
    expect(await holder('bob')).toBeUndefined();

    await open(store, 'acc_2', 'someone');
    const stale = sut().holdWhile(
      { owner: 'acc_2', ...meta, reserve: [{ space: handles, key: 'bob' }] },
      () => open(store, 'acc_2', 'bob', 0),
    );
    await expect(stale).rejects.toBeInstanceOf(ConcurrencyConflictError);
    expect(await holder('bob')).toBeUndefined();
    await openWith(sut(), 'acc_3', 'bob'); // free for anyone, at once
    expect(await holder('bob')).toMatchObject({ owner: 'acc_3', status: 'confirmed' });
  });

  it('frees a key whose process died between the reservation and the commit, once the reservation expires', async () => {
    const crashed = await connectTestNats('reservations-crash');
    const theirs = new Reservations(newStore(crashed), { clock });
    await theirs.reserve({ space: handles, key: 'cy' }, 'acc_dead', meta);
    await crashed.close(); // the process is gone: no commit, no release

    await expect(openWith(sut(), 'acc_2', 'cy')).rejects.toBeInstanceOf(HandleTaken); // a commit might be under way
    now += 30_001;
    await openWith(sut(), 'acc_2', 'cy');
    expect(await holder('cy')).toMatchObject({ owner: 'acc_2', status: 'confirmed' });
  });

  it('keeps a key whose process died after its commit, before confirming, and confirms it for the owner', async () => {
    const crashed = await connectTestNats('reservations-crash');
    const theirStore = newStore(crashed); // one store: a second one's JetStream lookup could still be under way at close
    const theirs = new Reservations(theirStore, { clock });
    await theirs.reserve({ space: handles, key: 'di' }, 'acc_1', meta);
    await open(theirStore, 'acc_1', 'di');
    await crashed.close();

    now += 60_000;
    await expect(openWith(sut(), 'acc_2', 'di')).rejects.toBeInstanceOf(HandleTaken);
    expect(await holder('di')).toMatchObject({ owner: 'acc_1', status: 'confirmed' });
  });

  it('frees a key its owner stopped using when the release after the commit never came', async () => {
    await openWith(sut(), 'acc_1', 'eve');
    // acc_1 moves to another handle; the process dies before releasing "eve"
    await store.append(
      { type: 'account', id: 'acc_1' },
      'any',
      [{ type: 'AccountOpened', data: { handle: 'eve2' } }],
      { commandId: randomUUID(), ...meta },
    );
    handles.holds = async (owner, key) => {
      const last = (await store.load({ type: 'account', id: owner })).events.at(-1);
      return last?.type === 'AccountOpened' && last.data.handle === key;
    };
    await openWith(sut(), 'acc_2', 'eve');
    expect(await holder('eve')).toMatchObject({ owner: 'acc_2' });
  });

  it('reads the holders a service kept before reservations, and keeps them once the book has events', async () => {
    const subnets: KeySpace = {
      name: 'subnet',
      holds: async () => true,
      taken: (key, h) => new HandleTaken('TEST_HANDLE_TAKEN', `${key} overlaps one of ${h.owner}`),
      collides: (a, b) => a.split('.')[1] === b.split('.')[1],
      legacy: async () => [{ key: '10.1.0.0/24', owner: 'st_old', orgId: 'org_test' }],
    };
    const r = sut();
    await expect(
      r.reserve({ space: subnets, book: 'org_test', key: '10.1.5.0/24' }, 'st_new', meta),
    ).rejects.toThrow('overlaps one of st_old');
    await r.reserve({ space: subnets, book: 'org_test', key: '10.2.0.0/24' }, 'st_new', meta);
    subnets.legacy = async () => []; // no longer asked: the book has its own history now
    expect([...(await r.keys(subnets, 'org_test')).keys()].sort()).toEqual(['10.1.0.0/24', '10.2.0.0/24']);
  });

  it('with many parallel writers on the same keys, every key ends with exactly one live owner and nothing stranded', async () => {
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4'];
    const writers = Array.from({ length: 60 }, (_, i) => ({
      owner: `acc_${i}`,
      key: keys[i % keys.length]!,
    }));
    // A writer refused by a reservation still in flight tries again (as a person would); one refused
    // by a confirmed holder stops.
    const write = async ({ owner, key }: { owner: string; key: string }, i: number) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await sut().holdWhile({ owner, ...meta, reserve: [{ space: handles, key }] }, async () => {
            if (i % 4 === 0) throw new Error('the owner’s commit failed'); // some commits fail after the claim
            return open(store, owner, key);
          });
        } catch (error) {
          const pending = error instanceof HandleTaken && error.details?.status === 'reserved';
          if (!pending || attempt > 100) throw error;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
    };
    const outcomes = await Promise.allSettled(writers.map(write));
    const winners = writers.filter((_, i) => outcomes[i]!.status === 'fulfilled');
    for (const key of keys) {
      const users = [];
      for (const w of writers.filter((x) => x.key === key))
        if (await handles.holds(w.owner, key)) users.push(w.owner);
      const hold = await holder(key);
      // exactly one live owner: the account that uses the key, holding it confirmed
      expect({ key, users: users.length, holder: hold?.owner, status: hold?.status }).toEqual({
        key,
        users: 1,
        holder: users[0],
        status: 'confirmed',
      });
    }
    expect(winners).toHaveLength(keys.length);
    // nothing stranded: the failed writers hold nothing, not even a pending reservation
    const books = await Promise.all(keys.map((k) => sut().keys(handles, k)));
    expect(books.flatMap((b) => [...b.values()]).every((h) => h.status === 'confirmed')).toBe(true);
  }, 60_000);
});
