import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect as tcpConnect, createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';
import { freePort, writeCountryDatabase } from '@rustronaut/testing';
import { GatewayProcess, through, untilServes } from './support/gateway-process';

/**
 * The L7 firewall and countries, end to end: a console, a gateway process with a GeoIP database of
 * the test's own (127.0.0.2 → DE, 127.0.0.3 → US, 127.0.0.4 unknown), clients bound to those sources.
 */
describe('the gateway firewall (e2e, started processes)', () => {
  let platform: ConsoleHarness;
  let admin: string;
  let upstream: Server;
  let echo: TcpServer;
  let tcpPort: number;
  let gateway: GatewayProcess;
  let dir: string;
  const seen: string[] = [];
  const ids: Record<string, string> = {};
  const api = (method: string, path: string, body?: unknown) =>
    call(platform.url, method, path, { token: admin, body });
  const get = (host: string, path: string, options: Parameters<typeof through>[3] = {}) =>
    through(gateway.httpPort, host, path, options);

  beforeAll(async () => {
    platform = await ConsoleHarness.start();
    admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    const upstreamPort = await freePort();
    upstream = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`upstream saw ${req.url}`);
    });
    await new Promise<void>((r) => upstream.listen(upstreamPort, '127.0.0.1', r));
    dir = mkdtempSync(join(tmpdir(), 'rn-fw-'));
    writeCountryDatabase(join(dir, 'countries.mmdb'), { '127.0.0.2/32': 'DE', '127.0.0.3/32': 'US' });

    const site = (
      await api('POST', '/sites', {
        name: 'Edge',
        subnet: '10.30.0.0/24',
        region: 'eu',
        connection_type: 'local',
      })
    ).body;
    const targets = [{ address: `127.0.0.1:${upstreamPort}`, protocol: 'http' }];
    const resource = async (name: string, extra: Record<string, unknown>) => {
      const created = await api('POST', '/resources', {
        site_id: site.id,
        name,
        protocol: 'http',
        domains: [`${name}.localhost`],
        auth_required: false,
        targets,
        ...extra,
      });
      if (created.status !== 201) throw new Error(`${name}: ${JSON.stringify(created.body)}`);
      ids[name] = created.body.id as string;
    };
    await resource('paths', {
      firewall_rules: [
        { action: 'deny', cidrs: ['192.0.2.0/24'] },
        { action: 'deny', paths: ['/admin'] },
      ],
    });
    await resource('cidrs', {
      firewall_rules: [
        { action: 'deny', cidrs: ['127.0.0.3/32'] },
        { action: 'allow', cidrs: ['127.0.0.2/32', '127.0.0.3/32', '::1/128'] },
      ],
    });
    await resource('nous', { firewall_rules: [{ action: 'deny', countries: ['US'] }] });
    await resource('onlyde', { firewall_rules: [{ action: 'allow', countries: ['DE'] }] });
    await resource('filters', {
      firewall_rules: [
        { action: 'deny', headers: [{ name: 'X-Debug', pattern: '^(1|true)$' }] },
        { action: 'deny', user_agents: ['sqlmap', '/^python-requests\\//'] },
      ],
    });
    await resource('plain', {});
    // A protected resource whose policies use a path and a country: any signed-in user, from DE, not /admin.
    await resource('vault', { auth_required: true });
    await api('POST', '/policies', {
      name: 'signed-in users from DE',
      effect: 'allow',
      resource_ids: [ids['vault']],
      subjects: { any_authenticated: true },
      conditions: { countries: ['DE'] },
    });
    await api('POST', '/policies', {
      name: 'nobody in admin',
      effect: 'deny',
      resource_ids: [ids['vault']],
      subjects: { any_authenticated: true },
      conditions: { paths: ['/admin'] },
    });

    // A TCP resource with the same kind of rule: the TCP/UDP listeners use the same compiled rules.
    const echoPort = await freePort();
    echo = createTcpServer((socket) => socket.pipe(socket));
    await new Promise<void>((r) => echo.listen(echoPort, '127.0.0.1', r));
    tcpPort = await freePort();
    const tcp = await api('POST', '/resources', {
      site_id: site.id,
      name: 'tcpnous',
      protocol: 'tcp',
      public_port: tcpPort,
      auth_required: false,
      targets: [{ address: `127.0.0.1:${echoPort}`, protocol: 'tcp' }],
      firewall_rules: [{ action: 'deny', countries: ['US'] }],
    });
    if (tcp.status !== 201) throw new Error(JSON.stringify(tcp.body));
    ids['tcpnous'] = tcp.body.id as string;

    gateway = await GatewayProcess.start(platform, admin, site.id as string, {
      RN_GEOIP_DB: join(dir, 'countries.mmdb'),
    });
    await untilServes(gateway, Object.values(ids));
    await gateway.until(
      (st) => !!st.listeners?.some((l) => l.resource_id === ids['tcpnous'] && l.state === 'listening'),
      'the TCP port open',
    );
  }, 90_000);
  afterAll(async () => {
    gateway?.stop();
    upstream?.close();
    echo?.close();
    await platform?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an invalid or catastrophic pattern when the resource is saved, naming the field', async () => {
    const bad = await api('POST', '/resources', {
      site_id: 'sit_x',
      name: 'bad',
      protocol: 'http',
      firewall_rules: [{ action: 'deny', headers: [{ name: 'x', pattern: '(a+)+$' }] }],
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/firewall_rules\.0\.headers\.0\.pattern/);
    expect(JSON.stringify(bad.body)).toMatch(/backtrack/);
  });

  it('blocks a denied path in every spelling of it, naming the rule, and the target never sees it', async () => {
    seen.length = 0;
    for (const path of [
      '/admin',
      '/%61dmin',
      '//admin',
      '/x/../admin',
      '/admin/',
      '/./admin/users',
      '/%2e/admin',
    ]) {
      const r = await get('paths.localhost', path);
      expect({ path, status: r.status }).toEqual({ path, status: 403 });
      expect(r.text).toMatch(/Blocked by firewall rule 2 of paths\./);
    }
    expect(seen).toEqual([]);
    expect((await get('paths.localhost', '/administrator')).status).toBe(200);
    expect((await get('paths.localhost', '/public/admin')).status).toBe(200);
  });

  it('applies a policy path condition to the canonical path too', async () => {
    const user = (
      await api('POST', '/users', { email: 'eve@fw.example', name: 'Eve', password: 'long-enough-pw' })
    ).body;
    expect(user.id).toBeDefined();
    const token = (await login(platform.url, 'eve@fw.example', 'long-enough-pw')).access;
    expect((await get('vault.localhost', '/docs', { token, from: '127.0.0.2' })).status).toBe(200);
    for (const path of ['/admin', '/%61dmin', '//admin', '/x/../admin']) {
      const r = await get('vault.localhost', path, { token, from: '127.0.0.2' });
      expect({ path, status: r.status }).toEqual({ path, status: 403 });
      expect(r.text).toMatch(/denied by policy "nobody in admin"/);
    }
    // The policy's country condition: the same user from a US address is not allowed.
    const us = await get('vault.localhost', '/docs', { token, from: '127.0.0.3' });
    expect(us.status).toBe(403);
    expect(us.text).toMatch(/no policy allows/);
  });

  it('admits only the allowed source addresses, and a deny rule wins over an allow for the same address', async () => {
    const ok = await get('cidrs.localhost', '/', { from: '127.0.0.2' });
    expect(ok.status).toBe(200);
    const denied = await get('cidrs.localhost', '/', { from: '127.0.0.3' });
    expect(denied.status).toBe(403);
    expect(denied.text).toMatch(/Blocked by firewall rule 1 of cidrs\./);
    const stranger = await get('cidrs.localhost', '/', { from: '127.0.0.1' });
    expect(stranger.status).toBe(403);
    expect(stranger.text).toMatch(/no allow rule matches/);
  });

  it('blocks and admits by country from the GeoIP database; an unknown country matches no country rule', async () => {
    expect((await get('nous.localhost', '/', { from: '127.0.0.2' })).status).toBe(200);
    const us = await get('nous.localhost', '/', { from: '127.0.0.3' });
    expect(us.status).toBe(403);
    expect(us.text).toMatch(/Blocked by firewall rule 1 of nous\./);
    expect((await get('nous.localhost', '/', { from: '127.0.0.4' })).status).toBe(200);

    expect((await get('onlyde.localhost', '/', { from: '127.0.0.2' })).status).toBe(200);
    expect((await get('onlyde.localhost', '/', { from: '127.0.0.3' })).status).toBe(403);
    expect((await get('onlyde.localhost', '/', { from: '127.0.0.4' })).status).toBe(403);
  });

  it('blocks by header pattern and by user agent, and lets other requests through', async () => {
    const debug = await get('filters.localhost', '/', { headers: { 'x-debug': 'True' } });
    expect(debug.status).toBe(403);
    expect(debug.text).toMatch(/rule 1 of filters/);
    expect((await get('filters.localhost', '/', { headers: { 'x-debug': 'false' } })).status).toBe(200);
    const sqlmap = await get('filters.localhost', '/', { headers: { 'user-agent': 'sqlmap/1.7#stable' } });
    expect(sqlmap.status).toBe(403);
    expect(sqlmap.text).toMatch(/rule 2 of filters/);
    expect(
      (await get('filters.localhost', '/', { headers: { 'user-agent': 'python-requests/2.31' } })).status,
    ).toBe(403);
    expect((await get('filters.localhost', '/', { headers: { 'user-agent': 'Mozilla/5.0' } })).status).toBe(
      200,
    );
    expect((await get('plain.localhost', '/', { headers: { 'user-agent': 'sqlmap' } })).status).toBe(200);
  });

  it('follows a rule change from the console without a restart', async () => {
    expect((await get('plain.localhost', '/', { from: '127.0.0.3' })).status).toBe(200);
    const updated = await api('PATCH', `/resources/${ids['plain']}`, {
      firewall_rules: [{ action: 'deny', countries: ['US'] }],
    });
    expect(updated.status).toBe(200);
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (
      Date.now() < deadline &&
      (status = (await get('plain.localhost', '/', { from: '127.0.0.3' })).status) !== 403
    )
      await new Promise((r) => setTimeout(r, 100));
    expect(status).toBe(403);
    expect((await get('plain.localhost', '/', { from: '127.0.0.2' })).status).toBe(200);
  });

  it('applies country rules to TCP connections by their source address too', async () => {
    const echoed = (from: string) =>
      new Promise<string>((resolve) => {
        const socket = tcpConnect({ host: '127.0.0.1', port: tcpPort, localAddress: from });
        let text = '';
        socket.on('data', (c: Buffer) => {
          text += c.toString();
          if (text === 'hello') socket.end();
        });
        socket.on('connect', () => socket.write('hello'));
        socket.on('error', () => undefined);
        socket.on('close', () => resolve(text));
      });
    expect(await echoed('127.0.0.2')).toBe('hello'); // DE
    expect(await echoed('127.0.0.4')).toBe('hello'); // unknown: a deny-by-country rule does not match
    expect(await echoed('127.0.0.3')).toBe(''); // US: closed before reaching the target
  });
});
