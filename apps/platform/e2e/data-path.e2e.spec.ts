import { createServer, request, type Server } from 'node:http';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';
import { freePort } from '@rustronaut/testing';
import { GatewayProcess, through, untilServes } from './support/gateway-process';

describe('the HTTP data path (e2e, started processes)', () => {
  let platform: ConsoleHarness;
  let admin: string;
  let upstream: Server;
  let upstreamPort: number;
  let gateway: GatewayProcess;
  let httpPort: number;
  const ids: Record<string, string> = {};
  const api = (method: string, path: string, body?: unknown) =>
    call(platform.url, method, path, { token: admin, body });

  beforeAll(async () => {
    platform = await ConsoleHarness.start();
    admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    upstreamPort = await freePort();
    upstream = createServer((req, res) => {
      let size = 0;
      req.on('data', (c: Buffer) => (size += c.length));
      req.on('end', () =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ path: req.url, headers: req.headers, size })),
      );
    });
    // Upgrades (WebSocket): answer 101, then echo every byte back, prefixed by who the gateway said it was.
    upstream.on('upgrade', (req, socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      socket.write(`user=${String(req.headers['x-rustronaut-user'] ?? '-')};`);
      socket.on('data', (chunk: Buffer) => socket.write(chunk));
    });
    await new Promise<void>((r) => upstream.listen(upstreamPort, '127.0.0.1', r));

    const site = (
      await api('POST', '/sites', {
        name: 'Apps',
        subnet: '10.20.0.0/24',
        region: 'eu',
        connection_type: 'local',
      })
    ).body;
    const target = [{ address: `127.0.0.1:${upstreamPort}`, protocol: 'http' }];
    ids['open'] = (
      await api('POST', '/resources', {
        site_id: site.id,
        name: 'open',
        protocol: 'http',
        domains: ['open.localhost'],
        auth_required: false,
        targets: target,
      })
    ).body.id;
    ids['wiki'] = (
      await api('POST', '/resources', {
        site_id: site.id,
        name: 'wiki',
        protocol: 'http',
        domains: ['*.wiki.localhost'],
        targets: target,
      })
    ).body.id;
    ids['down'] = (
      await api('POST', '/resources', {
        site_id: site.id,
        name: 'down',
        protocol: 'http',
        domains: ['down.localhost'],
        auth_required: false,
        targets: [{ address: `127.0.0.1:${await freePort()}`, protocol: 'http' }],
      })
    ).body.id;
    ids['alice'] = (
      await api('POST', '/users', { email: 'alice@data.example', name: 'Alice', password: 'long-enough-pw' })
    ).body.id;
    ids['bob'] = (
      await api('POST', '/users', { email: 'bob@data.example', name: 'Bob', password: 'long-enough-pw' })
    ).body.id;
    const eng = (await api('POST', '/groups', { name: 'eng' })).body.id as string;
    await api('POST', `/groups/${eng}/members`, { user_id: ids['alice'] });
    ids['eng'] = eng;
    await api('POST', '/policies', {
      name: 'eng reads the wiki',
      effect: 'allow',
      resource_ids: [ids['wiki']],
      subjects: { groups: [eng] },
    });

    gateway = await GatewayProcess.start(platform, admin, site.id);
    httpPort = gateway.httpPort;
    // Ready once the snapshot with the policy is there (the last resource is served).
    await untilServes(gateway, [ids['down']!]);
  }, 90_000);
  afterAll(async () => {
    gateway?.stop();
    upstream?.close();
    await platform?.stop();
  });

  it('proxies a public resource by host, sets X-Forwarded-*, and strips identity headers a client forges', async () => {
    const r = await through(httpPort, 'open.localhost:8080', '/hello?x=1', {
      headers: { 'x-rustronaut-user': 'usr_forged', 'x-forwarded-for': '6.6.6.6' },
    });
    expect(r.status).toBe(200);
    const seen = JSON.parse(r.text) as { path: string; headers: Record<string, string> };
    expect(seen.path).toBe('/hello?x=1');
    expect(seen.headers['x-rustronaut-user']).toBeUndefined();
    expect(seen.headers['x-forwarded-for']).toMatch(/127\.0\.0\.1/);
    expect(seen.headers['x-forwarded-host']).toBe('open.localhost:8080');
  });

  it('streams a large body to the target', async () => {
    const body = Buffer.alloc(8 * 1024 * 1024, 7);
    const r = await through(httpPort, 'open.localhost', '/upload', {
      method: 'POST',
      body,
      headers: { 'content-length': String(body.length) },
    });
    expect(JSON.parse(r.text).size).toBe(body.length);
  });

  it('asks for a token on a protected resource, applies the policy, and passes the identity on', async () => {
    expect((await through(httpPort, 'team.wiki.localhost', '/')).status).toBe(401);
    const bob = (await login(platform.url, 'bob@data.example', 'long-enough-pw')).access;
    const denied = await through(httpPort, 'team.wiki.localhost', '/', { token: bob });
    expect(denied.status).toBe(403);
    expect(denied.text).toMatch(/no policy allows/);
    const alice = (await login(platform.url, 'alice@data.example', 'long-enough-pw')).access;
    const allowed = await through(httpPort, 'team.wiki.localhost', '/page', { token: alice });
    expect(allowed.status).toBe(200);
    const headers = (JSON.parse(allowed.text) as { headers: Record<string, string> }).headers;
    expect(headers['x-rustronaut-user']).toBe(ids['alice']);
    expect(headers['x-rustronaut-email']).toBe('alice@data.example');
    expect(headers['x-rustronaut-groups']).toBe(ids['eng']);
    expect((await through(httpPort, 'team.wiki.localhost', '/', { token: 'not.a.token' })).status).toBe(401);
  });

  it('carries a WebSocket upgrade through, after the same authentication and policy', async () => {
    const upgrade = (token?: string) =>
      new Promise<{ status: number; echoed?: string }>((resolve, reject) => {
        const req = request({
          host: '127.0.0.1',
          port: httpPort,
          path: '/socket',
          headers: {
            host: 'team.wiki.localhost',
            connection: 'Upgrade',
            upgrade: 'websocket',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
        });
        req.on('upgrade', (res, socket, head: Buffer) => {
          // Bytes that came with the 101 (the target's greeting may) arrive as `head`, not as data.
          let echoed = head.toString();
          socket.on('data', (c: Buffer) => {
            echoed += c.toString();
            if (echoed.endsWith('ping')) {
              socket.destroy();
              resolve({ status: res.statusCode ?? 0, echoed });
            }
          });
          socket.write('ping');
        });
        req.on('response', (res) => resolve({ status: res.statusCode ?? 0 }));
        req.on('error', reject);
        req.end();
      });
    expect((await upgrade()).status).toBe(401);
    const alice = (await login(platform.url, 'alice@data.example', 'long-enough-pw')).access;
    expect(await upgrade(alice)).toEqual({ status: 101, echoed: `user=${ids['alice']};ping` });
  });

  it('says which target is not answering (502) and which host is unknown (404)', async () => {
    const down = await through(httpPort, 'down.localhost', '/');
    expect(down.status).toBe(502);
    expect(down.text).toMatch(/target 127\.0\.0\.1:\d+ of down is not answering \(ECONNREFUSED\)/);
    expect((await through(httpPort, 'nowhere.localhost', '/')).status).toBe(404);
  });
});
