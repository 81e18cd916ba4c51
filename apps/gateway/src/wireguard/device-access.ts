import { isIP } from 'node:net';
import { parseTargetAddress, type SiteSnapshot, type SnapshotDevice } from '@rustronaut/contracts/edge';
import { decide, type PolicyRule } from '@rustronaut/policy-engine';
import type { DesiredPeer } from '@rustronaut/wireguard';

/** One packet-filter grant: this device may send `protocol` packets to `address:port`. */
export interface DeviceGrant {
  device: string;
  address: string;
  protocol: 'tcp' | 'udp';
  port: number;
}

/** What the gateway's WireGuard interface should carry, compiled from the snapshots it serves. */
export interface DeviceAccess {
  /** One peer per device, routed by its one address. */
  peers: DesiredPeer[];
  /** What each device may reach; anything else from a device is dropped. */
  grants: DeviceGrant[];
  /** The VPN subnets of the sites (the gateway takes the first address of each). */
  subnets: string[];
  /** Targets that cannot become a packet-filter rule (a host name, a tunnel, a socket), with why. */
  skipped: { resourceId: string; address: string; reason: string }[];
}

/**
 * Policies as they apply to packets: a packet has no path or method, so an allow that needs one
 * grants nothing (fail closed), and a deny limited to some paths or methods denies the whole
 * resource to its subjects (fail closed too). Everything else (subjects, source CIDRs, time
 * windows, countries — unknown on a tunnel, so a country allow grants nothing) is the same engine.
 */
export function packetPolicies(policies: readonly PolicyRule[]): PolicyRule[] {
  return policies.flatMap((p) => {
    const l7 = p.conditions.paths.length > 0 || p.conditions.methods.length > 0;
    if (!l7) return [p];
    if (p.effect === 'allow') return [];
    return [{ ...p, conditions: { ...p.conditions, paths: [], methods: [] } }];
  });
}

const keyOf = (g: DeviceGrant) => `${g.device}|${g.address}|${g.protocol}|${g.port}`;

/**
 * For every device of every served site: its peer, and the targets of the site's resources the
 * policy engine lets its owner reach at `at`. Same inputs, same output (sorted), so an unchanged
 * result is recognised and not applied again.
 */
export function compileDeviceAccess(snapshots: readonly SiteSnapshot[], at: Date): DeviceAccess {
  const peers: DesiredPeer[] = [];
  const grants = new Map<string, DeviceGrant>();
  const skipped: DeviceAccess['skipped'] = [];
  const seenKeys = new Set<string>();
  for (const snapshot of snapshots) {
    const policies = packetPolicies(snapshot.policies);
    const targets = snapshot.resources.flatMap((resource) =>
      resource.targets.flatMap((target) => {
        const parsed = parseTargetAddress(target.address);
        if (!parsed || parsed.kind !== 'inet' || isIP(parsed.host) !== 4) {
          skipped.push({
            resourceId: resource.id,
            address: target.address,
            reason: 'not an IPv4 address:port',
          });
          return [];
        }
        const protocol: 'tcp' | 'udp' = target.protocol === 'udp' ? 'udp' : 'tcp';
        return [{ resourceId: resource.id, address: parsed.host, protocol, port: parsed.port }];
      }),
    );
    for (const device of snapshot.devices ?? []) {
      if (seenKeys.has(device.publicKey) || isIP(device.address) === 0) continue; // one peer per key
      seenKeys.add(device.publicKey);
      peers.push({ publicKey: device.publicKey, allowedIps: [hostCidr(device.address)] });
      const allowed = new Map<string, boolean>();
      for (const target of targets) {
        let ok = allowed.get(target.resourceId);
        if (ok === undefined) {
          ok = decide(policies, target.resourceId, requestOf(device, snapshot, at)).allowed;
          allowed.set(target.resourceId, ok);
        }
        if (!ok) continue;
        const grant = {
          device: device.address,
          address: target.address,
          protocol: target.protocol,
          port: target.port,
        };
        grants.set(keyOf(grant), grant);
      }
    }
  }
  return {
    peers: peers.sort((a, b) => (a.publicKey < b.publicKey ? -1 : 1)),
    grants: [...grants.values()].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1)),
    subnets: [...new Set(snapshots.map((s) => s.site.subnet))].sort(),
    skipped,
  };
}

function requestOf(device: SnapshotDevice, snapshot: SiteSnapshot, at: Date) {
  const groups = Object.entries(snapshot.groups)
    .filter(([, members]) => members.includes(device.userId))
    .map(([id]) => id);
  return {
    user: { id: device.userId, role: device.role, groups },
    ip: device.address,
    country: null,
    path: '/',
    method: 'GET',
    at,
  };
}

export const hostCidr = (address: string) => `${address}/${isIP(address) === 6 ? 128 : 32}`;
