import type { DeviceView, SiteView, SiteWireGuardView } from '@rustronaut/contracts';
import { generateKeyPair, parseWgQuick } from '@rustronaut/wireguard';
import { deviceConfig, deviceTunnel } from './device-tunnel';

const pair = generateKeyPair();
const gw = generateKeyPair();
const device: DeviceView = {
  id: 'dev_1',
  orgId: 'org_1',
  siteId: 'st_1',
  userId: 'usr_1',
  name: 'laptop',
  publicKey: pair.publicKey,
  address: '10.1.0.2',
  createdAt: '2026-01-01T00:00:00Z',
  revokedAt: null,
};
const site = { id: 'st_1', name: 'HQ', subnet: '10.1.0.0/24' } as SiteView;
const wireguard = (gateways: SiteWireGuardView['gateways']): SiteWireGuardView => ({
  siteId: 'st_1',
  gateways,
  peers: {},
});

describe('a device tunnel', () => {
  it('points at the first gateway with a public address and routes the site subnet', () => {
    const sut = deviceTunnel(
      device,
      site,
      wireguard([
        { gatewayId: 'gw_0', endpoint: null, publicKey: gw.publicKey, healthy: true },
        { gatewayId: 'gw_1', endpoint: '203.0.113.7:51820', publicKey: gw.publicKey, healthy: true },
      ]),
    );
    expect(sut).toMatchObject({
      address: '10.1.0.2/32',
      allowedIps: ['10.1.0.0/24'],
      gateway: { id: 'gw_1', endpoint: '203.0.113.7:51820' },
    });
    const config = parseWgQuick(deviceConfig(sut, device, pair.privateKey));
    expect(config).toEqual({
      interface: { privateKey: pair.privateKey, addresses: ['10.1.0.2/32'], dns: [] },
      peers: [
        {
          publicKey: gw.publicKey,
          allowedIps: ['10.1.0.0/24'],
          endpoint: '203.0.113.7:51820',
          persistentKeepalive: 25,
        },
      ],
    });
  });

  it("routes the site's subnet and each target host outside it, nothing else", () => {
    const resources = [
      {
        targets: [
          { address: '172.30.0.10:5432' },
          { address: '10.1.0.100:80' },
          { address: 'db.internal:5432' },
          { address: 'tunnel:web' },
        ],
      },
      { targets: [{ address: '172.30.0.10:6379' }, { address: '172.30.0.9:22' }] },
    ] as unknown as Parameters<typeof deviceTunnel>[3];
    const sut = deviceTunnel(
      device,
      site,
      wireguard([
        { gatewayId: 'gw_1', endpoint: '203.0.113.7:51820', publicKey: gw.publicKey, healthy: true },
      ]),
      resources,
    );
    expect(sut.allowedIps).toEqual(['10.1.0.0/24', '172.30.0.10/32', '172.30.0.9/32']);
  });

  it('says what to do when the site has no gateway running WireGuard', () => {
    expect(() => deviceTunnel(device, site, wireguard([]))).toThrow(
      /no gateway running WireGuard yet: enrol a gateway/,
    );
    expect(() =>
      deviceTunnel(
        device,
        site,
        wireguard([{ gatewayId: 'gw_0', endpoint: null, publicKey: gw.publicKey, healthy: true }]),
      ),
    ).toThrow(/public_ip or hostname/);
  });

  it("leaves the private key out unless given the device's own, refusing another", () => {
    const tunnel = deviceTunnel(
      device,
      site,
      wireguard([
        { gatewayId: 'gw_1', endpoint: 'vpn.example.com:51820', publicKey: gw.publicKey, healthy: true },
      ]),
    );
    expect(deviceConfig(tunnel, device, undefined)).toMatch(/^# PrivateKey = <this device's private key/m);
    expect(() => deviceConfig(tunnel, device, generateKeyPair().privateKey)).toThrow(/not this device's/);
    expect(() => deviceConfig(tunnel, device, 'garbage')).toThrow(/not this device's/);
  });
});
