import type { DeviceView, Principal, SiteWireGuardView } from '@rustronaut/contracts';
import { qrPng, qrSvg } from '@rustronaut/wireguard';
import type { DeviceClient, PolicyClient, RegistryClient } from '../routes/tokens';
import { deviceConfig, deviceTunnel, wgQuickOf, type DeviceTunnel } from './device-tunnel';

/** A device as the API shows it: the policy service's view with when a gateway last saw it. */
export interface DeviceWithActivity extends DeviceView {
  lastSeenAt: string | null;
  rxBytes: number;
  txBytes: number;
}

export type DeviceConfigFormat =
  { format: 'conf' } | { format: 'qr'; image: 'svg' | 'png' } | { format: 'json' };

/**
 * The devices routes' use cases: the device itself lives in the policy service; where it connects
 * and when it was last seen come from the gateway registry (the gateways' heartbeats).
 */
export class Devices {
  constructor(
    private readonly devices: DeviceClient,
    private readonly policy: PolicyClient,
    private readonly registry: RegistryClient,
  ) {}

  /** Registers a device; when the console made its key pair, the answer carries it and its config, once. */
  async create(
    principal: Principal,
    input: { name: string; siteId: string; publicKey?: string | undefined },
  ): Promise<DeviceWithActivity & { privateKey?: string; config?: string | null }> {
    const { privateKey, ...device } = await this.devices.request('policy.devices.create', {
      principal,
      device: input,
    });
    const wireguard = await this.#wireguard(principal, device.siteId);
    const shown = withActivity(device, wireguard);
    if (!privateKey) return shown;
    let config: string | null = null;
    try {
      config = wgQuickOf(await this.#tunnel(principal, device, wireguard), privateKey, device.name);
    } catch {
      config = null; // no gateway yet: GET …/config with the key once there is one
    }
    return { ...shown, privateKey, config };
  }

  async list(principal: Principal, userId: string | undefined): Promise<{ items: DeviceWithActivity[] }> {
    const devices = await this.devices.request('policy.devices.list', { principal, userId });
    const bySite = new Map<string, SiteWireGuardView>();
    for (const siteId of new Set(devices.map((d) => d.siteId)))
      bySite.set(siteId, await this.#wireguard(principal, siteId));
    return { items: devices.map((d) => withActivity(d, bySite.get(d.siteId))) };
  }

  async get(principal: Principal, id: string): Promise<DeviceWithActivity> {
    const device = await this.devices.request('policy.devices.get', { principal, id });
    return withActivity(device, await this.#wireguard(principal, device.siteId));
  }

  async revoke(principal: Principal, id: string): Promise<void> {
    await this.devices.request('policy.devices.revoke', { principal, id });
  }

  /** The device's config: wg-quick text, a QR code of it, or its parts as JSON (for the CLI). */
  async config(
    principal: Principal,
    id: string,
    format: DeviceConfigFormat,
    privateKey: string | undefined,
  ): Promise<{ type: string; body: string | Buffer | DeviceTunnel }> {
    const device = await this.devices.request('policy.devices.get', { principal, id });
    const tunnel = await this.#tunnel(principal, device, await this.#wireguard(principal, device.siteId));
    if (format.format === 'json') return { type: 'application/json', body: tunnel };
    const text = deviceConfig(tunnel, device, privateKey);
    if (format.format === 'conf') return { type: 'text/plain; charset=utf-8', body: text };
    return format.image === 'png'
      ? { type: 'image/png', body: await qrPng(text) }
      : { type: 'image/svg+xml', body: await qrSvg(text) };
  }

  async #tunnel(
    principal: Principal,
    device: DeviceView,
    wireguard: SiteWireGuardView,
  ): Promise<DeviceTunnel> {
    const site = await this.policy.request('policy.sites.get', { principal, id: device.siteId });
    const resources = await this.policy.request('policy.resources.list', {
      principal,
      siteId: device.siteId,
      limit: 500,
    });
    return deviceTunnel(device, site, wireguard, resources.items);
  }

  #wireguard(principal: Principal, siteId: string): Promise<SiteWireGuardView> {
    return this.registry.request('registry.wireguard.site', { principal, siteId });
  }
}

function withActivity(device: DeviceView, wireguard: SiteWireGuardView | undefined): DeviceWithActivity {
  const peer = wireguard?.peers[device.publicKey];
  return {
    ...device,
    lastSeenAt: peer?.lastHandshakeAt ?? null,
    rxBytes: peer?.rxBytes ?? 0,
    txBytes: peer?.txBytes ?? 0,
  };
}
