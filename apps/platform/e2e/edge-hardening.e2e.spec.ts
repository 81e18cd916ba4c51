import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import fc from 'fast-check';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';
import { freePort } from '@rustronaut/testing';
import { GatewayProcess, through, untilServes } from './support/gateway-process';

/** An HTTP target that says who it is and remembers the paths that reached it. */
function recordingTarget(name: string, seen: string[]): Promise<{ server: HttpServer; port: number }> {
  const server = createHttpServer((req, res) => {
    seen.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`${name} ${req.url}`);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as { port: number }).port }),
    ),
  );
}

/** Sends a line over TCP from `from` and reads what comes back until the gateway or the echo ends it. */
function tcpExchange(port: number, from: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress: from });
    let text = '';
    socket.on('data', (c: Buffer) => {
      text += c.toString();
      socket.end();
    });
    socket.on('error', () => undefined);
    socket.on('connect', () => socket.write('ping\n'));
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('close', () => resolve(text));
  });
}

/** One datagram from `from`; its answer, or undefined after a second. */
async function udpExchange(port: number, from: string): Promise<string | undefined> {
  const socket: UdpSocket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, from, r));
  try {
    return await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 1000);
      socket.once('message', (m: Buffer) => {
        clearTimeout(timer);
        resolve(m.toString());
      });
      socket.send('ping', port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

/** Spellings of a way from `/` into `/admin` an attacker tries (each is combined with generated ones). */
const TRAVERSALS = [
  '/admin',
  '/admin/users',
  '//admin',
  '/./admin',
  '/%61dmin',
  '/%2e/admin',
  '/x/../admin',
  '/x/%2e%2e/admin',
  '/x/%2E%2E/admin/secret',
  '/x/.%2e/admin',
  '/x/..%2fadmin',
  '/x%2f..%2fadmin',
  '/x/%252e%252e/admin',
  '/x/..%5cadmin',
  '/x/..\\admin',
  '/admin;jsessionid=1',
  '/x;/../admin',
  '/admin%00',
  '/%c0%ae%c0%ae/admin',
  '/admin%2f',
  '/public/../../admin',
];

describe('edge hardening (e2e, console and gateway as processes)', () => {
  let platform: ConsoleHarness;
  let admin: string;
  let gateway: GatewayProcess;
  let siteId: string;
  const publicSeen: string[] = [];
  const adminSeen: string[] = [];
  const servers: (HttpServer | Server)[] = [];
  let echoPort: number;
  let udpEcho: UdpSocket;
  let udpEchoPort: number;
  const ids: Record<string, string> = {};
  const created: Record<string, { warnings: { code: string; message: string }[] }> = {};
  const ports: Record<string, number> = {};

  const api = (method: string, path: string, body?: unknown) =>
    call(platform.url, method, path, { token: admin, body });
  const create = async (name: string, body: Record<string, unknown>) => {
    const r = await api('POST', '/resources', { site_id: siteId, name, ...body });
    if (r.status !== 201) throw new Error(`resource ${name}: ${r.status} ${JSON.stringify(r.body)}`);
    ids[name] = r.body.id as string;
    created[name] = r.body as (typeof created)[string];
  };

  beforeAll(async () => {
    platform = await ConsoleHarness.start({}, { upWithinMs: 120_000 }); // a loaded CI box is slow to start seven processes
    admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    siteId = (
      await api('POST', '/sites', {
        name: 'Edge',
        subnet: '10.41.0.0/24',
        region: 'eu',
        connection_type: 'local',
      })
    ).body.id;
    const site = await recordingTarget('public', publicSeen);
    const adminApp = await recordingTarget('admin', adminSeen);
    servers.push(site.server, adminApp.server);
    // One domain, two resources: the site at / for everyone, its admin under /admin for signed-in users.
    await create('site', {
      protocol: 'http',
      domains: ['app.localhost'],
      auth_required: false,
      targets: [{ address: `127.0.0.1:${site.port}`, protocol: 'http' }],
    });
    await create('site-admin', {
      protocol: 'http',
      domains: ['app.localhost'],
      path_prefix: '/admin',
      targets: [{ address: `127.0.0.1:${adminApp.port}`, protocol: 'http' }],
    });
    const allow = await api('POST', '/policies', {
      name: 'signed-in users administer the site',
      effect: 'allow',
      resource_ids: [ids['site-admin']],
      subjects: { any_authenticated: true },
    });
    if (allow.status !== 201) throw new Error(JSON.stringify(allow.body));

    // A TCP echo and a UDP echo behind auth-required public ports (the default).
    const echo = createServer((socket) => socket.pipe(socket));
    echoPort = await freePort();
    await new Promise<void>((r) => echo.listen(echoPort, '127.0.0.1', r));
    servers.push(echo);
    udpEcho = createSocket('udp4');
    udpEcho.on('message', (m, from) =>
      udpEcho.send(Buffer.concat([Buffer.from('echo:'), m]), from.port, from.address),
    );
    udpEchoPort = await freePort();
    await new Promise<void>((r) => udpEcho.bind(udpEchoPort, '127.0.0.1', r));
    for (const protocol of ['tcp', 'udp'] as const) {
      ports[protocol] = await freePort();
      await create(protocol, {
        protocol,
        public_port: ports[protocol],
        targets: [{ address: `127.0.0.1:${protocol === 'tcp' ? echoPort : udpEchoPort}`, protocol }],
      });
    }
    gateway = await GatewayProcess.start(platform, admin, siteId);
    await untilServes(gateway, Object.values(ids));
    await gateway.until(
      (st) =>
        ['tcp', 'udp'].every((p) =>
          st.listeners?.some((l) => l.resource_id === ids[p] && l.state === 'listening'),
        ),
      'the public ports',
    );
  }, 240_000);

  afterAll(async () => {
    gateway?.stop();
    for (const server of servers) server.close();
    udpEcho?.close();
    await platform?.stop();
  });

  describe('one domain, / public and /admin protected', () => {
    it('routes / to the site and /admin to its admin, which wants a sign-in', async () => {
      expect(await through(gateway.httpPort, 'app.localhost', '/about')).toMatchObject({
        status: 200,
        text: 'public /about',
      });
      expect((await through(gateway.httpPort, 'app.localhost', '/admin/users')).status).toBe(401);
      expect(
        await through(gateway.httpPort, 'app.localhost', '/admin/users', { token: admin }),
      ).toMatchObject({
        status: 200,
        text: 'admin /admin/users',
      });
      // A segment boundary: /administrator is the site's, not the admin's.
      expect(await through(gateway.httpPort, 'app.localhost', '/administrator')).toMatchObject({
        status: 200,
        text: 'public /administrator',
      });
    });

    it('never lets an encoded traversal from / reach the admin targets without credentials', async () => {
      adminSeen.length = 0;
      const generated = fc.sample(
        fc
          .tuple(
            fc.constantFrom('/', '/x/', '/public/', '//'),
            fc.array(
              fc.constantFrom('..', '%2e%2e', '.%2e', '%2E.', '.', '%2e', '', 'x', '%2f', '%5c', '..;'),
              {
                maxLength: 4,
              },
            ),
            fc.constantFrom('admin', '%61dmin', 'adm%69n', 'admin%2f', 'admin;', 'ADMIN', 'admin/'),
          )
          .map(([start, middle, end]) => `${start}${[...middle, end].join('/')}`),
        { numRuns: 150, seed: 12 },
      );
      const outcomes = new Map<number, number>();
      for (const path of [...TRAVERSALS, ...generated]) {
        const reply = await through(gateway.httpPort, 'app.localhost', path);
        outcomes.set(reply.status, (outcomes.get(reply.status) ?? 0) + 1);
        // Refused (400: an ambiguous spelling; 401: the admin's, without a sign-in), or the site's answer.
        if (reply.status === 200) expect(reply.text).toMatch(/^public /);
        else expect([400, 401]).toContain(reply.status);
      }
      expect(adminSeen).toEqual([]);
      // The attempts were decided every way: some refused as ambiguous, some as the admin's, some the site's.
      expect([...outcomes.keys()].sort()).toEqual([200, 400, 401]);
      // And the paths the site did get are already resolved: none names the admin's part.
      for (const url of publicSeen)
        expect(decodeURIComponent(url.split('?')[0] ?? '')).not.toMatch(/^\/admin(\/|$)/);
    });

    it('with credentials, the same spellings that resolve to /admin reach the admin with the resolved path', async () => {
      adminSeen.length = 0;
      for (const path of ['/x/../admin/users', '/%61dmin/users', '//admin//users', '/x/%2e%2e/admin/users'])
        expect(await through(gateway.httpPort, 'app.localhost', path, { token: admin })).toMatchObject({
          status: 200,
          text: 'admin /admin/users',
        });
      expect(adminSeen).toEqual(Array(4).fill('/admin/users'));
    });
  });

  describe('public TCP and UDP ports of resources that require sign-in', () => {
    it('are closed with no policy, and the API says why when they are created', async () => {
      for (const protocol of ['tcp', 'udp']) {
        expect(created[protocol]?.warnings).toEqual([
          {
            code: 'PUBLIC_PORT_CLOSED',
            message: expect.stringMatching(/admits no connection.*source address or country/),
          },
        ]);
      }
      expect(await tcpExchange(ports['tcp']!, '127.0.0.2')).toBe('');
      expect(await udpExchange(ports['udp']!, '127.0.0.2')).toBeUndefined();
      const status = await gateway.status();
      expect(status?.listeners?.filter((l) => [ids['tcp'], ids['udp']].includes(l.resource_id))).toEqual([
        expect.objectContaining({ access: 'closed' }),
        expect.objectContaining({ access: 'closed' }),
      ]);
    });

    it('open to the source CIDR a policy allows, and closed to any other source', async () => {
      const policy = await api('POST', '/policies', {
        name: 'the office network reaches the echo ports',
        effect: 'allow',
        resource_ids: [ids['tcp'], ids['udp']],
        subjects: {},
        conditions: { source_cidrs: ['127.0.0.2/32'] },
      });
      expect(policy.status).toBe(201);
      for (const protocol of ['tcp', 'udp']) {
        const resource = await api('GET', `/resources/${ids[protocol]}`);
        expect(resource.body.warnings).toEqual([]);
      }
      await gateway.until(
        (st) =>
          st.listeners?.filter(
            (l) => [ids['tcp'], ids['udp']].includes(l.resource_id) && l.access === 'by_policy',
          ).length === 2,
        'the policy at the gateway',
      );
      expect(await tcpExchange(ports['tcp']!, '127.0.0.2')).toBe('ping\n');
      expect(await udpExchange(ports['udp']!, '127.0.0.2')).toBe('echo:ping');
      expect(await tcpExchange(ports['tcp']!, '127.0.0.3')).toBe('');
      expect(await udpExchange(ports['udp']!, '127.0.0.3')).toBeUndefined();
    });
  });
});
