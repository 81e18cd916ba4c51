import type { ReservationEvent } from '@rustronaut/contracts';
import {
  checkKey,
  decideReservation,
  emptyBook,
  evolveBook,
  type Facts,
  type NewReservationEvent,
  type ReservationBook,
  type ReservationCommand,
} from './reservation-book';

// given: the events a book has; when: a command at a time, with what was found out; then: the verdict.

const NOW = Date.parse('2026-12-07T00:00:00Z');
const LATER = NOW + 60_000;

function given(...events: NewReservationEvent[]): ReservationBook {
  return events.reduce(
    (book, event) => evolveBook(book, { ...event, orgId: 'org_a' } as unknown as ReservationEvent),
    emptyBook,
  );
}
const reserved = (
  key: string,
  owner: string,
  expiresAt = NOW + 30_000,
  orgId = 'org_a',
): NewReservationEvent => ({
  type: 'KeyReserved',
  data: { space: 't', key, owner, orgId, expiresAt: new Date(expiresAt).toISOString() },
});
const confirmed = (key: string, owner: string): NewReservationEvent => ({
  type: 'KeyConfirmed',
  data: { key, owner },
});
const released = (
  key: string,
  owner: string,
  reason: 'released' | 'abandoned' | 'reconciled' = 'released',
): NewReservationEvent => ({ type: 'KeyReleased', data: { key, owner, reason } });

const reserve = (key: string, owner: string, expiresAt = NOW + 30_000): ReservationCommand => ({
  kind: 'reserve',
  key,
  owner,
  orgId: 'org_a',
  expiresAt,
});

function when(book: ReservationBook, command: ReservationCommand, facts: Partial<Facts> = {}) {
  return decideReservation(
    book,
    command,
    { now: NOW, collides: () => false, checked: new Map(), ...facts },
    't',
  );
}

describe('reservations: reserve', () => {
  it('given a free key, when reserved, then it is reserved for the owner until it expires', () => {
    expect(when(given(), reserve('a.example', 'res_1'))).toEqual({
      outcome: 'append',
      events: [reserved('a.example', 'res_1')],
    });
  });

  it('given a key another owner reserved a moment ago, when reserved, then it is taken (a commit may be under way)', () => {
    const book = given(reserved('a.example', 'res_1'));
    expect(when(book, reserve('a.example', 'res_2'))).toMatchObject({
      outcome: 'taken',
      key: 'a.example',
      holder: { owner: 'res_1', status: 'reserved' },
      events: [],
    });
  });

  it('given a confirmed key, when another owner wants it, then the holder is checked first', () => {
    const book = given(reserved('a.example', 'res_1'), confirmed('a.example', 'res_1'));
    expect(when(book, reserve('a.example', 'res_2'))).toEqual({
      outcome: 'check',
      holds: [{ key: 'a.example', owner: 'res_1' }],
    });
  });

  it('given a confirmed key its owner uses, when another owner wants it, then it is taken', () => {
    const book = given(reserved('a.example', 'res_1'), confirmed('a.example', 'res_1'));
    const checked = new Map([[checkKey('res_1', 'a.example'), true]]);
    expect(when(book, reserve('a.example', 'res_2'), { checked })).toMatchObject({
      outcome: 'taken',
      holder: { owner: 'res_1', status: 'confirmed' },
      events: [],
    });
  });

  it('given a confirmed key its owner no longer uses (it died after its commit, before releasing), then it is reconciled and reserved', () => {
    const book = given(reserved('a.example', 'res_1'), confirmed('a.example', 'res_1'));
    const checked = new Map([[checkKey('res_1', 'a.example'), false]]);
    expect(when(book, reserve('a.example', 'res_2'), { checked })).toEqual({
      outcome: 'append',
      events: [released('a.example', 'res_1', 'reconciled'), reserved('a.example', 'res_2')],
    });
  });

  it('given a reservation that expired unconfirmed and an owner that never committed (died before), then the key is free', () => {
    const book = given(reserved('a.example', 'res_1', NOW - 1));
    expect(when(book, reserve('a.example', 'res_2'))).toEqual({
      outcome: 'check',
      holds: [{ key: 'a.example', owner: 'res_1' }],
    });
    const checked = new Map([[checkKey('res_1', 'a.example'), false]]);
    expect(when(book, reserve('a.example', 'res_2'), { checked })).toEqual({
      outcome: 'append',
      events: [released('a.example', 'res_1', 'reconciled'), reserved('a.example', 'res_2')],
    });
  });

  it('given a reservation that expired unconfirmed but whose owner committed (died before confirming), then it is confirmed for it and taken', () => {
    const book = given(reserved('a.example', 'res_1', NOW - 1));
    const checked = new Map([[checkKey('res_1', 'a.example'), true]]);
    expect(when(book, reserve('a.example', 'res_2'), { checked })).toMatchObject({
      outcome: 'taken',
      holder: { owner: 'res_1', status: 'confirmed' },
      events: [confirmed('a.example', 'res_1')],
    });
  });

  it('given a key its owner holds confirmed, when the owner reserves it again, then nothing changes', () => {
    const book = given(reserved('a.example', 'res_1'), confirmed('a.example', 'res_1'));
    expect(when(book, reserve('a.example', 'res_1'))).toEqual({ outcome: 'unchanged' });
  });

  it('given a key its owner reserved, when the owner reserves it again (a retry), then the reservation is renewed', () => {
    const book = given(reserved('a.example', 'res_1'));
    expect(when(book, reserve('a.example', 'res_1', LATER))).toEqual({
      outcome: 'append',
      events: [reserved('a.example', 'res_1', LATER)],
    });
  });

  it('given colliding keys (overlapping subnets), when another owner reserves one, then the other one decides', () => {
    const overlap = (a: string, b: string) => a.slice(0, 5) === b.slice(0, 5);
    const book = given(reserved('10.1.0.0/24', 'st_1'));
    expect(when(book, reserve('10.1.0.0/25', 'st_2'), { collides: overlap })).toMatchObject({
      outcome: 'taken',
      key: '10.1.0.0/24',
    });
    expect(when(book, reserve('10.1.0.0/25', 'st_1'), { collides: overlap })).toMatchObject({
      outcome: 'append', // an owner never collides with itself (a site widening its own subnet)
    });
    expect(when(book, reserve('10.2.0.0/24', 'st_2'), { collides: overlap })).toMatchObject({
      outcome: 'append',
    });
  });
});

describe('reservations: confirm and release', () => {
  it('given a reservation, when its owner confirms, then it is confirmed; confirming again changes nothing', () => {
    const book = given(reserved('k', 'o1'));
    expect(when(book, { kind: 'confirm', key: 'k', owner: 'o1' })).toEqual({
      outcome: 'append',
      events: [confirmed('k', 'o1')],
    });
    expect(
      when(given(reserved('k', 'o1'), confirmed('k', 'o1')), { kind: 'confirm', key: 'k', owner: 'o1' }),
    ).toEqual({
      outcome: 'unchanged',
    });
  });

  it('given a reservation that was taken over after it expired, when the late owner confirms, then it has lost it', () => {
    const book = given(reserved('k', 'o1', NOW - 1), released('k', 'o1', 'reconciled'), reserved('k', 'o2'));
    expect(when(book, { kind: 'confirm', key: 'k', owner: 'o1' })).toMatchObject({
      outcome: 'lost',
      holder: { owner: 'o2' },
    });
  });

  it('given a failed commit, when its owner abandons the reservation, then the key is free for anyone', () => {
    const book = given(reserved('k', 'o1'));
    const verdict = when(book, { kind: 'release', key: 'k', owner: 'o1', reason: 'abandoned' });
    expect(verdict).toEqual({ outcome: 'append', events: [released('k', 'o1', 'abandoned')] });
    const after = given(reserved('k', 'o1'), released('k', 'o1', 'abandoned'));
    expect(after.size).toBe(0);
    expect(when(after, reserve('k', 'o2'))).toMatchObject({ outcome: 'append' });
  });

  it('given a key held by someone else, when another owner releases it, then nothing changes', () => {
    const book = given(reserved('k', 'o1'), confirmed('k', 'o1'));
    expect(when(book, { kind: 'release', key: 'k', owner: 'o2', reason: 'released' })).toEqual({
      outcome: 'unchanged',
    });
    // and a release event of the wrong owner is ignored by the fold
    expect(
      evolveBook(book, { ...released('k', 'o2'), orgId: 'org_a' } as unknown as ReservationEvent).get('k'),
    ).toMatchObject({ owner: 'o1' });
  });
});

describe('reservations: any history', () => {
  it('never lets two owners hold one key, whatever the order of commands', () => {
    // A generator of histories: random reserves, confirms, releases and clock jumps by 4 owners on 3
    // keys, each decided and applied as the mechanism does (checks answered from who committed).
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const violations: string[] = [];
    for (let run = 0; run < 300; run++) {
      let book = emptyBook;
      let now = NOW;
      const committed = new Set<string>(); // `owner key` the owners' own aggregates use
      for (let step = 0; step < 40; step++) {
        const owner = `o${random(4)}`;
        const key = `k${random(3)}`;
        const roll = random(10);
        if (roll === 0) now += 31_000;
        const command: ReservationCommand =
          roll < 6
            ? { kind: 'reserve', key, owner, orgId: 'org_a', expiresAt: now + 30_000 }
            : roll < 8
              ? { kind: 'confirm', key, owner }
              : { kind: 'release', key, owner, reason: 'released' };
        const checked = new Map<string, boolean>();
        let verdict = decideReservation(book, command, { now, collides: () => false, checked });
        if (verdict.outcome === 'check') {
          for (const h of verdict.holds)
            checked.set(checkKey(h.owner, h.key), committed.has(checkKey(h.owner, h.key)));
          verdict = decideReservation(book, command, { now, collides: () => false, checked });
        }
        const apply = verdict.outcome === 'append' || verdict.outcome === 'taken' ? verdict.events : [];
        for (const e of apply)
          book = evolveBook(book, { ...e, orgId: 'org_a' } as unknown as ReservationEvent);
        if (command.kind === 'confirm' && verdict.outcome !== 'lost') committed.add(checkKey(owner, key));
        if (command.kind === 'release') committed.delete(checkKey(owner, key));
        // Invariant: a key that an owner's aggregate uses (committed) is held by that owner, and
        // two owners never both use one key.
        for (const k of ['k0', 'k1', 'k2']) {
          const users = [...committed].filter((c) => c.endsWith(` ${k}`)).map((c) => c.split(' ')[0]);
          if (users.length > 1 || (users[0] && book.get(k)?.owner !== users[0]))
            violations.push(
              `run ${run} step ${step}: ${k} used by ${users.join(',')}, held by ${book.get(k)?.owner}`,
            );
        }
      }
    }
    expect(violations).toEqual([]);
  });
});
