import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import {
  ADMIN,
  ConsoleHarness,
  NetworkLab,
  call,
  gatewayInNamespaceArgs,
  login,
} from '@rustronaut/console-testing';

const DIST = join(__dirname, '../../../dist/apps');
const GATEWAY = join(DIST, 'gateway/src/main.js');
const CLI = join(DIST, 'cli/src/main.js');

/** Polls until `probe` answers something, within `ms` (the promises the feature makes). */
async function within<T>(
  ms: number,
  what: string | (() => string),
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`${typeof what === 'string' ? what : what()}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * WireGuard into a site, as people use it: a client namespace runs `rustronaut connect`, the gateway
 * runs in its own namespace between the clients and a site network with two targets; the console
 * runs on this machine's loopback with its own NATS and database schemas.
 */
describe('WireGuard VPN into a site (e2e, network namespaces)', () => {
  const lab = new NetworkLab();
  let platform: ConsoleHarness;
  let admin: string;
  let bob: { id: string; token: string };
  let carol: { id: string; token: string };
  let siteId: string;
  let gatewayToken: string;
  let gatewayId: string;
  const ns = { client: '', second: '', gateway: '', site: '' };
  const ports = { api: 7780, nats: 7722 };
  let gatewayDataDir: string;
  const gatewayInterface = lab.wireguardName('rnwg');
  let gateway: ReturnType<NetworkLab['start']>;
  const cliEnv = () => ({ XDG_CONFIG_HOME: join(lab.dir, 'bob-config'), RN_PASSWORD: 'bob-password-1' });
  const api = (method: string, path: string, body?: unknown, token = admin) =>
    call(platform.url, method, path, { token, body });
  const startGateway = () =>
    lab.start(
      ns.gateway,
      process.execPath,
      gatewayInNamespaceArgs({
        gateway: GATEWAY,
        ports,
        dataDir: gatewayDataDir,
        wireguardInterface: gatewayInterface,
        enrollmentToken: gatewayToken,
      }),
    );
  const allowed = 'http://172.30.0.10:8080/';
  const other = 'http://172.30.0.11:8080/';

  beforeAll(async () => {
    platform = await ConsoleHarness.start({ RN_GATEWAY_HEARTBEAT_INTERVAL: '1' }, { upWithinMs: 120_000 });
    admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    ns.client = lab.namespace('c');
    ns.second = lab.namespace('d');
    ns.gateway = lab.namespace('g');
    ns.site = lab.namespace('s');
    lab.link(ns.client, '192.168.201.2/24', ns.gateway, '192.168.201.1/24');
    lab.link(ns.second, '192.168.202.2/24', ns.gateway, '192.168.202.1/24');
    lab.sh(ns.second, 'ip route add default via 192.168.202.1');
    const [, siteSide] = lab.link(ns.gateway, '172.30.0.1/24', ns.site, '172.30.0.10/24');
    lab.sh(ns.site, `ip addr add 172.30.0.11/24 dev ${siteSide}`);
    // Two targets in the site: each says who it is.
    for (const host of ['172.30.0.10', '172.30.0.11'])
      lab.start(ns.site, process.execPath, [
        '-e',
        `require('http').createServer((q,s)=>s.end('${host}')).listen(8080,'${host}')`,
      ]);
    const hostApi = Number(new URL(platform.url).port);
    const hostNats = Number(new URL(platform.nats.url).port);
    for (const n of [ns.client, ns.second, ns.gateway]) await lab.bridge(n, ports.api, hostApi);
    await lab.bridge(ns.gateway, ports.nats, hostNats);

    siteId = (
      await api('POST', '/sites', {
        name: 'VPN',
        subnet: '10.201.0.0/24',
        region: 'eu',
        connection_type: 'wireguard',
      })
    ).body.id;
    const app = await api('POST', '/resources', {
      site_id: siteId,
      name: 'app',
      protocol: 'http',
      domains: ['app.vpn.test'],
      targets: [{ address: '172.30.0.10:8080', protocol: 'http' }],
    });
    await api('POST', '/resources', {
      site_id: siteId,
      name: 'secret',
      protocol: 'http',
      domains: ['secret.vpn.test'],
      targets: [{ address: '172.30.0.11:8080', protocol: 'http' }],
    });
    const user = await api('POST', '/users', {
      email: 'bob@example.com',
      name: 'Bob',
      password: 'bob-password-1',
      role: 'member',
    });
    bob = {
      id: user.body.id,
      token: (await login(platform.url, 'bob@example.com', 'bob-password-1')).access,
    };
    const other = await api('POST', '/users', {
      email: 'carol@example.com',
      name: 'Carol',
      password: 'carol-password-1',
      role: 'member',
    });
    carol = {
      id: other.body.id,
      token: (await login(platform.url, 'carol@example.com', 'carol-password-1')).access,
    };
    await api('POST', '/policies', {
      name: 'app users',
      effect: 'allow',
      resource_ids: [app.body.id],
      subjects: { users: [bob.id, carol.id] },
    });
    const created = await api('POST', '/gateways', {
      name: 'edge-vpn',
      region: 'eu',
      site_ids: [siteId],
      public_ip: '192.168.201.1',
      // Not WireGuard's default: the gateway (started without --wireguard-port) takes it from enrolment.
      wireguard_port: 51830,
    });
    gatewayToken = created.body.enrollment_token;
    gatewayId = created.body.id;
    gatewayDataDir = mkdtempSync(join(lab.dir, 'gateway-'));
    gateway = startGateway();
    await within(
      30_000,
      () => `the gateway becoming healthy\n${gateway.log()}`,
      async () => {
        const r = await api('GET', `/gateways/${created.body.id}`);
        return r.body.status === 'healthy' ? true : undefined;
      },
    );
  }, 300_000);

  afterAll(async () => {
    lab.cleanup();
    await platform?.stop();
  });

  it('rustronaut connect brings the tunnel up: the allowed target answers, the other does not', async () => {
    const loggedIn = await lab.run(
      ns.client,
      process.execPath,
      [CLI, 'login', '--console', `http://127.0.0.1:${ports.api}`, '--email', 'bob@example.com'],
      cliEnv(),
    );
    expect(loggedIn.code).toBe(0);
    const connected = await within(20_000, 'connect', async () => {
      const r = await lab.run(ns.client, process.execPath, [CLI, 'connect', 'VPN', '--json'], cliEnv());
      return r.code === 0 ? r : undefined;
    });
    const summary = JSON.parse(connected.out);
    lab.ownsInterface(summary.interface);
    expect(summary).toMatchObject({
      connected: true,
      address: '10.201.0.2/32',
      gateway: '192.168.201.1:51830',
      routes: ['10.201.0.0/24', '172.30.0.10/32', '172.30.0.11/32'],
    });
    expect(
      await within(10_000, 'the allowed target answering', async () =>
        (await lab.httpGet(ns.client, allowed)) === 200 ? true : undefined,
      ),
    ).toBe(true);
    expect(await lab.httpGet(ns.client, other)).toBe(0);
    // The console shows when the gateway last saw the device.
    const seen = await within(10_000, 'last seen', async () => {
      const d = (await api('GET', '/devices', undefined, bob.token)).body.items[0];
      return d?.last_seen_at ? d : undefined;
    });
    expect(seen.rx_bytes).toBeGreaterThan(0);
    const devices = await lab.run(ns.client, process.execPath, [CLI, 'devices'], cliEnv());
    expect(devices.out).toMatch(/10\.201\.0\.2/);
  }, 120_000);

  /** Carol's phone: a device made by the console, its config downloaded (and as a QR), used by wg-quick. */
  async function phoneConfig(name: string): Promise<{ id: string; text: string; file: string }> {
    const device = await api('POST', '/devices', { name, site_id: siteId }, carol.token);
    expect(device.status).toBe(201);
    expect(device.body.private_key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(device.body.config).toContain(`PrivateKey = ${device.body.private_key}`);
    const headers = {
      authorization: `Bearer ${carol.token}`,
      'x-rustronaut-device-key': device.body.private_key,
    };
    const text = await (
      await fetch(`${platform.url}/api/v1/devices/${device.body.id}/config`, { headers })
    ).text();
    expect(text).toBe(device.body.config);
    const png = Buffer.from(
      await (
        await fetch(`${platform.url}/api/v1/devices/${device.body.id}/config?format=qr&image=png`, {
          headers,
        })
      ).arrayBuffer(),
    );
    const image = PNG.sync.read(png);
    expect(jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data).toBe(text);
    const svg = await (
      await fetch(`${platform.url}/api/v1/devices/${device.body.id}/config?format=qr`, { headers })
    ).text();
    expect(svg).toMatch(/^<svg/);
    const file = join(lab.dir, `${lab.wireguardName(name)}.conf`);
    writeFileSync(file, text, { mode: 0o600 });
    return { id: device.body.id, text, file };
  }
  const reaches = (n: string) => async () => ((await lab.httpGet(n, allowed)) === 200 ? true : undefined);
  const cutOff = (n: string) => async () => ((await lab.httpGet(n, allowed, 400)) === 0 ? true : undefined);

  it('a config downloaded from the API (its QR decoded back to the same text) works in a second client; revoking the device cuts it within 2 s', async () => {
    const phone = await phoneConfig('rnpa');
    expect((await lab.run(ns.second, 'wg-quick', ['up', phone.file])).code).toBe(0);
    expect(await within(10_000, 'the second client reaching the allowed target', reaches(ns.second))).toBe(
      true,
    );
    expect(await lab.httpGet(ns.second, other)).toBe(0);
    expect((await api('DELETE', `/devices/${phone.id}`, undefined, carol.token)).status).toBe(204);
    await within(2_000, 'the revoked device cut off', cutOff(ns.second));
    await lab.run(ns.second, 'wg-quick', ['down', phone.file]);
  }, 120_000);

  it("disabling the device's owner cuts its traffic within 2 s and refuses every way in; enabling restores it", async () => {
    const phone = await phoneConfig('rnpb');
    const key = (await api('POST', '/api-keys', { name: 'carol-ci' }, carol.token)).body.key as string;
    expect((await api('GET', '/devices', undefined, key)).status).toBe(200);
    expect((await lab.run(ns.second, 'wg-quick', ['up', phone.file])).code).toBe(0);
    expect(await within(10_000, 'the phone reaching the allowed target', reaches(ns.second))).toBe(true);

    const disabled = await api('POST', `/users/${carol.id}/disable`);
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ id: carol.id, disabled: true });
    await within(2_000, "the disabled user's device cut off", cutOff(ns.second));
    expect(await lab.httpGet(ns.client, allowed)).toBe(200); // Bob's laptop is not disturbed
    // Her session ended, her API key and her password are refused, with a code that says why.
    expect((await api('GET', '/devices', undefined, carol.token)).status).toBe(401);
    const keyRefused = await api('GET', '/devices', undefined, key);
    expect([keyRefused.status, keyRefused.body.error?.code]).toEqual([403, 'AUTH_ACCOUNT_DISABLED']);
    const password = await call(platform.url, 'POST', '/auth/login', {
      body: { email: 'carol@example.com', password: 'carol-password-1' },
    });
    expect([password.status, password.body.error?.code]).toEqual([403, 'AUTH_ACCOUNT_DISABLED']);
    // Nobody disables themself.
    const me = (await api('GET', '/me')).body.user.id as string;
    const self = await api('POST', `/users/${me}/disable`);
    expect([self.status, self.body.error?.code]).toEqual([409, 'IDENTITY_CANNOT_DISABLE_SELF']);
    expect((await api('POST', '/users/usr_nobody/disable')).status).toBe(404);

    const enabled = await api('POST', `/users/${carol.id}/enable`);
    expect(enabled.body).toMatchObject({ id: carol.id, disabled: false });
    // The gateway programs the peer again at once; the phone's WireGuard shakes hands anew when
    // its old session gets no answer (its rekey timeout, up to 15 s).
    expect(await within(20_000, 'the enabled user reaching the allowed target', reaches(ns.second))).toBe(
      true,
    );
    expect((await api('GET', '/devices', undefined, key)).status).toBe(200);
    carol.token = (await login(platform.url, 'carol@example.com', 'carol-password-1')).access;
    await lab.run(ns.second, 'wg-quick', ['down', phone.file]);
  }, 120_000);

  it("deleting the device's owner cuts its traffic within 2 s", async () => {
    const phone = await phoneConfig('rnpc');
    expect((await lab.run(ns.second, 'wg-quick', ['up', phone.file])).code).toBe(0);
    expect(await within(10_000, 'the new phone reaching the allowed target', reaches(ns.second))).toBe(true);
    expect((await api('DELETE', `/users/${carol.id}`)).status).toBe(204);
    await within(2_000, "the deleted user's device cut off", cutOff(ns.second));
    // Bob's laptop is not disturbed.
    expect(await lab.httpGet(ns.client, allowed)).toBe(200);
  }, 120_000);

  it('never gives two devices one address, also when they are registered at the same moment', async () => {
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        api('POST', '/devices', { name: `load-${i}`, site_id: siteId }, bob.token),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(201));
    const addresses = answers.map((a) => a.body.address as string);
    expect(new Set(addresses).size).toBe(12);
    const listed = (await api('GET', '/devices', undefined, bob.token)).body.items.map(
      (d: { address: string }) => d.address,
    );
    expect(new Set(listed).size).toBe(listed.length);
    for (const a of answers) await api('DELETE', `/devices/${a.body.id}`, undefined, bob.token);
  }, 120_000);

  it("moves the gateway's WireGuard to the port the console gives it; connecting again follows", async () => {
    const changed = await api('PUT', `/gateways/${gatewayId}/config`, { wireguard_port: 51831 });
    expect(changed.body.wireguard_port).toBe(51831);
    await within(10_000, 'the gateway listening on 51831', async () =>
      lab.sh(ns.gateway, `wg show ${gatewayInterface} listen-port`).trim() === '51831' ? true : undefined,
    );
    const again = await within(20_000, 'connect again', async () => {
      const r = await lab.run(ns.client, process.execPath, [CLI, 'connect', 'VPN', '--json'], cliEnv());
      return r.code === 0 ? r : undefined;
    });
    expect(JSON.parse(again.out)).toMatchObject({ gateway: '192.168.201.1:51831' });
    expect(await within(10_000, 'the allowed target over the new port', reaches(ns.client))).toBe(true);
  }, 120_000);

  it('keeps carrying the VPN when the gateway restarts with NATS and the console stopped', async () => {
    gateway.kill('SIGTERM');
    const exited = await Promise.race([
      new Promise((r) => gateway.once('exit', () => r(true))),
      new Promise((r) => setTimeout(() => r(false), 15_000)),
    ]);
    expect(exited ? true : gateway.log()).toBe(true);
    lab.closeBridges();
    for (const service of [
      'api',
      'identity',
      'audit',
      'policy',
      'config-distributor',
      'gateway-registry',
    ] as const)
      await platform.kill(service);
    await platform.nats.dispose();
    gatewayToken = '';
    gateway = startGateway();
    expect(
      await within(
        30_000,
        () => `the tunnel back through the restarted gateway\n${gateway.log()}`,
        async () => ((await lab.httpGet(ns.client, allowed)) === 200 ? true : undefined),
      ),
    ).toBe(true);
    expect(await lab.httpGet(ns.client, other)).toBe(0);
  }, 120_000);
});
