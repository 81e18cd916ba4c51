/**
 * Failed guesses (a resource's PIN or password) per key, here the client address and resource: after
 * `max` failures in a window, further attempts are refused until the window ends. Bounded: past
 * `capacity` keys the oldest is forgotten. In memory, per gateway.
 */
export class AttemptLimiter {
  readonly #failures = new Map<string, { count: number; until: number }>();

  constructor(
    private readonly max = 5,
    private readonly windowMs = 5 * 60_000,
    private readonly capacity = 10_000,
  ) {}

  /** Seconds to wait before trying again (0: go ahead). */
  retryAfter(key: string, now: number): number {
    const entry = this.#failures.get(key);
    if (!entry) return 0;
    if (entry.until <= now) {
      this.#failures.delete(key);
      return 0;
    }
    return entry.count >= this.max ? Math.ceil((entry.until - now) / 1000) : 0;
  }

  failed(key: string, now: number): void {
    const entry = this.#failures.get(key);
    if (entry && entry.until > now) entry.count++;
    else {
      this.#failures.delete(key);
      this.#failures.set(key, { count: 1, until: now + this.windowMs });
      if (this.#failures.size > this.capacity) {
        const oldest = this.#failures.keys().next();
        if (!oldest.done) this.#failures.delete(oldest.value);
      }
    }
  }

  succeeded(key: string): void {
    this.#failures.delete(key);
  }
}
