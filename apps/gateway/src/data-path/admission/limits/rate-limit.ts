import type { Logger } from '@rustronaut/observability';
import type { BucketStore } from './shared-buckets';
import { TokenBuckets } from './token-buckets';
import type { AdmissionStage, Refusal, RoutedResource } from '../../model';

/**
 * Rate limits per resource (`rateLimit: { requestsPerMinute, burst, per }`), as two admission stages:
 * `per: ip` and `per: resource` before authentication (a flood is turned away before any token is
 * checked), `per: user` after it (a request without a user — anonymous, or by PIN, password or share
 * link — counts by address).
 * Counted in memory per gateway, or in a shared store (Redis across the gateways when one is
 * configured, else the primary across a gateway's workers); when the store fails this process
 * counts locally (and says so once) until it answers again.
 */
export class RateLimiter {
  readonly #local = new Map<string, TokenBuckets>();
  #sharedDown = false;

  constructor(
    private readonly logger: Logger,
    private readonly shared?: BucketStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Forgets the buckets of resources that are gone or no longer limited. */
  update(resources: Iterable<RoutedResource>): void {
    const limited = new Set<string>();
    for (const resource of resources) if (resource.rateLimit) limited.add(resource.id);
    for (const id of this.#local.keys()) if (!limited.has(id)) this.#local.delete(id);
  }

  readonly beforeAuthentication: AdmissionStage = (admission) => {
    const limit = admission.resource.rateLimit;
    if (!limit || limit.per === 'user') return undefined;
    return this.#take(admission.resource, limit, limit.per === 'ip' ? admission.facts.ip : '*');
  };

  readonly afterAuthentication: AdmissionStage = (admission) => {
    const limit = admission.resource.rateLimit;
    if (!limit || limit.per !== 'user') return undefined;
    // A PIN, password or share-link session has no user: it counts by address, like an anonymous request.
    const user = admission.caller?.id;
    const subject = user ? `user:${user}` : admission.facts.ip;
    return this.#take(admission.resource, limit, subject);
  };

  #take(
    resource: RoutedResource,
    limit: RateLimit,
    subject: string,
  ): Refusal | undefined | Promise<Refusal | undefined> {
    if (!this.shared) return refusalOf(resource.name, limit, this.#takeLocal(resource.id, limit, subject));
    return this.shared.take(`${resource.id}:${subject}`, limit).then(
      (wait) => {
        if (this.#sharedDown) {
          this.#sharedDown = false;
          this.logger.warn('shared rate limits: Redis answers again; counting there');
        }
        return refusalOf(resource.name, limit, wait);
      },
      (error: unknown) => {
        if (!this.#sharedDown) {
          this.#sharedDown = true;
          this.logger.error(
            { err: error },
            'shared rate limits: Redis is not answering; counting on this gateway alone until it does',
          );
        }
        return refusalOf(resource.name, limit, this.#takeLocal(resource.id, limit, subject));
      },
    );
  }

  #takeLocal(resourceId: string, limit: RateLimit, subject: string): number {
    let buckets = this.#local.get(resourceId);
    if (!buckets) this.#local.set(resourceId, (buckets = new TokenBuckets()));
    return buckets.take(subject, limit, this.now());
  }
}

type RateLimit = NonNullable<RoutedResource['rateLimit']>;

function refusalOf(resourceName: string, limit: RateLimit, waitMs: number): Refusal | undefined {
  if (waitMs <= 0) return undefined;
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return {
    status: 429,
    message: `Too many requests to ${resourceName}: the limit is ${limit.requestsPerMinute} a minute (bursts of ${limit.burst}) per ${limit.per}. Retry in ${seconds} s.`,
    headers: { 'retry-after': String(seconds) },
    by: 'rate_limit',
  };
}
