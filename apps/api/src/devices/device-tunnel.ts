import {
  DomainError,
  ipInCidr,
  parseTargetAddress,
  type DeviceView,
  type ResourceView,
  type SiteView,
  type SiteWireGuardView,
} from '@rustronaut/contracts';
import { publicKeyOf, renderWgQuick, type WgQuickConfig } from '@rustronaut/wireguard';

/** Codes of a device's tunnel configuration (see docs/errors.md). */
export enum DeviceConfigErrorCode {
  NoGateway = 'DEVICE_NO_GATEWAY',
  KeyMismatch = 'DEVICE_KEY_MISMATCH',
}

export class DeviceConfigError extends DomainError<DeviceConfigErrorCode> {}

/** Everything a device needs to bring its tunnel up, except its private key (which it alone has). */
export interface DeviceTunnel {
  deviceId: string;
  siteId: string;
  /** The device's address with its prefix (`10.1.0.2/32`). */
  address: string;
  gateway: { id: string; publicKey: string; endpoint: string };
  /** What the device routes into the tunnel: the site's subnet and its resources' target hosts. */
  allowedIps: string[];
  persistentKeepalive: number;
}

/** How often a device behind NAT keeps its mapping open (seconds). */
const KEEPALIVE_S = 25;

/**
 * The device's tunnel to its site: the first gateway of the site that runs WireGuard and has a
 * public address (healthy ones first). None: the site cannot take devices yet, and the error says why.
 */
export function deviceTunnel(
  device: DeviceView,
  site: SiteView,
  wireguard: SiteWireGuardView,
  resources: readonly ResourceView[] = [],
): DeviceTunnel {
  const gateway = wireguard.gateways.find((g) => g.endpoint !== null);
  if (!gateway?.endpoint) {
    throw new DeviceConfigError(
      DeviceConfigErrorCode.NoGateway,
      wireguard.gateways.length
        ? `site ${site.name} has gateways running WireGuard, but none has a public_ip or hostname: set one (PUT /api/v1/gateways/{id}/config)`
        : `site ${site.name} has no gateway running WireGuard yet: enrol a gateway for it (POST /api/v1/gateways) and start it with the rights to create the interface`,
      { details: { site_id: site.id } },
    );
  }
  return {
    deviceId: device.id,
    siteId: site.id,
    address: `${device.address}/${device.address.includes(':') ? 128 : 32}`,
    gateway: { id: gateway.gatewayId, publicKey: gateway.publicKey, endpoint: gateway.endpoint },
    allowedIps: routesOf(site, resources),
    persistentKeepalive: KEEPALIVE_S,
  };
}

/** The tunnel as wg-quick config with the device's private key (what the official apps import). */
export function wgQuickOf(tunnel: DeviceTunnel, privateKey: string, name: string): string {
  const config: WgQuickConfig = {
    interface: { privateKey, addresses: [tunnel.address], dns: [] },
    peers: [
      {
        publicKey: tunnel.gateway.publicKey,
        allowedIps: tunnel.allowedIps,
        endpoint: tunnel.gateway.endpoint,
        persistentKeepalive: tunnel.persistentKeepalive,
      },
    ],
  };
  return renderWgQuick(config, `Rustronaut device ${name.replace(/[^\w .@-]/g, '_')} (${tunnel.deviceId})`);
}

/**
 * The device's wg-quick config. The console never keeps a private key: the caller passes the one
 * it holds (checked against the device's public key); without it, the PrivateKey line is left for
 * the device to fill in.
 */
export function deviceConfig(
  tunnel: DeviceTunnel,
  device: DeviceView,
  privateKey: string | undefined,
): string {
  if (privateKey === undefined) {
    const placeholder = 'A'.repeat(43) + '=';
    return wgQuickOf(tunnel, placeholder, device.name).replace(
      `PrivateKey = ${placeholder}`,
      "# PrivateKey = <this device's private key: the console never keeps it>",
    );
  }
  let derived: string | undefined;
  try {
    derived = publicKeyOf(privateKey);
  } catch {
    derived = undefined;
  }
  if (derived !== device.publicKey) {
    throw new DeviceConfigError(
      DeviceConfigErrorCode.KeyMismatch,
      "the private key given is not this device's (its public key differs)",
    );
  }
  return wgQuickOf(tunnel, privateKey, device.name);
}

/**
 * The site's subnet, and each IPv4 target outside it as a /32: the device sends those into the
 * tunnel, everything else goes its usual way (no default route through the site).
 */
export function routesOf(site: SiteView, resources: readonly ResourceView[]): string[] {
  const hosts = new Set<string>();
  for (const resource of resources) {
    for (const target of resource.targets) {
      const parsed = parseTargetAddress(target.address);
      if (parsed?.kind !== 'inet' || !/^\d+\.\d+\.\d+\.\d+$/.test(parsed.host)) continue;
      if (!ipInCidr(parsed.host, site.subnet)) hosts.add(`${parsed.host}/32`);
    }
  }
  return [site.subnet, ...[...hosts].sort()];
}
