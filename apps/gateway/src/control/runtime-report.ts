import type { GatewayRuntime } from '@rustronaut/contracts';

/** What /status shows of the data path that the console is told: targets' health and tunnels. */
export interface ServedStatus {
  balancing: {
    resource_id: string;
    targets: {
      id: string;
      address: string;
      state: string;
      last_check: { at: string; ok: boolean; detail: string } | null;
    }[];
  }[];
  tunnels: { resource_id?: string; site_id?: string }[];
}

/** A certificate the gateway serves (the store's entries). */
export interface ServedCertificate {
  names: string[];
  source: 'acme' | 'file' | 'local-ca';
  notAfter: Date;
}

const STATES = new Set(['healthy', 'unhealthy', 'ejected', 'drained']);

/**
 * The runtime part of a gateway's report, from its /status and its certificates: each target's
 * state and last check, the tunnels connected, and the ACME and file certificates (once each;
 * the development CA's leaves are issued on demand and renewed before they expire, so they are
 * not reported). Sorted, so the same state is reported the same way.
 */
export function runtimeReport(
  status: ServedStatus,
  certificates: Iterable<ServedCertificate>,
): GatewayRuntime {
  const targets = status.balancing
    .flatMap((resource) =>
      resource.targets.map((t) => ({
        resourceId: resource.resource_id,
        targetId: t.id,
        address: t.address.slice(0, 300),
        state: (STATES.has(t.state) ? t.state : 'unhealthy') as GatewayRuntime['targets'][number]['state'],
        lastCheck: t.last_check && { ...t.last_check, detail: t.last_check.detail.slice(0, 300) },
      })),
    )
    .sort((a, b) => (a.targetId < b.targetId ? -1 : a.targetId > b.targetId ? 1 : 0));
  const tunnels = [
    ...new Set(
      status.tunnels.map((t) =>
        JSON.stringify(t.resource_id ? { resourceId: t.resource_id } : { siteId: t.site_id }),
      ),
    ),
  ]
    .sort()
    .map((t) => JSON.parse(t) as GatewayRuntime['tunnels'][number]);
  const seen = new Set<string>();
  const served: GatewayRuntime['certificates'] = [];
  for (const c of certificates) {
    if (c.source === 'local-ca') continue;
    const key = `${c.source}|${c.notAfter.toISOString()}|${c.names.join(',')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    served.push({ names: c.names.slice(0, 100), source: c.source, notAfter: c.notAfter.toISOString() });
  }
  served.sort((a, b) => a.notAfter.localeCompare(b.notAfter) || a.names.join().localeCompare(b.names.join()));
  return { targets, tunnels, certificates: served.slice(0, 1_000) };
}
