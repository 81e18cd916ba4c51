import { TokenBuckets } from './token-buckets';

describe('token buckets', () => {
  const limit = { requestsPerMinute: 60, burst: 3 }; // one a second, three at once

  it('lets a burst through, then one per refill interval, and says how long to wait', () => {
    const buckets = new TokenBuckets();
    const t = 1_000_000;
    expect([0, 1, 2].map(() => buckets.take('a', limit, t))).toEqual([0, 0, 0]);
    expect(buckets.take('a', limit, t)).toBe(1000);
    expect(buckets.take('a', limit, t + 400)).toBe(600);
    expect(buckets.take('a', limit, t + 1000)).toBe(0);
    expect(buckets.take('a', limit, t + 1000)).toBe(1000);
    // After a long pause the bucket is full again, not fuller than the burst.
    expect([0, 1, 2, 3].map(() => buckets.take('a', limit, t + 60_000))).toEqual([0, 0, 0, 1000]);
  });

  it('keeps keys apart', () => {
    const buckets = new TokenBuckets();
    for (let i = 0; i < 3; i++) buckets.take('a', limit, 0);
    expect(buckets.take('a', limit, 0)).toBeGreaterThan(0);
    expect(buckets.take('b', limit, 0)).toBe(0);
  });

  it('stays within its bound by dropping the oldest key', () => {
    const buckets = new TokenBuckets(100);
    for (let i = 0; i < 1000; i++) buckets.take(`ip${i}`, limit, 0);
    expect(buckets.size).toBe(100);
    for (let i = 0; i < 3; i++) buckets.take('ip999', limit, 0);
    expect(buckets.take('ip999', limit, 0)).toBeGreaterThan(0); // a recent key is still counted
  });
});
