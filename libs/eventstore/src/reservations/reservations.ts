import { createHash } from 'node:crypto';
import type { Actor, AnyEventDefinition, EventOf, NewEvent, ReservationEvent } from '@rustronaut/contracts';
import { ConcurrencyConflictError, EventStoreError, EventStoreErrorCode } from '../errors';
import type { AggregateRef, EventStore } from '../event-store';
import {
  checkKey,
  decideReservation,
  emptyBook,
  evolveBook,
  importHolds,
  type Hold,
  type NewReservationEvent,
  type ReservationBook,
  type ReservationCommand,
} from './reservation-book';

/**
 * A kind of unique key, described once by the service that owns it:
 *
 * ```ts
 * const addresses: KeySpace = {
 *   name: 'vpn-address',
 *   holds: async (deviceId, address) => (await loadDevice(deviceId))?.address === address,
 *   taken: (address, holder) => new VpnError(VpnErrorCode.AddressTaken, `${address} is used by ${holder.owner}`),
 * };
 * await reservations.holdWhile(
 *   { owner: deviceId, orgId, actor, reserve: [{ space: addresses, book: siteId, key: '10.1.0.7' }] },
 *   () => commitAndWait(…DeviceRegistered…),   // the owner's own commit
 * );
 * const used = await reservations.keys(addresses, siteId);   // to pick a free one (IPAM)
 * ```
 */
export interface KeySpace {
  /** Names the space in events and aggregate ids: letters, digits, `-` (`email`, `domain`, `vpn-address`). */
  name: string;
  /**
   * Does this owner use this key, by its own aggregate? Asked only about a hold that may be stale:
   * a reservation that expired unconfirmed, or a confirmed hold somebody else wants.
   */
  holds(owner: string, key: string): Promise<boolean>;
  /**
   * The coded error for "another owner has it"; name the holder only when `holder.orgId` is the
   * organisation of `wanted` (the caller).
   */
  taken(key: string, holder: Hold, wanted: { owner: string; orgId: string }): Error;
  /** Do two different keys of one book collide (overlapping subnets)? Default: never. */
  collides?(a: string, b: string): boolean;
  /**
   * The holders of a book's keys as a service recorded them before it used reservations (its older
   * claim aggregates). Read only while the book has no events; written into it with its first.
   */
  legacy?(book: string): Promise<{ key: string; owner: string; orgId: string }[]>;
}

/** One key of one book: keys that must not collide share a book (default: the key is its own). */
export interface KeyRef {
  space: KeySpace;
  key: string;
  book?: string;
}

export interface HoldPlan {
  /** Who holds the keys: the aggregate whose commit uses them (a user, a resource, a site, a device). */
  owner: string;
  orgId: string;
  actor: Actor;
  /** Keys the commit starts to use: reserved before it, confirmed after it, given back if it fails. */
  reserve?: readonly KeyRef[];
  /** Keys the commit stops using: released once it is stored. */
  release?: readonly KeyRef[];
}

export interface ReservationsOptions {
  /** How long a reservation holds without being confirmed. Default 30 s. */
  ttlMs?: number;
  clock?: () => Date;
}

type Meta = Pick<HoldPlan, 'orgId' | 'actor'>;

const DEFAULT_TTL_MS = 30_000;
const MAX_TRIES = 25;

/**
 * Unique keys for event-sourced aggregates, one mechanism for all of them. `holdWhile` is the whole
 * protocol: reserve every new key (refused with the space's own error when another owner has one),
 * run the owner's commit, then confirm the new keys and release the ones given up. A commit that
 * fails gives its reservations back at once; one whose outcome is unknown (NATS did not answer), or
 * a process that dies on the way, leaves a reservation that stops holding after `ttlMs` and is
 * settled by the owner's own aggregate the next time anyone wants the key (`KeySpace.holds`).
 */
export class Reservations<D extends AnyEventDefinition = AnyEventDefinition> {
  readonly #store: EventStore<D>;
  readonly #ttlMs: number;
  readonly #clock: () => Date;

  constructor(store: EventStore<D>, options: ReservationsOptions = {}) {
    this.#store = store;
    this.#ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.#clock = options.clock ?? (() => new Date());
  }

  /** Reserve → the owner's commit → confirm (and release what the commit gave up). */
  async holdWhile<T>(plan: HoldPlan, commit: () => Promise<T>): Promise<T> {
    const started = this.#clock().getTime();
    const reserved: KeyRef[] = [];
    try {
      for (const ref of plan.reserve ?? []) {
        if (await this.reserve(ref, plan.owner, plan)) reserved.push(ref);
      }
      if (this.#clock().getTime() - started > this.#ttlMs / 2) {
        throw new EventStoreError(
          EventStoreErrorCode.Unavailable,
          'reserving the keys took too long to commit safely: try again',
        );
      }
    } catch (error) {
      await this.#releaseAll(reserved, plan.owner, plan, 'abandoned');
      throw error;
    }
    let result: T;
    try {
      result = await commit();
    } catch (error) {
      // Unknown outcome: the reservation expires and the owner's aggregate settles it.
      if (!isUncertain(error)) await this.#releaseAll(reserved, plan.owner, plan, 'abandoned');
      throw error;
    }
    // Best effort from here: a confirm or release that does not happen is settled later by `holds`.
    for (const ref of reserved) await this.confirm(ref, plan.owner, plan).catch(() => undefined);
    await this.#releaseAll(plan.release ?? [], plan.owner, plan, 'released');
    return result;
  }

  /** Reserves a key for an owner; false when the owner already held it (confirmed). */
  async reserve(ref: KeyRef, owner: string, meta: Meta): Promise<boolean> {
    let reserved = false;
    await this.#decide(
      ref,
      meta,
      () => ({
        kind: 'reserve',
        key: ref.key,
        owner,
        orgId: meta.orgId,
        expiresAt: this.#clock().getTime() + this.#ttlMs,
      }),
      (events) => {
        reserved = events.some((e) => e.type === 'KeyReserved');
      },
    );
    return reserved;
  }

  async confirm(ref: KeyRef, owner: string, meta: Meta): Promise<void> {
    await this.#decide(ref, meta, () => ({ kind: 'confirm', key: ref.key, owner }));
  }

  async release(ref: KeyRef, owner: string, meta: Meta, reason: 'released' | 'abandoned' = 'released') {
    await this.#decide(ref, meta, () => ({ kind: 'release', key: ref.key, owner, reason }));
  }

  /** The keys of a book and who holds them (expired reservations left out). */
  async keys(space: KeySpace, book: string): Promise<Map<string, Hold>> {
    const { book: state } = await this.#load({ space, key: '', book });
    const now = this.#clock().getTime();
    return new Map([...state].filter(([, hold]) => hold.status === 'confirmed' || hold.expiresAt > now));
  }

  async #releaseAll(refs: readonly KeyRef[], owner: string, meta: Meta, reason: 'released' | 'abandoned') {
    for (const ref of refs) await this.release(ref, owner, meta, reason).catch(() => undefined);
  }

  async #decide(
    ref: KeyRef,
    meta: Meta,
    command: () => ReservationCommand,
    onAppend?: (events: NewReservationEvent[]) => void,
  ): Promise<void> {
    const checked = new Map<string, boolean>();
    const collides = ref.space.collides ?? (() => false);
    for (let tries = 1; ; tries++) {
      const { aggregate, version, book, imported } = await this.#load(ref);
      const verdict = decideReservation(
        book,
        command(),
        { now: this.#clock().getTime(), collides: (a, b) => collides.call(ref.space, a, b), checked },
        ref.space.name,
      );
      let events: NewReservationEvent[] = [];
      switch (verdict.outcome) {
        case 'unchanged':
          return;
        case 'check':
          for (const { owner, key } of verdict.holds)
            checked.set(checkKey(owner, key), await ref.space.holds(owner, key));
          continue;
        case 'lost':
          throw new EventStoreError(
            EventStoreErrorCode.ReservationLost,
            `${ref.space.name} ${ref.key} is no longer reserved for this change: try again`,
            { details: { space: ref.space.name, key: ref.key } },
          );
        case 'taken':
          if (verdict.events.length > 0)
            await this.#append(aggregate, version, [...imported, ...verdict.events], meta).catch(
              () => undefined,
            );
          throw ref.space.taken(verdict.key, verdict.holder, {
            owner: ownerOf(command()),
            orgId: meta.orgId,
          });
        case 'append':
          events = [...imported, ...verdict.events];
      }
      try {
        await this.#append(aggregate, version, events, meta);
        onAppend?.(events);
        return;
      } catch (error) {
        if (!(error instanceof ConcurrencyConflictError) || tries >= MAX_TRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * tries));
      }
    }
  }

  async #load(ref: KeyRef): Promise<{
    aggregate: AggregateRef;
    version: number;
    book: ReservationBook;
    /** Holds from before reservations, to write with the book's first append. */
    imported: NewReservationEvent[];
  }> {
    const aggregate = bookAggregate(ref);
    const loaded = await this.#store.load(aggregate);
    if (loaded.version === 0 && ref.space.legacy) {
      const legacy = await ref.space.legacy(ref.book ?? ref.key);
      const book: ReservationBook = new Map(
        legacy.map(({ key, owner, orgId }) => [key, { owner, orgId, status: 'confirmed', expiresAt: 0 }]),
      );
      return { aggregate, version: 0, book, imported: importHolds(ref.space.name, book) };
    }
    const book = (loaded.events as unknown as ReservationEvent[]).reduce(evolveBook, emptyBook);
    return { aggregate, version: loaded.version, book, imported: [] };
  }

  async #append(aggregate: AggregateRef, version: number, events: NewReservationEvent[], meta: Meta) {
    await this.#store.append(aggregate, version, events as unknown as NewEvent<EventOf<D>>[], {
      commandId: `${aggregate.id}:${version}:${createHash('sha256').update(JSON.stringify(events)).digest('hex').slice(0, 16)}`,
      orgId: meta.orgId,
      actor: meta.actor,
    });
  }
}

/** The aggregate of a book: `reservation` / `<space>-<hash of the book's name>`, subject-safe. */
export function bookAggregate(ref: Pick<KeyRef, 'space' | 'key' | 'book'>): AggregateRef {
  const name = ref.book ?? ref.key;
  return {
    type: 'reservation',
    id: `${ref.space.name}-${createHash('sha256').update(name).digest('hex').slice(0, 40)}`,
  };
}

const ownerOf = (command: ReservationCommand) => command.owner;

/** NATS did not answer: the commit may or may not be stored. */
function isUncertain(error: unknown): boolean {
  return error instanceof EventStoreError && error.code === EventStoreErrorCode.Unavailable;
}
