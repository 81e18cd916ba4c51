import type { Redis } from 'ioredis';

/**
 * Revoked sessions, shared through Redis by every process that accepts access tokens (the API,
 * and later the gateways): a revoked session's tokens are refused at once, not when they expire.
 * An entry lives as long as the longest access token could.
 */
export class RevocationList {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'rn',
  ) {}

  async revokeSession(sessionId: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.#key(sessionId), '1', 'EX', Math.max(1, Math.ceil(ttlSeconds)));
  }

  /**
   * Takes a revocation back: only for an id revoked on someone's behalf that holds again (the API
   * keys of an account enabled again); a session ended by logout or reuse is never restored.
   */
  async restoreSession(sessionId: string): Promise<void> {
    await this.redis.del(this.#key(sessionId));
  }

  async isSessionRevoked(sessionId: string): Promise<boolean> {
    return (await this.redis.exists(this.#key(sessionId))) === 1;
  }

  #key(sessionId: string): string {
    return `${this.prefix}:revoked:session:${sessionId}`;
  }
}
