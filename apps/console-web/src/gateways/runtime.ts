import type { Answer } from '@rustronaut/api-client';

type Gateway = Pick<Answer<'/api/v1/gateways/{id}', 'get'>, 'id' | 'name' | 'status' | 'runtime'>;
type TargetRuntime = NonNullable<Gateway['runtime']>['targets'][number];
/** A target's state as one gateway reports it. */
export type TargetSeen = TargetRuntime & { gateway: string };

/** A certificate a gateway serves, as the overview lists it. */
export interface ServedCertificate {
  gateway: string;
  names: string[];
  source: 'acme' | 'file';
  notAfter: string;
  daysLeft: number;
}

const DAY_MS = 86_400_000;

/**
 * The certificates that expire within `withinDays` (or already did), soonest first, from what the
 * gateways last reported. An unhealthy gateway's report still counts: its certificates do not renew.
 */
export function certificatesNearExpiry(
  gateways: readonly Gateway[],
  now: Date,
  withinDays = 30,
): ServedCertificate[] {
  return gateways
    .flatMap((g) =>
      (g.runtime?.certificates ?? []).map((c) => ({
        gateway: g.name,
        names: c.names,
        source: c.source,
        notAfter: c.not_after,
        daysLeft: Math.floor((Date.parse(c.not_after) - now.getTime()) / DAY_MS),
      })),
    )
    .filter((c) => c.daysLeft < withinDays)
    .sort((a, b) => a.notAfter.localeCompare(b.notAfter));
}

/** The resources (exposed services) whose tunnel is connected to a healthy gateway now. */
export function connectedTunnels(gateways: readonly Gateway[]): Set<string> {
  return new Set(
    gateways
      .filter((g) => g.status === 'healthy')
      .flatMap((g) => (g.runtime?.tunnels ?? []).flatMap((t) => (t.resource_id ? [t.resource_id] : []))),
  );
}

/** What each healthy gateway says of a resource's targets, by target id. */
export function targetHealth(gateways: readonly Gateway[], resourceId: string): Map<string, TargetSeen[]> {
  const byTarget = new Map<string, TargetSeen[]>();
  for (const g of gateways) {
    if (g.status !== 'healthy') continue;
    for (const t of g.runtime?.targets ?? []) {
      if (t.resource_id !== resourceId) continue;
      byTarget.set(t.target_id, [...(byTarget.get(t.target_id) ?? []), { ...t, gateway: g.name }]);
    }
  }
  return byTarget;
}
