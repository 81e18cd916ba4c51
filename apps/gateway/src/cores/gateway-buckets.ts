import type { Logger } from '@rustronaut/observability';
import type { BucketStore } from '../data-path/admission/limits/shared-buckets';
import { TokenBuckets, type BucketLimit } from '../data-path/admission/limits/token-buckets';

/**
 * The rate-limit buckets of a gateway with several workers, kept by its primary so a limit is one
 * per key for the whole gateway (every worker asks here): in Redis when one is configured (shared
 * with the other gateways), else in memory. When Redis fails the primary counts in memory, and says
 * so once, until Redis answers again (as one process does on its own).
 */
export class GatewayBuckets {
  readonly #local = new TokenBuckets();
  #redisDown = false;

  constructor(
    private readonly redis: BucketStore | undefined,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async take(key: string, limit: BucketLimit): Promise<number> {
    if (!this.redis) return this.#local.take(key, limit, this.now());
    try {
      const wait = await this.redis.take(key, limit);
      if (this.#redisDown) {
        this.#redisDown = false;
        this.logger.warn('shared rate limits: Redis answers again; counting there');
      }
      return wait;
    } catch (error) {
      if (!this.#redisDown) {
        this.#redisDown = true;
        this.logger.error(
          { err: error },
          'shared rate limits: Redis is not answering; counting on this gateway alone until it does',
        );
      }
      return this.#local.take(key, limit, this.now());
    }
  }

  close(): void {
    this.redis?.close();
  }
}
