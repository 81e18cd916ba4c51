import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';
import { freePort } from '@rustronaut/testing';

const GATEWAY = join(__dirname, '../../../dist/apps/gateway/src/main.js');

async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the gateway fleet (e2e, started processes)', () => {
  let platform: ConsoleHarness;
  let admin: string;
  let siteId: string;
  let dataDir: string;
  let child: ChildProcess | undefined;
  let childLog = '';
  const api = (method: string, path: string, body?: unknown) =>
    call(platform.url, method, path, { token: admin, body });

  beforeAll(async () => {
    platform = await ConsoleHarness.start({ RN_GATEWAY_HEARTBEAT_INTERVAL: '1' });
    admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    siteId = (
      await api('POST', '/sites', {
        name: 'Fleet',
        subnet: '10.8.0.0/24',
        region: 'eu',
        connection_type: 'local',
      })
    ).body.id;
    dataDir = mkdtempSync(join(tmpdir(), 'rn-fleet-'));
  }, 90_000);
  afterAll(async () => {
    child?.kill('SIGKILL');
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates a gateway, which enrols with its token, converges, reports health, and is refused a second enrolment', async () => {
    expect(
      (await api('POST', '/gateways', { name: 'edge-1', region: 'eu', site_ids: ['st_nope'] })).body.error,
    ).toMatchObject({
      status: 400,
      code: 'REGISTRY_UNKNOWN_SITE',
    });
    const created = await api('POST', '/gateways', {
      name: 'edge-1',
      region: 'eu',
      site_ids: [siteId],
      public_ip: '203.0.113.10',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'edge-1',
      status: 'pending',
      public_ip: '203.0.113.10',
      wireguard_port: 51820,
      management_port: 9090,
    });
    expect(created.body.enrollment_token).toMatch(/^rng_/);

    child = spawn(
      process.execPath,
      [
        GATEWAY,
        '--enroll',
        created.body.enrollment_token,
        '--console',
        platform.url,
        '--nats',
        platform.nats.url,
        '--data-dir',
        dataDir,
        '--management-port',
        String(await freePort()),
        '--http-port',
        String(await freePort()),
        '--https-port',
        String(await freePort()),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.on('data', (c: Buffer) => (childLog += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (childLog += c.toString()));

    const converged = await eventually(async () => {
      const g = (await api('GET', `/gateways/${created.body.id}`)).body;
      return g.status === 'healthy' && g.config_revision > 0 ? g : undefined;
    }, `the gateway converging\n${childLog}`);
    expect(converged.enrolled_at).not.toBeNull();
    expect(converged.last_heartbeat_at).not.toBeNull();
    expect(statSync(join(dataDir, 'identity.json')).mode & 0o777).toBe(0o600);

    // The revision it reports follows a change.
    const resource = await api('POST', '/resources', {
      site_id: siteId,
      name: 'app',
      protocol: 'http',
      domains: ['fleet.example.com'],
    });
    await eventually(async () => {
      const g = (await api('GET', `/gateways/${created.body.id}`)).body;
      return g.config_revision >= resource.body.version ? g : undefined;
    }, 'the gateway acknowledging the new revision');

    const again = await call(platform.url, 'POST', '/gateways/enroll', {
      body: { token: created.body.enrollment_token, public_key: 'x', nats_public_key: `U${'A'.repeat(55)}` },
    });
    expect(again.body.error).toMatchObject({ status: 401, code: 'REGISTRY_INVALID_ENROLLMENT_TOKEN' });

    // Silence for three intervals: unhealthy, and the change is an event in the audit log.
    child.kill('SIGKILL');
    await eventually(
      async () =>
        (await api('GET', `/gateways/${created.body.id}`)).body.status === 'unhealthy' ? true : undefined,
      'the gateway turning unhealthy',
    );
    const audit = (await api('GET', '/audit?type=GatewayStatusChanged')).body.items;
    expect(audit.map((e: { data: { status: string } }) => e.data.status)).toEqual(
      expect.arrayContaining(['healthy', 'unhealthy']),
    );
  });

  it('prints the DNS records a resource needs, for every gateway of its site', async () => {
    const named = (
      await api('POST', '/gateways', {
        name: 'edge-2',
        region: 'eu',
        site_ids: [siteId],
        hostname: 'edge2.company.com',
      })
    ).body;
    const resource = (
      await api('POST', '/resources', {
        site_id: siteId,
        name: 'docs',
        protocol: 'http',
        domains: ['docs.company.com'],
      })
    ).body;
    const dns = (await api('GET', `/resources/${resource.id}/dns`)).body;
    expect(dns.records).toEqual(
      expect.arrayContaining([
        {
          type: 'A',
          name: 'docs.company.com',
          value: '203.0.113.10',
          gateway_id: expect.stringMatching(/^gw_/),
        },
        { type: 'CNAME', name: 'docs.company.com', value: 'edge2.company.com', gateway_id: named.id },
      ]),
    );
    const db = (
      await api('POST', '/resources', { site_id: siteId, name: 'db', protocol: 'tcp', public_port: 15432 })
    ).body;
    expect((await api('GET', `/resources/${db.id}/dns`)).body.notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^tcp resource: clients connect to 203\.0\.113\.10:15432 \(gateway gw_/),
      ]),
    );
  });

  it('follows a change of its sites made with PUT /gateways/{id}/config, with credentials for the new sites', async () => {
    const other = (
      await api('POST', '/sites', {
        name: 'Other',
        subnet: '10.9.0.0/24',
        region: 'eu',
        connection_type: 'local',
      })
    ).body;
    const gw = (await api('POST', '/gateways', { name: 'edge-4', region: 'eu', site_ids: [siteId] })).body;
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'rn-fleet-4-'));
    const moving = spawn(
      process.execPath,
      [
        GATEWAY,
        '--enroll',
        gw.enrollment_token,
        '--console',
        platform.url,
        '--nats',
        platform.nats.url,
        '--data-dir',
        dir,
        '--management-port',
        String(port),
        '--http-port',
        String(await freePort()),
        '--https-port',
        String(await freePort()),
      ],
      { stdio: 'ignore' },
    );
    try {
      const sitesOnGateway = async () => {
        const r = await fetch(`http://127.0.0.1:${port}/status`, {
          headers: { authorization: `Bearer ${admin}` },
        }).catch(() => undefined);
        return r?.ok
          ? ((await r.json()) as { sites: { site_id: string }[] }).sites.map((s) => s.site_id)
          : undefined;
      };
      await eventually(
        async () => ((await sitesOnGateway())?.includes(siteId) ? true : undefined),
        'the first site on the gateway',
      );
      const changed = await api('PUT', `/gateways/${gw.id}/config`, { site_ids: [other.id] });
      expect(changed.body.site_ids).toEqual([other.id]);
      const now = await eventually(async () => {
        const sites = await sitesOnGateway();
        return sites && sites.length === 1 && sites[0] === other.id ? sites : undefined;
      }, 'the gateway moving to the other site');
      expect(now).toEqual([other.id]);
    } finally {
      moving.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('deletes a gateway: it disappears, and its enrolment token is dead', async () => {
    const gw = (await api('POST', '/gateways', { name: 'edge-3', region: 'eu', site_ids: [siteId] })).body;
    expect((await api('DELETE', `/gateways/${gw.id}`)).status).toBe(204);
    expect((await api('GET', `/gateways/${gw.id}`)).status).toBe(404);
    const enroll = await call(platform.url, 'POST', '/gateways/enroll', {
      body: { token: gw.enrollment_token, public_key: 'x', nats_public_key: `U${'A'.repeat(55)}` },
    });
    expect(enroll.status).toBe(401);
  });
});
