import { decide } from '@rustronaut/policy-engine';
import type { AdmissionStage } from './admission';
import { countryOf, type CountryLookup } from './firewall/geoip';
import type { SnapshotSource } from './snapshot-source';
import type { TokenVerifier } from './token-verifier';

/** Who is asking: a bearer access token, checked locally. A public resource needs no one. */
export function authenticateStage(verifier: TokenVerifier): AdmissionStage {
  return async (admission) => {
    if (!admission.resource.authRequired) return undefined;
    const token = /^Bearer\s+(\S+)$/i.exec(admission.req.headers.authorization ?? '')?.[1];
    if (!token)
      return {
        status: 401,
        message: 'This resource needs you to sign in: send "Authorization: Bearer <access token>".',
      };
    const outcome = await verifier.verify(token, admission.resource);
    if ('refusal' in outcome) return { status: 401, message: outcome.refusal };
    admission.caller = outcome;
    return undefined;
  };
}

/** May they: the site's policies, for this user, address, path, method and time. */
export function policyStage(configs: SnapshotSource, countries: CountryLookup): AdmissionStage {
  return (admission) => {
    if (!admission.resource.authRequired) return undefined;
    const snapshot = configs.get(admission.resource.siteId)?.snapshot;
    const decision = decide(snapshot?.policies ?? [], admission.resource.id, {
      user: admission.caller,
      ip: admission.facts.ip,
      country: countryOf(admission, countries),
      path: admission.facts.path,
      method: admission.facts.method,
      at: new Date(),
    });
    if (!decision.allowed) return { status: 403, message: `Access denied: ${decision.reason}.` };
    return undefined;
  };
}
