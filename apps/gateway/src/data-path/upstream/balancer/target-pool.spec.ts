import { TargetPool } from './target-pool';
import { DEFAULT_EJECTION, TargetState, type TargetData } from './target-state';

const target = (id: string, weight = 1, region: string | null = null): TargetState =>
  TargetState.of({
    id,
    address: `127.0.0.1:${1000 + id.charCodeAt(0)}`,
    protocol: 'http',
    weight,
    region,
    healthCheck: null,
  } satisfies TargetData)!;

const picks = (pool: TargetPool, n: number, now = 0) =>
  Array.from({ length: n }, () => pool.pick(now)?.id ?? '-').join('');

describe('TargetPool', () => {
  it('weighted: smooth weighted round robin interleaves like nginx (5,1,1 → a a b a c a a)', () => {
    const pool = new TargetPool('r', 'r', 'weighted', [target('a', 5), target('b', 1), target('c', 1)], null);
    expect(picks(pool, 14)).toBe('aabacaaaabacaa');
  });

  it('weighted: the shares follow the weights and a weight-0 target gets nothing', () => {
    const pool = new TargetPool('r', 'r', 'weighted', [target('a', 3), target('b', 1), target('z', 0)], null);
    const counts = picks(pool, 400)
      .split('')
      .reduce<Record<string, number>>((c, id) => ({ ...c, [id]: (c[id] ?? 0) + 1 }), {});
    expect(counts).toEqual({ a: 300, b: 100 });
  });

  it('round robin skips a target that failed its checks and one that is ejected', () => {
    const [a, b, c] = [target('a'), target('b'), target('c')];
    const pool = new TargetPool('r', 'r', 'round_robin', [a!, b!, c!], null);
    expect(picks(pool, 3)).toBe('abc');
    b!.healthy = false;
    expect(picks(pool, 4)).toBe('acac');
    b!.healthy = true;
    c!.ejectedUntil = 10;
    expect(picks(pool, 4, 5)).toBe('abab');
    expect(pool.usableCount(5)).toBe(2);
    expect(picks(pool, 3, 11)).toBe('cab');
  });

  it('least connections: the fewest in flight, ties to the larger weight', () => {
    const [slow, fast, heavy] = [target('s', 1), target('f', 1), target('h', 2)];
    const pool = new TargetPool('r', 'r', 'least_connections', [slow!, fast!, heavy!], null);
    expect(pool.pick(0)).toBe(heavy); // all idle: the heaviest
    heavy!.inFlight = 1;
    slow!.inFlight = 3;
    expect(pool.pick(0)).toBe(fast);
    fast!.inFlight = 1;
    expect(pool.pick(0)).toBe(heavy); // 1 = 1: weight decides
  });

  it('least connections alternates between equal idle targets', () => {
    const pool = new TargetPool('r', 'r', 'least_connections', [target('a'), target('b')], null);
    expect(picks(pool, 4)).toBe('abab');
  });

  it('region aware: the preferred region while any of it is usable, then the others', () => {
    const [eu1, eu2, us] = [target('e', 1, 'eu'), target('f', 1, 'eu'), target('u', 5, 'us')];
    const pool = new TargetPool('r', 'r', 'region_aware', [eu1!, us!, eu2!], 'eu');
    expect(picks(pool, 4)).toBe('efef');
    eu1!.healthy = false;
    eu2!.ejectedUntil = 100;
    expect(picks(pool, 2)).toBe('uu');
    eu2!.ejectedUntil = 0;
    expect(picks(pool, 2)).toBe('ff');
  });

  it('excludes the target that just failed, and finds none when it was the only one', () => {
    const [a, b] = [target('a'), target('b')];
    expect(new TargetPool('r', 'r', 'weighted', [a!, b!], null).pick(0, a)).toBe(b);
    expect(new TargetPool('r', 'r', 'round_robin', [a!], null).pick(0, a)).toBeUndefined();
  });
});

describe('TargetState', () => {
  it('is ejected after N consecutive connection failures, for a backoff that doubles up to a cap', () => {
    const t = target('a');
    const policy = { ...DEFAULT_EJECTION, afterFailures: 2, baseMs: 1000, maxMs: 3000 };
    expect(t.connectFailed(0, policy)).toBe(false);
    expect(t.connectFailed(0, policy)).toBe(true);
    expect(t.ejectedUntil).toBe(1000);
    expect(t.usable(500)).toBe(false);
    expect(t.usable(1000)).toBe(true);
    expect(t.connectFailed(1000, policy)).toBe(true); // still failing once back: ejected again, longer
    expect(t.ejectedUntil).toBe(3000);
    expect(t.connectFailed(3000, policy)).toBe(true);
    expect(t.ejectedUntil).toBe(6000); // capped at 3 s
    t.succeeded();
    expect(t.connectFailed(6000, policy)).toBe(false);
  });

  it('changes health only after the thresholds of checks in a row', () => {
    const t = target('a');
    const thresholds = { healthy: 2, unhealthy: 3 };
    expect(t.checked(false, 'ECONNREFUSED', thresholds)).toBe(false);
    expect(t.checked(false, 'ECONNREFUSED', thresholds)).toBe(false);
    expect(t.checked(true, 'HTTP 200', thresholds)).toBe(false); // the run is broken
    t.checked(false, 'x', thresholds);
    t.checked(false, 'x', thresholds);
    expect(t.checked(false, 'x', thresholds)).toBe(true);
    expect(t.healthy).toBe(false);
    expect(t.checked(true, 'HTTP 200', thresholds)).toBe(false);
    expect(t.checked(true, 'HTTP 200', thresholds)).toBe(true);
    expect(t.healthy).toBe(true);
  });
});
