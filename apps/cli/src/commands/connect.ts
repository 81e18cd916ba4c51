import { writeFileSync, chmodSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Answer } from '@rustronaut/api-client';
import { qrTerminal, renderWgQuick, type WgQuickConfig } from '@rustronaut/wireguard';
import { data, type ConsoleClient } from '../console-client';
import type { CommandContext } from '../context';
import { CliError, CliErrorCode, ConsoleApiError, usage } from '../errors';
import { table } from '../output';
import { bringDown, bringUp } from '../vpn/local-tunnel';
import { VpnState, type SiteDevice } from '../vpn/vpn-state';

export interface ConnectOptions {
  configOnly?: boolean;
  qr?: boolean;
  out?: string;
  name?: string;
}

type Site = Answer<'/api/v1/sites', 'get'>['items'][number];
/** The device's tunnel as `GET /devices/{id}/config?format=json` answers it. */
interface TunnelJson {
  device_id: string;
  address: string;
  gateway: { id: string; public_key: string; endpoint: string };
  allowed_ips: string[];
  persistent_keepalive: number;
}

async function findSite(client: ConsoleClient, wanted: string): Promise<Site> {
  let cursor: string | undefined;
  const sites: Site[] = [];
  do {
    const page = await data(client.api.GET('/api/v1/sites', { params: { query: { cursor } } }));
    sites.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  const site =
    sites.find((s) => s.id === wanted) ??
    sites.filter((s) => s.name.toLowerCase() === wanted.toLowerCase())[0];
  if (!site)
    throw usage(
      `there is no site "${wanted}"`,
      `sites: ${sites.map((s) => `${s.name} (${s.id})`).join(', ') || 'none'}`,
    );
  return site;
}

/** This machine's device in the site: the stored one when the console still has it, else a new one. */
async function registeredDevice(
  ctx: CommandContext,
  client: ConsoleClient,
  site: Site,
  name: string | undefined,
): Promise<SiteDevice> {
  const state = new VpnState(ctx.config.configDir);
  const device = state.load(site.id, site.name, client.url);
  if (device.deviceId) {
    try {
      await client.api.GET('/api/v1/devices/{id}', { params: { path: { id: device.deviceId } } });
      return device;
    } catch (error) {
      if (!(error instanceof ConsoleApiError && error.status === 404)) throw error;
      ctx.output.note(`the console no longer has device ${device.deviceId}: registering this machine again`);
    }
  }
  const created = await data(
    client.api.POST('/api/v1/devices', {
      body: { name: name ?? hostname().slice(0, 200), site_id: site.id, public_key: device.keys.publicKey },
    }),
  );
  const registered = { ...device, deviceId: created.id };
  state.save(registered);
  return registered;
}

async function tunnelOf(client: ConsoleClient, deviceId: string): Promise<TunnelJson> {
  const answer = await data(
    client.api.GET('/api/v1/devices/{id}/config', {
      params: { path: { id: deviceId }, query: { format: 'json' } },
    }),
  );
  return answer as unknown as TunnelJson;
}

function wgQuickConfig(device: SiteDevice, tunnel: TunnelJson): WgQuickConfig {
  return {
    interface: { privateKey: device.keys.privateKey, addresses: [tunnel.address], dns: [] },
    peers: [
      {
        publicKey: tunnel.gateway.public_key,
        allowedIps: tunnel.allowed_ips,
        endpoint: tunnel.gateway.endpoint,
        persistentKeepalive: tunnel.persistent_keepalive,
      },
    ],
  };
}

/**
 * `rustronaut connect SITE`: a key pair made here (the private key never leaves this machine), the
 * device registered, the tunnel brought up (root), or the config written (`--config-only`) or shown
 * as a QR code for the phone app (`--qr`).
 */
export async function connect(ctx: CommandContext, siteName: string, options: ConnectOptions): Promise<void> {
  const started = Date.now();
  const client = ctx.client();
  const site = await findSite(client, siteName);
  const device = await registeredDevice(ctx, client, site, options.name);
  const tunnel = await tunnelOf(client, device.deviceId!);
  const config = wgQuickConfig(device, tunnel);
  const text = renderWgQuick(config, `Rustronaut: site ${site.name}, device ${device.deviceId}`);
  const summary = {
    site: { id: site.id, name: site.name },
    device_id: device.deviceId,
    address: tunnel.address,
    gateway: tunnel.gateway.endpoint,
    routes: tunnel.allowed_ips,
  };
  if (options.configOnly || options.qr) {
    if (options.qr) ctx.output.note(await qrTerminal(text));
    let path: string | undefined;
    if (options.configOnly) {
      path = resolve(options.out ?? `${device.interface}.conf`);
      writeFileSync(path, text, { mode: 0o600 });
      chmodSync(path, 0o600);
    }
    ctx.output.result(
      [
        ...(path
          ? [
              `✓ Wrote ${path} (mode 0600: it holds this device's private key)`,
              `  bring it up with: sudo wg-quick up ${path}`,
            ]
          : []),
        ...(options.qr
          ? ['✓ Scan the code above with the WireGuard app (it holds the private key: do not share it)']
          : []),
        `  address ${tunnel.address}, gateway ${tunnel.gateway.endpoint}, routes ${tunnel.allowed_ips.join(', ')}`,
      ],
      { ...summary, ...(path ? { config_path: path } : {}) },
    );
    return;
  }
  const kind = await bringUp(device.interface, config);
  ctx.output.result(
    [
      `✓ Connected to ${site.name} as ${tunnel.address} through ${tunnel.gateway.endpoint} (${device.interface}, ${kind}, ${Date.now() - started} ms)`,
      `  routes: ${tunnel.allowed_ips.join(', ')}`,
      '  what you may reach there is what the policies allow you; `rustronaut disconnect` ends it',
    ],
    { ...summary, interface: device.interface, kind, connected: true },
  );
}

/** `rustronaut disconnect [SITE]`: takes the tunnel(s) down; `--revoke` also deletes the device. */
export async function disconnect(
  ctx: CommandContext,
  siteName: string | undefined,
  options: { revoke?: boolean },
): Promise<void> {
  const state = new VpnState(ctx.config.configDir);
  const devices = state
    .all()
    .filter((d) => !siteName || d.siteId === siteName || d.siteName.toLowerCase() === siteName.toLowerCase());
  if (devices.length === 0)
    throw new CliError(
      CliErrorCode.NotConnected,
      siteName ? `no tunnel to ${siteName} on this machine` : 'no tunnel on this machine',
      'connect with `rustronaut connect SITE`',
    );
  const done = [];
  for (const device of devices) {
    const wasUp = await bringDown(device.interface);
    if (options.revoke && device.deviceId) {
      await ctx
        .client(device.consoleUrl)
        .api.DELETE('/api/v1/devices/{id}', { params: { path: { id: device.deviceId } } });
      state.forget(device.siteId);
    }
    done.push({
      site: device.siteName,
      site_id: device.siteId,
      interface: device.interface,
      was_up: wasUp,
      revoked: Boolean(options.revoke),
    });
  }
  ctx.output.result(
    done.map(
      (d) =>
        `✓ ${d.was_up ? 'Disconnected from' : 'No tunnel was up to'} ${d.site} (${d.interface})${d.revoked ? '; device revoked' : ''}`,
    ),
    { disconnected: done },
  );
}

type DeviceRow = Answer<'/api/v1/devices', 'get'>['items'][number];

/** `rustronaut devices`: your devices (an admin: everyone's), with when a gateway last saw each. */
export async function devices(ctx: CommandContext): Promise<void> {
  const { items } = await data(ctx.client().api.GET('/api/v1/devices', {}));
  const rows = items.map((d: DeviceRow) => [d.id, d.name, d.site_id, d.address, d.last_seen_at ?? 'never']);
  ctx.output.result(
    items.length
      ? table(['ID', 'NAME', 'SITE', 'ADDRESS', 'LAST SEEN'], rows)
      : 'no devices yet: `rustronaut connect SITE` makes one',
    { items },
  );
}
