import { createLogger } from '@rustronaut/observability';
import { RateLimiter } from './rate-limit';
import type { Admission } from '../../model';

const limited = (per: 'ip' | 'user' | 'resource') => ({
  id: `res_${per}`,
  name: per,
  rateLimit: { requestsPerMinute: 60, burst: 2, per },
});

function admission(per: 'ip' | 'user' | 'resource', ip: string, userId?: string): Admission {
  return {
    facts: { ip },
    resource: limited(per),
    caller: userId === undefined ? null : { id: userId, email: '', role: 'member', groups: [] },
  } as unknown as Admission;
}

describe('rate limit stages (in memory)', () => {
  const now = 1_000_000;
  const statuses = (
    limiter: RateLimiter,
    stage: 'beforeAuthentication' | 'afterAuthentication',
    a: Admission,
    n: number,
  ) => Array.from({ length: n }, () => (limiter[stage](a) as { status: number } | undefined)?.status ?? 200);

  it('per ip: each address has its own bucket; the refusal says when to retry', () => {
    const limiter = new RateLimiter(createLogger('t', 'silent'), undefined, () => now);
    expect(statuses(limiter, 'beforeAuthentication', admission('ip', '10.0.0.1'), 3)).toEqual([
      200, 200, 429,
    ]);
    expect(statuses(limiter, 'beforeAuthentication', admission('ip', '10.0.0.2'), 1)).toEqual([200]);
    expect(limiter.beforeAuthentication(admission('ip', '10.0.0.1'))).toMatchObject({
      headers: { 'retry-after': '1' },
    });
    expect(limiter.afterAuthentication(admission('ip', '10.0.0.1'))).toBeUndefined(); // not its stage
  });

  it('per resource: one bucket for everyone', () => {
    const limiter = new RateLimiter(createLogger('t', 'silent'), undefined, () => now);
    expect(statuses(limiter, 'beforeAuthentication', admission('resource', '10.0.0.1'), 2)).toEqual([
      200, 200,
    ]);
    expect(statuses(limiter, 'beforeAuthentication', admission('resource', '10.0.0.2'), 1)).toEqual([429]);
  });

  it('per user: after authentication, by user; without a user (PIN, anonymous) by address', () => {
    const limiter = new RateLimiter(createLogger('t', 'silent'), undefined, () => now);
    expect(limiter.beforeAuthentication(admission('user', '10.0.0.1', 'usr_a'))).toBeUndefined();
    expect(statuses(limiter, 'afterAuthentication', admission('user', '10.0.0.1', 'usr_a'), 3)).toEqual([
      200, 200, 429,
    ]);
    expect(statuses(limiter, 'afterAuthentication', admission('user', '10.0.0.1', 'usr_b'), 1)).toEqual([
      200,
    ]);
    // Two PIN sessions (no user id) from different addresses do not share one bucket.
    expect(statuses(limiter, 'afterAuthentication', admission('user', '10.0.0.7', ''), 2)).toEqual([
      200, 200,
    ]);
    expect(statuses(limiter, 'afterAuthentication', admission('user', '10.0.0.8', ''), 2)).toEqual([
      200, 200,
    ]);
  });

  it('forgets the buckets of a resource that is no longer limited', () => {
    let t = now;
    const limiter = new RateLimiter(createLogger('t', 'silent'), undefined, () => t);
    statuses(limiter, 'beforeAuthentication', admission('ip', '10.0.0.1'), 2);
    limiter.update([]);
    t += 1; // no time to refill
    expect(statuses(limiter, 'beforeAuthentication', admission('ip', '10.0.0.1'), 1)).toEqual([200]);
  });
});
