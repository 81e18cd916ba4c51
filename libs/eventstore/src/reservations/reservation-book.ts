import type { ReservationEvent } from '@rustronaut/contracts';

/**
 * The rules of unique keys, without I/O. A book holds the keys that must not collide with each
 * other (one email; one domain and path prefix; the ports of one site and protocol; the subnets of
 * one organisation; the addresses of one VPN subnet). A key is
 *
 *   reserved  for an owner, before the owner's commit: it holds the key for `ttl`, no longer;
 *   confirmed by the owner once its commit is stored: it holds the key until released;
 *   released  by the owner (it let the key go), because its commit failed (`abandoned`), or by a
 *             reconciliation that found the owner does not use the key (`reconciled`).
 *
 * Whoever wants a key that another owner holds gets it refused — unless that hold is an expired
 * reservation or a confirmed one, whose owner is then asked (`check`): the owner's own aggregate
 * says whether it uses the key (a process that died after reserving never committed; one that died
 * after committing did, and its key is confirmed on its behalf). So nothing stays stranded.
 */
export interface Hold {
  owner: string;
  orgId: string;
  status: 'reserved' | 'confirmed';
  /** When a `reserved` hold stops holding by itself (ms since the epoch). */
  expiresAt: number;
}

/** key → its hold. */
export type ReservationBook = ReadonlyMap<string, Hold>;

export const emptyBook: ReservationBook = new Map();

/** What a book's events make of it. */
export function evolveBook(book: ReservationBook, event: ReservationEvent): ReservationBook {
  const next = new Map(book);
  switch (event.type) {
    case 'KeyReserved':
      next.set(event.data.key, {
        owner: event.data.owner,
        orgId: event.data.orgId,
        status: 'reserved',
        expiresAt: Date.parse(event.data.expiresAt),
      });
      return next;
    case 'KeyConfirmed': {
      const hold = book.get(event.data.key);
      if (hold?.owner === event.data.owner) next.set(event.data.key, { ...hold, status: 'confirmed' });
      return next;
    }
    case 'KeyReleased':
      if (book.get(event.data.key)?.owner === event.data.owner) next.delete(event.data.key);
      return next;
  }
}

export type ReservationCommand =
  | { kind: 'reserve'; key: string; owner: string; orgId: string; expiresAt: number }
  | { kind: 'confirm'; key: string; owner: string }
  | { kind: 'release'; key: string; owner: string; reason: 'released' | 'abandoned' };

export interface Facts {
  now: number;
  /** Do two keys of this book collide? (equal keys always do) */
  collides: (a: string, b: string) => boolean;
  /** What was found out about other owners: `owner key` → does the owner use the key. */
  checked: ReadonlyMap<string, boolean>;
}

export type NewReservationEvent =
  | {
      type: 'KeyReserved';
      data: { space: string; key: string; owner: string; orgId: string; expiresAt: string };
    }
  | { type: 'KeyConfirmed'; data: { key: string; owner: string } }
  | {
      type: 'KeyReleased';
      data: { key: string; owner: string; reason: 'released' | 'abandoned' | 'reconciled' };
    };

export type Verdict =
  /** Append these events (they may also settle other owners' stale holds). */
  | { outcome: 'append'; events: NewReservationEvent[] }
  /** Already so: nothing to write. */
  | { outcome: 'unchanged' }
  /** Another owner holds a colliding key; `events` settle what the checks found (may be empty). */
  | { outcome: 'taken'; key: string; holder: Hold; events: NewReservationEvent[] }
  /** Ask whether these owners use these keys, then decide again with the answers. */
  | { outcome: 'check'; holds: { key: string; owner: string }[] }
  /** A confirm for a reservation this owner no longer has (it expired and someone else took the key). */
  | { outcome: 'lost'; holder: Hold | undefined };

export const checkKey = (owner: string, key: string) => `${owner} ${key}`;

/** Decides one command on a book. Pure: the same book, command and facts give the same verdict. */
export function decideReservation(
  book: ReservationBook,
  command: ReservationCommand,
  facts: Facts,
  space = '',
): Verdict {
  const mine = book.get(command.key);
  const ours = mine?.owner === command.owner ? mine : undefined;
  switch (command.kind) {
    case 'confirm':
      if (!ours) return { outcome: 'lost', holder: mine };
      if (ours.status === 'confirmed') return { outcome: 'unchanged' };
      return { outcome: 'append', events: [confirmed(command.key, command.owner)] };
    case 'release':
      if (!ours) return { outcome: 'unchanged' };
      return {
        outcome: 'append',
        events: [released(command.key, command.owner, command.reason)],
      };
    case 'reserve':
      return decideReserve(book, command, facts, space, ours);
  }
}

function decideReserve(
  book: ReservationBook,
  command: Extract<ReservationCommand, { kind: 'reserve' }>,
  facts: Facts,
  space: string,
  ours: Hold | undefined,
): Verdict {
  const settle: NewReservationEvent[] = [];
  const toCheck: { key: string; owner: string }[] = [];
  let refusal: { key: string; holder: Hold } | undefined;
  for (const [key, hold] of book) {
    if (hold.owner === command.owner) continue; // an owner never collides with itself
    if (key !== command.key && !facts.collides(key, command.key)) continue;
    if (hold.status === 'reserved' && hold.expiresAt > facts.now) {
      refusal ??= { key, holder: hold }; // a commit may be under way: its reservation holds
      continue;
    }
    const uses = facts.checked.get(checkKey(hold.owner, key));
    if (uses === undefined) toCheck.push({ key, owner: hold.owner });
    else if (uses) {
      if (hold.status === 'reserved') settle.push(confirmed(key, hold.owner)); // committed, then died
      refusal ??= { key, holder: { ...hold, status: 'confirmed' } };
    } else settle.push(released(key, hold.owner, 'reconciled'));
  }
  if (refusal) return { outcome: 'taken', ...refusal, events: settle };
  if (toCheck.length > 0) return { outcome: 'check', holds: toCheck };
  if (ours?.status === 'confirmed')
    return settle.length ? { outcome: 'append', events: settle } : { outcome: 'unchanged' };
  return {
    outcome: 'append',
    events: [
      ...settle,
      {
        type: 'KeyReserved',
        data: {
          space,
          key: command.key,
          owner: command.owner,
          orgId: command.orgId,
          expiresAt: new Date(command.expiresAt).toISOString(),
        },
      },
    ],
  };
}

/**
 * The events that write holds kept somewhere else before (a service's older claim aggregates) into a
 * book, as confirmed holds: done with a book's first append, so they are not lost once it has one.
 */
export function importHolds(space: string, holds: ReadonlyMap<string, Hold>): NewReservationEvent[] {
  return [...holds].flatMap(([key, hold]): NewReservationEvent[] => [
    {
      type: 'KeyReserved',
      data: { space, key, owner: hold.owner, orgId: hold.orgId, expiresAt: new Date(0).toISOString() },
    },
    confirmed(key, hold.owner),
  ]);
}

const confirmed = (key: string, owner: string): NewReservationEvent => ({
  type: 'KeyConfirmed',
  data: { key, owner },
});
const released = (
  key: string,
  owner: string,
  reason: 'released' | 'abandoned' | 'reconciled',
): NewReservationEvent => ({ type: 'KeyReleased', data: { key, owner, reason } });
