import type { WireGuardKey } from './keys';
import type { PeerChange, PeerStatus } from './uapi-protocol';

/** A peer the interface should have. */
export interface DesiredPeer {
  publicKey: WireGuardKey;
  allowedIps: string[];
  endpoint?: string;
  persistentKeepaliveInterval?: number;
}

export interface PeerDiff {
  changes: PeerChange[];
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
}

const sameSet = (a: readonly string[], b: readonly string[]) => {
  if (a.length !== b.length) return false;
  const set = new Set(a.map(normalise));
  return b.every((x) => set.has(normalise(x)));
};
const normalise = (cidr: string) => cidr.toLowerCase();

/**
 * The changes that turn the interface's peers into the desired ones: new peers added, gone peers
 * removed, changed peers updated in place (`update_only`, allowed IPs replaced); a peer whose
 * settings already match is not mentioned at all, so its session never flaps.
 */
export function diffPeers(current: readonly PeerStatus[], desired: readonly DesiredPeer[]): PeerDiff {
  const now = new Map(current.map((p) => [p.publicKey, p]));
  const wanted = new Map(desired.map((p) => [p.publicKey, p]));
  const diff: PeerDiff = { changes: [], added: 0, updated: 0, removed: 0, unchanged: 0 };
  for (const peer of current) {
    if (!wanted.has(peer.publicKey)) {
      diff.changes.push({ publicKey: peer.publicKey, remove: true });
      diff.removed++;
    }
  }
  for (const peer of wanted.values()) {
    const keepalive = peer.persistentKeepaliveInterval ?? 0;
    const existing = now.get(peer.publicKey);
    if (!existing) {
      diff.changes.push({
        publicKey: peer.publicKey,
        replaceAllowedIps: peer.allowedIps,
        ...(peer.endpoint ? { endpoint: peer.endpoint } : {}),
        ...(keepalive ? { persistentKeepaliveInterval: keepalive } : {}),
      });
      diff.added++;
      continue;
    }
    const ipsChanged = !sameSet(existing.allowedIps, peer.allowedIps);
    const keepaliveChanged = existing.persistentKeepaliveInterval !== keepalive;
    const endpointChanged = peer.endpoint !== undefined && existing.endpoint !== peer.endpoint;
    if (!ipsChanged && !keepaliveChanged && !endpointChanged) {
      diff.unchanged++;
      continue;
    }
    diff.changes.push({
      publicKey: peer.publicKey,
      updateOnly: true,
      ...(ipsChanged ? { replaceAllowedIps: peer.allowedIps } : {}),
      ...(keepaliveChanged ? { persistentKeepaliveInterval: keepalive } : {}),
      ...(endpointChanged ? { endpoint: peer.endpoint } : {}),
    });
    diff.updated++;
  }
  return diff;
}
