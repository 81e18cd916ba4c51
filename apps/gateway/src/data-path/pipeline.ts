import type { Logger } from '@rustronaut/observability';
import { authenticateStage, policyStage } from './admission/access-stages';
import { EdgeAuthenticator } from './admission/auth/edge-authenticator';
import { EdgeEndpoints } from './admission/auth/edge-endpoints';
import type { AssertionKey } from './admission/auth/identity-assertion';
import { ConsoleTokenVerifier, SnapshotKeys, type TokenVerifier } from './admission/auth/token-verifier';
import { BotChallenge } from './admission/firewall/bot-challenge';
import { FirewallStage } from './admission/firewall/firewall';
import { NO_COUNTRIES, type CountryLookup } from './admission/firewall/geoip';
import { bodyLimitStage } from './admission/limits/body-limit';
import { RateLimiter } from './admission/limits/rate-limit';
import type { BucketStore } from './admission/limits/shared-buckets';
import type { Admission, AdmissionStage, Refusal, RoutedResource, SnapshotSource } from './model';

export interface PipelineOptions {
  /** How bearer tokens are checked; by default the console's access tokens, against the snapshots' keys. */
  verifier?: TokenVerifier | undefined;
  /** The gateway's key for `X-Rustronaut-Assertion` (and `/.rustronaut/jwks.json`). */
  assertions?: AssertionKey | undefined;
  /** The console's public URL, where browsers sign in. */
  consoleUrl?: string | undefined;
  /** Where client countries come from (RN_GEOIP_DB); unknown for everyone without one. */
  countries?: CountryLookup | undefined;
  /** Rate limits counted across gateways (RN_GATEWAY_REDIS_URL) or a gateway's workers; in this process without. */
  sharedBuckets?: BucketStore | undefined;
}

/**
 * The admission pipeline: the stages a routed request (or a forwarded TCP connection) runs, in
 * the order declared here, and the gateway's own pages (`/.rustronaut/…`) beside them.
 */
export class AdmissionPipeline {
  readonly stages: readonly AdmissionStage[];
  /** The gateway's own pages (sign-in callback, JWKS, unlock, …) on every resource host. */
  readonly endpoints: EdgeEndpoints;
  readonly #firewall: FirewallStage;
  readonly #rateLimiter: RateLimiter;

  constructor(configs: SnapshotSource, logger: Logger, options: PipelineOptions) {
    const keys = new SnapshotKeys(configs);
    const verifier = options.verifier ?? new ConsoleTokenVerifier(keys);
    const authenticator = new EdgeAuthenticator(configs, verifier, {
      ...(options.assertions ? { assertions: options.assertions } : {}),
      ...(options.consoleUrl ? { consoleUrl: options.consoleUrl } : {}),
    });
    this.endpoints = new EdgeEndpoints(keys, authenticator, options.assertions);
    const countries = options.countries ?? NO_COUNTRIES;
    this.#firewall = new FirewallStage(countries, logger);
    this.#rateLimiter = new RateLimiter(logger, options.sharedBuckets);
    const challenge = new BotChallenge(
      (siteId) => authenticator.secretOf(siteId),
      (token, resource) =>
        verifier
          .verify(token)
          .then(
            (v) => !('refusal' in v) && v.orgId === resource.orgId && !authenticator.isRevoked(v.sessionId),
          ),
    );
    // Cheap refusals first: the firewall, the body size, a flood from one address, a bot; then who, then may they.
    this.stages = [
      this.#firewall.stage,
      bodyLimitStage,
      this.#rateLimiter.beforeAuthentication,
      challenge.stage,
      authenticateStage(authenticator),
      this.#rateLimiter.afterAuthentication,
      policyStage(configs, countries),
    ];
  }

  /** New snapshots: the firewall and the rate limits take the resources' rules. */
  update(resources: readonly RoutedResource[]): void {
    this.#firewall.update(resources);
    this.#rateLimiter.update(resources);
  }

  /** Runs the stages; synchronous as long as every stage is (a public resource). */
  admit(admission: Admission): Refusal | undefined | Promise<Refusal | undefined> {
    return runStages(this.stages, admission);
  }
}

/**
 * Runs the stages in order and stops at the first refusal. Returns synchronously when every stage
 * did, so the hot path of a public resource allocates no promise.
 */
export function runStages(
  stages: readonly AdmissionStage[],
  admission: Admission,
  from = 0,
): Refusal | undefined | Promise<Refusal | undefined> {
  for (let i = from; i < stages.length; i++) {
    const outcome = stages[i]!(admission);
    if (outcome instanceof Promise) {
      return outcome.then((refusal) => refusal ?? runStages(stages, admission, i + 1));
    }
    if (outcome) return outcome;
  }
  return undefined;
}
