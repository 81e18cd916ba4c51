import { createServer, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';
import { freePort } from '@rustronaut/testing';
import { GatewayProcess, through as send, untilServes } from './support/gateway-process';

/** A GET through the gateway: its status. */
const through = async (
  port: number,
  host: string,
  path: string,
  token?: string,
  headers: Record<string, string> = {},
) => (await send(port, host, path, { ...(token ? { token } : {}), headers })).status;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- records are read as the API serves them
type Row = Record<string, any>;

/** The gateways' access log end to end: a gateway process → NATS JetStream → the audit service → the API. */
describe('the access log (e2e, started processes)', () => {
  let platform: ConsoleHarness;
  let admin: string;
  let upstream: Server;
  let echo: TcpServer;
  let tcpPort: number;
  let gateway: GatewayProcess;
  let httpPort: number;
  let managementPort: number;
  const ids: Record<string, string> = {};
  const api = (method: string, path: string, body?: unknown, token = admin) =>
    call(platform.url, method, path, { token, body });

  /** Polls the access log until `ready` holds for the rows of the query (or fails after 20 s). */
  async function waitForRows(queryString: string, ready: (rows: Row[]) => boolean): Promise<Row[]> {
    const deadline = Date.now() + 20_000;
    let rows: Row[] = [];
    while (Date.now() < deadline) {
      const r = await api('GET', `/access-log?${queryString}`);
      rows = r.status === 200 ? (r.body.items as Row[]) : [];
      if (ready(rows)) return rows;
      await new Promise((r2) => setTimeout(r2, 250));
    }
    throw new Error(`access log not there for ${queryString}; got ${JSON.stringify(rows, null, 1)}`);
  }

  const metric = async (name: string, labels: Record<string, string>) => {
    const text = await (
      await fetch(`http://127.0.0.1:${managementPort}/metrics`, {
        headers: { authorization: `Bearer ${admin}` },
      })
    ).text();
    const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    const line = text
      .split('\n')
      .find(
        (l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && wanted.every((w) => l.includes(w)),
      );
    return line ? Number(line.split(' ').at(-1)) : 0;
  };

  beforeAll(async () => {
    platform = await ConsoleHarness.start();
    admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    const upstreamPort = await freePort();
    upstream = createServer((req, res) => res.end(`hello from ${req.url}`));
    await new Promise<void>((r) => upstream.listen(upstreamPort, '127.0.0.1', r));
    const site = (
      await api('POST', '/sites', {
        name: 'Logged',
        subnet: '10.30.0.0/24',
        region: 'eu',
        connection_type: 'local',
      })
    ).body;
    const target = [{ address: `127.0.0.1:${upstreamPort}`, protocol: 'http' }];
    const resource = async (name: string, domain: string, extra: Record<string, unknown> = {}) =>
      (
        await api('POST', '/resources', {
          site_id: site.id,
          name,
          protocol: 'http',
          domains: [domain],
          targets: target,
          ...extra,
        })
      ).body.id as string;
    ids['open'] = await resource('open', 'open.localhost', { auth_required: false });
    ids['wiki'] = await resource('wiki', 'wiki.localhost');
    ids['guarded'] = await resource('guarded', 'guarded.localhost', {
      auth_required: false,
      firewall_rules: [{ action: 'deny', paths: ['/blocked'] }],
      rate_limit: { requests_per_minute: 1, burst: 2, per: 'resource' },
    });
    ids['down'] = await resource('down', 'down.localhost', {
      auth_required: false,
      targets: [{ address: `127.0.0.1:${await freePort()}`, protocol: 'http' }],
    });
    echo = createTcpServer((socket) => socket.pipe(socket));
    const echoPort = await freePort();
    await new Promise<void>((r) => echo.listen(echoPort, '127.0.0.1', r));
    tcpPort = await freePort();
    ids['shell'] = (
      await api('POST', '/resources', {
        site_id: site.id,
        name: 'shell',
        protocol: 'tcp',
        public_port: tcpPort,
        auth_required: false,
        targets: [{ address: `127.0.0.1:${echoPort}`, protocol: 'tcp' }],
      })
    ).body.id;
    ids['alice'] = (
      await api('POST', '/users', { email: 'alice@log.example', name: 'Alice', password: 'long-enough-pw' })
    ).body.id;
    await api('POST', '/users', { email: 'bob@log.example', name: 'Bob', password: 'long-enough-pw' });
    const eng = (await api('POST', '/groups', { name: 'eng' })).body.id as string;
    await api('POST', `/groups/${eng}/members`, { user_id: ids['alice'] });
    ids['allow'] = (
      await api('POST', '/policies', {
        name: 'eng reads the wiki',
        effect: 'allow',
        resource_ids: [ids['wiki']],
        subjects: { groups: [eng] },
      })
    ).body.id;
    ids['deny'] = (
      await api('POST', '/policies', {
        name: 'nobody sees /secret',
        effect: 'deny',
        resource_ids: [ids['wiki']],
        subjects: { any_authenticated: true },
        conditions: { paths: ['/secret'] },
      })
    ).body.id;

    gateway = await GatewayProcess.start(platform, admin, site.id, { RN_GATEWAY_ID: 'gw_logged' });
    await untilServes(gateway, [
      ids['open'],
      ids['wiki'],
      ids['guarded'],
      ids['down'],
      ids['shell'],
    ] as string[]);
    await gateway.until(
      (st) => st.listeners?.some((l) => l.resource_id === ids['shell'] && l.state === 'listening') ?? false,
      'the TCP port',
    );
    httpPort = gateway.httpPort;
    managementPort = gateway.managementPort;
  }, 90_000);
  afterAll(async () => {
    gateway?.stop();
    upstream?.close();
    echo?.close();
    await platform?.stop();
  });

  it('records every decision with what decided it, the user and the status, within seconds', async () => {
    const alice = (await login(platform.url, 'alice@log.example', 'long-enough-pw')).access;
    const bob = (await login(platform.url, 'bob@log.example', 'long-enough-pw')).access;
    const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
    expect(
      await through(httpPort, 'open.localhost', '/hello', undefined, {
        traceparent: `00-${trace}-00f067aa0ba902b7-01`,
      }),
    ).toBe(200);
    expect(await through(httpPort, 'wiki.localhost', '/page')).toBe(401);
    expect(await through(httpPort, 'wiki.localhost', '/page', bob)).toBe(403);
    expect(await through(httpPort, 'wiki.localhost', '/page', alice)).toBe(200);
    expect(await through(httpPort, 'wiki.localhost', '/secret', alice)).toBe(403);
    expect(await through(httpPort, 'down.localhost', '/')).toBe(502);
    expect(await through(httpPort, 'nowhere.localhost', '/lost')).toBe(404);
    expect(await through(httpPort, 'guarded.localhost', '/blocked')).toBe(403);
    expect(await through(httpPort, 'guarded.localhost', '/a')).toBe(200);
    expect(await through(httpPort, 'guarded.localhost', '/b')).toBe(200);
    expect(await through(httpPort, 'guarded.localhost', '/c')).toBe(429);

    const rows = await waitForRows('limit=50', (r) => r.length >= 11);
    const find = (host: string, path: string, status: number) =>
      rows.find((r) => r['host'] === host && r['path'] === path && r['status'] === status);
    expect(find('open.localhost', '/hello', 200)).toMatchObject({
      decision: 'allowed',
      decided_by: 'public',
      resource_id: ids['open'],
      gateway_id: 'gw_logged',
      method: 'GET',
      ip: '127.0.0.1',
      user: null,
      trace_id: trace,
    });
    expect(find('wiki.localhost', '/page', 401)).toMatchObject({
      decision: 'refused',
      decided_by: 'authentication',
      user: null,
    });
    expect(find('wiki.localhost', '/page', 403)).toMatchObject({
      decision: 'refused',
      decided_by: 'policy',
      rule: null,
      reason: expect.stringMatching(/no policy allows/),
      user: { email: 'bob@log.example' },
    });
    expect(find('wiki.localhost', '/page', 200)).toMatchObject({
      decision: 'allowed',
      decided_by: 'policy',
      rule: { id: ids['allow'], name: 'eng reads the wiki' },
      user: { id: ids['alice'], email: 'alice@log.example' },
    });
    expect(find('wiki.localhost', '/secret', 403)).toMatchObject({
      decision: 'refused',
      decided_by: 'policy',
      rule: { id: ids['deny'], name: 'nobody sees /secret' },
      user: { id: ids['alice'] },
    });
    expect(find('down.localhost', '/', 502)).toMatchObject({
      decision: 'failed',
      decided_by: 'target',
      reason: expect.stringMatching(/not answering \(ECONNREFUSED\)/),
    });
    expect(find('nowhere.localhost', '/lost', 404)).toMatchObject({
      decision: 'refused',
      decided_by: 'route',
      resource_id: null,
    });
    expect(find('guarded.localhost', '/blocked', 403)).toMatchObject({
      decision: 'refused',
      decided_by: 'firewall',
      reason: expect.stringMatching(/firewall rule 1 of guarded/),
    });
    expect(find('guarded.localhost', '/c', 429)).toMatchObject({
      decision: 'refused',
      decided_by: 'rate_limit',
    });
    const ok = find('open.localhost', '/hello', 200)!;
    expect(ok['bytes_out']).toBeGreaterThan(0);
    expect(ok['bytes_in']).toBeGreaterThan(0);
    expect(ok['total_ms']).toBeGreaterThanOrEqual(ok['admission_ms']);

    // Filters, and pages that together give every row once.
    const refused = (await api('GET', `/access-log?decision=refused&resource=${ids['wiki']}`)).body
      .items as Row[];
    expect(refused.map((r) => r['status']).sort()).toEqual([401, 403, 403]);
    const byEmail = (await api('GET', '/access-log?user=alice@log.example')).body.items as Row[];
    expect(byEmail.map((r) => r['path']).sort()).toEqual(['/page', '/secret']);
    expect((await api('GET', '/access-log?status=502')).body.items).toHaveLength(1);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Row[]; next_cursor: string | null } = (
        await api('GET', `/access-log?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      ).body;
      seen.push(...page.items.map((r) => r['id'] as string));
      cursor = page.next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(rows.length);
    const exported = await api('GET', '/access-log/export');
    expect(exported.headers.get('content-type')).toMatch(/application\/x-ndjson/);
    expect((exported.body as string).trim().split('\n')).toHaveLength(rows.length);

    // Bad filters are refused, and name the field.
    const bad = await api('GET', '/access-log?status=abc&decision=maybe');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/query\.status/);
    expect((await api('GET', '/access-log?colour=red')).status).toBe(400);
  }, 60_000);

  it("shows an org's records to its admins only", async () => {
    await api('POST', '/orgs', {
      name: 'Other',
      owner: { email: 'owner@other.example', name: 'O', password: 'other-password-1' },
    });
    const other = (await login(platform.url, 'owner@other.example', 'other-password-1')).access;
    const theirs = await api('GET', '/access-log', undefined, other);
    expect(theirs.status).toBe(200);
    expect(theirs.body.items).toEqual([]);
    const bob = (await login(platform.url, 'bob@log.example', 'long-enough-pw')).access;
    expect((await api('GET', '/access-log', undefined, bob)).status).toBe(403);
  });

  it('loses nothing while the audit service is down: records wait in the stream', async () => {
    await platform.kill('audit');
    for (let i = 0; i < 5; i++)
      expect(await through(httpPort, 'open.localhost', `/while-down-${i}`)).toBe(200);
    // Give the gateway time to ship them to the stream while no one reads it.
    await new Promise((r) => setTimeout(r, 2_000));
    platform.startService('audit');
    const rows = await waitForRows(`resource=${ids['open']}&limit=100`, (r) =>
      [0, 1, 2, 3, 4].every((i) => r.some((row) => row['path'] === `/while-down-${i}`)),
    );
    expect(rows.filter((r) => String(r['path']).startsWith('/while-down-'))).toHaveLength(5);
  }, 60_000);

  it('counts requests, decisions and bytes per resource on /metrics', async () => {
    const labels = { resource: ids['open']!, status_class: '2xx' };
    const before = await metric('rustronaut_gateway_http_requests_total', labels);
    const bytesBefore = await metric('rustronaut_gateway_http_sent_bytes_total', { resource: ids['open']! });
    for (let i = 0; i < 3; i++) await through(httpPort, 'open.localhost', '/counted');
    expect(await metric('rustronaut_gateway_http_requests_total', labels)).toBe(before + 3);
    expect(
      await metric('rustronaut_gateway_http_sent_bytes_total', { resource: ids['open']! }),
    ).toBeGreaterThan(bytesBefore);
    expect(
      await metric('rustronaut_gateway_http_decisions_total', {
        resource: ids['wiki']!,
        decision: 'refused',
        decided_by: 'policy',
      }),
    ).toBe(2);
    expect(
      await metric('rustronaut_gateway_http_request_duration_seconds_count', { resource: ids['open']! }),
    ).toBeGreaterThanOrEqual(before + 3);
    // A TCP connection: counted when let in, bytes when it ends.
    const shell = { resource: ids['shell']!, protocol: 'tcp' };
    const echoed = await new Promise<string>((resolve, reject) => {
      const socket = connect(tcpPort, '127.0.0.1', () => socket.end('ping'));
      let got = '';
      socket.on('data', (c: Buffer) => (got += c.toString()));
      socket.on('close', () => resolve(got));
      socket.on('error', reject);
    });
    expect(echoed).toBe('ping');
    const until = Date.now() + 10_000;
    while ((await metric('rustronaut_gateway_l4_received_bytes_total', shell)) < 4 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 100));
    expect(await metric('rustronaut_gateway_l4_received_bytes_total', shell)).toBe(4);
    expect(await metric('rustronaut_gateway_l4_sent_bytes_total', shell)).toBe(4);
    expect(await metric('rustronaut_gateway_l4_connections_total', { ...shell, decision: 'allowed' })).toBe(
      1,
    );
    expect(await metric('rustronaut_gateway_l4_connections_open', shell)).toBe(0);
    // …and the connection is in the access log, with its bytes.
    const [connection] = await waitForRows(`resource=${ids['shell']}`, (r) => r.length === 1);
    expect(connection).toMatchObject({
      method: 'TCP',
      decision: 'allowed',
      decided_by: 'public',
      ip: '127.0.0.1',
      bytes_in: 4,
      bytes_out: 4,
      gateway_id: 'gw_logged',
    });
    // Shipped: at least the records of the tests above, once the next batch left.
    const deadline = Date.now() + 10_000;
    while (
      (await metric('rustronaut_gateway_access_records_shipped_total', {})) < 15 &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 200));
    expect(await metric('rustronaut_gateway_access_records_shipped_total', {})).toBeGreaterThanOrEqual(15);
  });
});
