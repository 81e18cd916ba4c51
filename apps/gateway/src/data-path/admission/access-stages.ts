import { decide } from '@rustronaut/policy-engine';
import { countryOf, type CountryLookup } from './firewall/geoip';
import type { EdgeAuthenticator } from './auth/edge-authenticator';
import type { AdmissionStage, Refusal, SnapshotSource } from '../model';

/**
 * Who is asking: a bearer token or the resource's session cookie, checked locally (synchronous once
 * the credential is cached). A public resource needs no one.
 */
export function authenticateStage(authenticator: EdgeAuthenticator): AdmissionStage {
  return (admission) => {
    const outcome = authenticator.authenticate(admission);
    if (outcome === undefined) return undefined;
    return outcome instanceof Promise ? outcome.then(byAuthentication) : byAuthentication(outcome);
  };
}

/** A refusal of this stage is logged as authentication's (sign-in redirects included). */
function byAuthentication(refusal: Refusal | undefined): Refusal | undefined {
  if (refusal) refusal.by ??= 'authentication';
  return refusal;
}

/** May they: the site's policies, for this user, address, path, method and time. */
export function policyStage(configs: SnapshotSource, countries: CountryLookup): AdmissionStage {
  return (admission) => {
    if (!admission.resource.authRequired) return undefined;
    // A PIN, password or share link is the resource owner's own grant to someone without an account.
    const via = admission.caller?.via;
    if (via === 'pin' || via === 'password' || via === 'share_link') return undefined;
    const snapshot = configs.get(admission.resource.siteId)?.snapshot;
    const decision = decide(snapshot?.policies ?? [], admission.resource.id, {
      user: admission.caller,
      ip: admission.facts.ip,
      country: countryOf(admission, countries),
      path: admission.facts.path,
      method: admission.facts.method,
      at: new Date(),
    });
    admission.record.rule = decision.decidedBy;
    if (!decision.allowed)
      return { status: 403, message: `Access denied: ${decision.reason}.`, by: 'policy' };
    return undefined;
  };
}
