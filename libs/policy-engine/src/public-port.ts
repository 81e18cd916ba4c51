import { decide, type Decision, type PolicyRule } from './decide';

/** What a TCP/UDP resource's public port is, as far as access goes. */
export interface PublicPortResource {
  id: string;
  protocol: string;
  publicPort: number | null;
  authRequired: boolean;
}

/**
 * The policies that can decide a connection to a public TCP/UDP port. Layer 4 knows the source
 * address (and its country) and the time, not who connects: only a policy that names nobody (it
 * applies to everyone) and asks nothing of paths or methods can match. Policies that name users,
 * groups or roles apply to those users through `rustronaut forward` or the VPN, never to the port.
 */
export function publicPortPolicies(policies: readonly PolicyRule[], resourceId: string): PolicyRule[] {
  return policies.filter(
    (p) =>
      (p.resourceIds.length === 0 || p.resourceIds.includes(resourceId)) &&
      p.subjects.users.length === 0 &&
      p.subjects.groups.length === 0 &&
      p.subjects.roles.length === 0 &&
      !p.subjects.anyAuthenticated &&
      !p.subjects.tokens?.length &&
      p.conditions.paths.length === 0 &&
      p.conditions.methods.length === 0,
  );
}

/**
 * May a connection from `ip` (of `country`) use the public port of an auth-required TCP/UDP
 * resource? The policy engine's answer for an anonymous connection with no path or method, over
 * `publicPortPolicies`: deny wins, and with no matching allow the answer is no (fail closed).
 */
export function decidePublicPort(
  policies: readonly PolicyRule[],
  resourceId: string,
  ip: string,
  country: string | null,
  at: Date,
): Decision {
  return decide(policies, resourceId, { user: null, ip, country, path: '', method: '', at });
}

/**
 * Why a TCP/UDP resource's public port admits nobody, or null when it may admit someone: it has a
 * public port, requires sign-in (the default), and no policy can open it at layer 4.
 */
export function closedPublicPort(
  resource: PublicPortResource,
  policies: readonly PolicyRule[],
): string | null {
  if (resource.protocol === 'http' || resource.publicPort === null || !resource.authRequired) return null;
  if (publicPortPolicies(policies, resource.id).some((p) => p.effect === 'allow')) return null;
  return (
    `public port ${resource.publicPort} admits no connection: the resource requires sign-in (auth_required) ` +
    'and no allow policy opens it by source address or country (a policy that names no users, groups ' +
    'or roles, with source_cidrs or countries). Users reach it through rustronaut forward or the VPN; ' +
    'add such a policy to open the port to a network, or set auth_required to false to make it public.'
  );
}
