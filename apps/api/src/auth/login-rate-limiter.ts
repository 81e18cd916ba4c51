import type { Redis } from 'ioredis';
import { ApiError, ApiErrorCode } from '../http/api-errors';

/**
 * Login attempts in fixed windows, counted in Redis so every API instance shares them: all
 * attempts per client IP, and failed attempts per account (a person who types their password
 * right is never locked out by someone else's guesses beyond the window).
 */
export class LoginRateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly limits: { perIp: number; perAccount: number; windowSeconds: number },
    private readonly prefix: string,
  ) {}

  async beforeAttempt(ip: string, email: string): Promise<void> {
    const ipCount = await this.#hit(`ip:${ip}`);
    if (ipCount > this.limits.perIp)
      await this.#refuse(`ip:${ip}`, 'too many login attempts from this address');
    const failures = Number((await this.redis.get(this.#key(`account:${email.toLowerCase()}`))) ?? 0);
    if (failures >= this.limits.perAccount)
      await this.#refuse(`account:${email.toLowerCase()}`, 'too many failed logins for this account');
  }

  async failed(email: string): Promise<void> {
    await this.#hit(`account:${email.toLowerCase()}`);
  }

  async #hit(name: string): Promise<number> {
    const key = this.#key(name);
    const [[, count]] = (await this.redis
      .multi()
      .incr(key)
      .expire(key, this.limits.windowSeconds, 'NX')
      .exec()) as [[null, number]];
    return count;
  }

  async #refuse(name: string, why: string): Promise<never> {
    const ttl = Math.max(1, await this.redis.ttl(this.#key(name)));
    throw new ApiError(ApiErrorCode.RateLimited, `${why}: try again in ${ttl} s`, {
      details: { retry_after: ttl },
    });
  }

  #key(name: string): string {
    return `${this.prefix}:login:${name}`;
  }
}
