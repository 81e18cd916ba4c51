import type * as IoRedis from 'ioredis';
import type { BucketLimit } from './token-buckets';

/**
 * The same token bucket as TokenBuckets, kept in Redis so every gateway of a site counts against
 * one limit. The script runs atomically on the Redis server with the server's clock (one clock for
 * all gateways); a bucket's key expires once it would be full again anyway.
 */
const TAKE_TOKEN = `
local burst = tonumber(ARGV[2])
local per_ms = tonumber(ARGV[1]) / 60000
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
if now > at then tokens = math.min(burst, tokens + (now - at) * per_ms) end
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / per_ms) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / per_ms) + 1000)
return wait
`;

/**
 * Token buckets counted somewhere every taker shares: Redis (across gateways), or the gateway's
 * primary process (across its data-plane workers). `take` resolves to 0 when there was a token,
 * else the ms to wait; it rejects when the store does not answer (the caller then counts alone).
 */
export interface BucketStore {
  take(key: string, limit: BucketLimit): Promise<number>;
  close(): void;
}

type WithTakeToken = IoRedis.Redis & {
  rnTakeToken(key: string, requestsPerMinute: number, burst: number): Promise<number>;
};

export class SharedBuckets implements BucketStore {
  readonly #redis: WithTakeToken;
  readonly #firstConnection: Promise<void>;
  #everReady = false;

  constructor(
    url: string,
    private readonly prefix: string,
  ) {
    // ioredis (about 18 MB resident) is loaded only by a gateway given RN_GATEWAY_REDIS_URL.
    const { Redis } = require('ioredis') as typeof IoRedis;
    const redis = new Redis(url, {
      // Fail fast instead of queueing while Redis is away: the caller counts locally meanwhile.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 500,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    });
    redis.on('error', () => undefined); // reported by the failing calls, once (see RateLimiter)
    redis.defineCommand('rnTakeToken', { numberOfKeys: 1, lua: TAKE_TOKEN });
    this.#redis = redis as WithTakeToken;
    // Right after start, wait (briefly) for the first connection rather than counting locally.
    this.#firstConnection = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2_000);
      redis.once('ready', () => {
        this.#everReady = true;
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Takes a token from the shared bucket: 0 when there was one, else ms to wait. Rejects when Redis fails. */
  async take(key: string, limit: BucketLimit): Promise<number> {
    if (!this.#everReady) await this.#firstConnection;
    return Number(
      await this.#redis.rnTakeToken(`${this.prefix}:rate:${key}`, limit.requestsPerMinute, limit.burst),
    );
  }

  close(): void {
    this.#redis.disconnect();
  }
}
