import { Redis } from 'ioredis';
import { createLogger } from '@rustronaut/observability';
import { freePort, uniqueName } from '@rustronaut/testing';
import { RateLimiter } from './rate-limit';
import { SharedBuckets } from './shared-buckets';
import type { Admission } from '../../model';

const REDIS = process.env['RN_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const limit = { requestsPerMinute: 60, burst: 5, per: 'resource' as const };
const admission = (ip: string) =>
  ({
    facts: { ip },
    resource: { id: 'res_shared', name: 'shared', rateLimit: limit },
    caller: null,
  }) as unknown as Admission;

describe('shared token buckets (real Redis)', () => {
  const opened: SharedBuckets[] = [];
  const open = (url: string, prefix: string) => {
    const shared = new SharedBuckets(url, prefix);
    opened.push(shared);
    return shared;
  };
  afterAll(() => opened.forEach((s) => s.close()));

  it('counts two gateways against one bucket', async () => {
    const prefix = uniqueName('rl');
    const a = open(REDIS, prefix);
    const b = open(REDIS, prefix);
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) waits.push(await a.take('res_x:*', limit), await b.take('res_x:*', limit));
    expect(waits.filter((w) => w === 0)).toHaveLength(5);
    expect(waits.slice(5).every((w) => w > 0 && w <= 1000)).toBe(true);
    // The bucket expires once it would be full again (5 tokens at 1/s, plus a second).
    const redis = new Redis(REDIS);
    const ttl = await redis.pttl(`${prefix}:rate:res_x:*`);
    redis.disconnect();
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(6000);
  });

  it('falls back to counting locally when Redis does not answer, and still limits', async () => {
    const dead = open(`redis://127.0.0.1:${await freePort()}`, 'rl');
    const limiter = new RateLimiter(createLogger('test', 'silent'), dead);
    const outcomes = [];
    for (let i = 0; i < 7; i++) outcomes.push(await limiter.beforeAuthentication(admission('127.0.0.9')));
    expect(outcomes.slice(0, 5)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(outcomes[5]).toMatchObject({ status: 429, headers: { 'retry-after': '1' } });
  });
});
