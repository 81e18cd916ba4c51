/** A limit in the resource's terms: a steady rate per minute, and how many may come at once. */
export interface BucketLimit {
  requestsPerMinute: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  at: number;
}

/**
 * Token buckets in memory, one per key (a client address, a user, or the whole resource): each
 * holds up to `burst` tokens and refills at `requestsPerMinute`; a request takes one. Buckets are
 * brought up to date when touched, so there is no timer per key. The map is bounded: when full, the
 * least recently created bucket is dropped (its key starts again with a full bucket).
 */
export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();

  constructor(private readonly maxKeys = 50_000) {}

  get size(): number {
    return this.#buckets.size;
  }

  /** Takes a token: 0 when there was one, else how many ms until there will be. */
  take(key: string, limit: BucketLimit, now: number): number {
    const perMs = limit.requestsPerMinute / 60_000;
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.maxKeys) this.#evictOldest();
      bucket = { tokens: limit.burst, at: now };
      this.#buckets.set(key, bucket);
    } else if (now > bucket.at) {
      bucket.tokens = Math.min(limit.burst, bucket.tokens + (now - bucket.at) * perMs);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / perMs);
  }

  #evictOldest(): void {
    const oldest = this.#buckets.keys().next();
    if (!oldest.done) this.#buckets.delete(oldest.value);
  }
}
