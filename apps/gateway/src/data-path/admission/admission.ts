import type { IncomingMessage } from 'node:http';
import type { AccessRecord } from '../../access-log/access-record';
import type { Refusal } from '../http/pages';
import type { RequestFacts } from '../http/request-facts';
import type { RoutedResource } from '../http/route-table';
import type { Caller } from './auth/token-verifier';

/** One request on its way through the admission stages. */
export interface Admission {
  req: IncomingMessage;
  facts: RequestFacts;
  resource: RoutedResource;
  /** Set by the authentication stage; null for a public resource. */
  caller: Caller | null;
  /** The client's country (ISO 3166), null when unknown; undefined until a stage asks (geoip countryOf). */
  country?: string | null;
  /** The signed identity assertion for the upstream (X-Rustronaut-Assertion), when there is a caller. */
  assertion?: string | undefined;
  /** Headers a stage wants on the response the client finally gets (e.g. a refreshed session cookie). */
  responseHeaders?: Record<string, string | string[]>;
  /** The request's access record: stages note what decided (e.g. the policy rule). */
  record: AccessRecord;
}

/**
 * A stage looks at a routed request and either lets it go on (undefined) or answers it (a Refusal:
 * an error page, a redirect to sign in, a challenge). Synchronous stages keep a public resource's
 * request in one tick; a stage that must wait (a token check, a shared rate limit) returns a promise.
 */
export type AdmissionStage = (admission: Admission) => Refusal | undefined | Promise<Refusal | undefined>;

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
