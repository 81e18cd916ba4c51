import type { GatewayReport, GatewayView, SiteWireGuardView } from '@rustronaut/contracts';

/**
 * Where a site's devices connect, and when each was last seen: from the gateways serving the site
 * that reported a WireGuard interface. A device seen by several gateways shows its latest handshake.
 */
export function siteWireGuardView(
  siteId: string,
  reported: readonly { gateway: GatewayView; wireguard: NonNullable<GatewayReport['wireguard']> }[],
): SiteWireGuardView {
  const peers: SiteWireGuardView['peers'] = {};
  for (const { gateway, wireguard } of reported) {
    for (const peer of wireguard.peers) {
      const seen = peers[peer.publicKey];
      if (!seen || (peer.lastHandshakeAt ?? '') > (seen.lastHandshakeAt ?? '')) {
        peers[peer.publicKey] = {
          gatewayId: gateway.id,
          lastHandshakeAt: peer.lastHandshakeAt,
          rxBytes: peer.rxBytes,
          txBytes: peer.txBytes,
        };
      }
    }
  }
  const gateways = reported
    .map(({ gateway, wireguard }) => {
      const host = gateway.hostname ?? gateway.publicIp;
      const hostPart = host && host.includes(':') ? `[${host}]` : host;
      return {
        gatewayId: gateway.id,
        endpoint: hostPart ? `${hostPart}:${gateway.wireguardPort}` : null,
        publicKey: wireguard.publicKey,
        healthy: gateway.status === 'healthy',
      };
    })
    // healthy gateways first: a device config names the first
    .sort((a, b) => Number(b.healthy) - Number(a.healthy));
  return { siteId, gateways, peers };
}
