import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { join } from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';
import { freePort } from '@rustronaut/testing';
import { TunnelClient, type LocalService } from '@rustronaut/tunnel';
import { GatewayProcess, untilServes } from './support/gateway-process';
import { writeRepeated } from './support/streams';

const BIG = 50 * 1024 * 1024;

/**
 * Exposed services end to end: the services API, a gateway process, and the tunnel client a
 * `rustronaut expose` runs, against real local services (HTTP + WebSocket, TCP, UDP).
 */
describe('exposed services through reverse tunnels (e2e, started processes)', () => {
  let platform: ConsoleHarness;
  let admin: string;
  let gateway: GatewayProcess;
  let ca: string;
  let web: Server;
  let echo: TcpServer;
  const clients: TunnelClient[] = [];
  let l4Port: number;

  const api = (method: string, path: string, body?: unknown) =>
    call(platform.url, method, path, { token: admin, body });

  /** What `rustronaut expose` does after the API call: dial the gateway with the token. */
  const dial = (token: string, service: LocalService) => {
    const client = new TunnelClient({
      gateway: { host: '127.0.0.1', port: gateway.httpsPort, servername: 'localhost' },
      token,
      services: [service],
      ca,
      backoffMs: { min: 100, max: 1000 },
    });
    clients.push(client);
    client.start();
    return client;
  };

  /** A request to a public URL on the gateway's HTTPS port, as a browser would make it. */
  const get = (host: string, path: string, body?: Buffer) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: gateway.httpsPort,
          servername: host,
          path,
          method: body ? 'POST' : 'GET',
          headers: { host },
          ca,
          agent: false,
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  beforeAll(async () => {
    l4Port = await freePort();
    platform = await ConsoleHarness.start({ RN_TUNNEL_PORTS: `${l4Port}-${l4Port}` });
    admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    const site = (
      await api('POST', '/sites', {
        name: 'Dev',
        subnet: '10.70.0.0/24',
        region: 'eu',
        connection_type: 'local',
      })
    ).body;
    gateway = await GatewayProcess.start(platform, admin, site.id);
    await gateway.until((s) => s.sites.length > 0, 'the first snapshot');
    ca = readFileSync(join(gateway.dataDir, 'tls', 'ca.crt'), 'utf8');

    web = createServer((req, res) => {
      if (req.url === '/upload') {
        const hash = createHash('sha256');
        req.on('data', (c: Buffer) => hash.update(c));
        req.on('end', () => res.end(hash.digest('hex')));
        return;
      }
      if (req.url === '/big') {
        // 50 MiB streamed in 64 KiB chunks, never held whole.
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return writeRepeated(res, Buffer.alloc(64 * 1024, 7), BIG);
      }
      res.end(`local app: ${req.url} user=${String(req.headers['x-rustronaut-user'] ?? '-')}`);
    });
    new WebSocketServer({ server: web }).on('connection', (socket) =>
      socket.on('message', (data: Buffer) => socket.send(`echo ${data.toString()}`)),
    );
    echo = createTcpServer((s) => s.pipe(s));
    web.listen(0, '127.0.0.1');
    echo.listen(0, '127.0.0.1');
    await Promise.all([once(web, 'listening'), once(echo, 'listening')]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    gateway?.stop();
    web?.close();
    echo?.close();
    await platform?.stop();
  });

  const port = (server: Server | TcpServer) => (server.address() as { port: number }).port;

  it('serves an exposed HTTP service at its public URL: pages, 200 parallel requests, 50 MiB streamed both ways, a WebSocket; un-exposing removes the route', async () => {
    const exposed = await api('POST', '/services', {
      local_address: `localhost:${port(web)}`,
      protocol: 'http',
    });
    expect(exposed.status).toBe(201);
    const host = new URL(exposed.body.public_url as string).hostname;
    await untilServes(gateway, [exposed.body.id]);

    // Before its client connects: the route exists and says why it cannot answer.
    const offline = await get(host, '/');
    expect(offline.status).toBe(502);
    expect(offline.text).toContain('Tunnel offline');

    const client = dial(exposed.body.tunnel.token, {
      name: exposed.body.name,
      protocol: 'http',
      local: { host: '127.0.0.1', port: port(web) },
    });
    const [welcome] = (await once(client, 'connected')) as [{ services: { publicUrl: string }[] }];
    // The console names the public HTTPS port it was told (RN_PUBLIC_HTTPS_PORT); this gateway's is a test port.
    expect(welcome.services[0]?.publicUrl).toBe(`https://${host}:${gateway.httpsPort}`);
    const heard: string[] = [];
    client.on('request', (r: { method: string; path: string; status: number }) =>
      heard.push(`${r.method} ${r.path} ${r.status}`),
    );

    expect(await get(host, '/hello')).toEqual({ status: 200, text: 'local app: /hello user=-' });
    const many = await Promise.all(Array.from({ length: 200 }, (_, i) => get(host, `/p${i}`)));
    expect(many.filter((r, i) => r.status === 200 && r.text === `local app: /p${i} user=-`)).toHaveLength(
      200,
    );
    const upload = randomBytes(BIG);
    expect((await get(host, '/upload', upload)).text).toBe(createHash('sha256').update(upload).digest('hex'));
    expect((await get(host, '/big')).text.length).toBe(BIG);

    const ws = new WebSocket(`wss://127.0.0.1:${gateway.httpsPort}/ws`, {
      ca,
      servername: host,
      headers: { host },
    } as WebSocket.ClientOptions);
    await once(ws, 'open');
    ws.send('ping');
    const [message] = (await once(ws, 'message')) as [Buffer];
    expect(message.toString()).toBe('echo ping');
    ws.close();

    // The gateway's /status says the tunnel is up.
    const status = (await gateway.status()) as unknown as { tunnels?: { resource_id?: string }[] };
    expect(status.tunnels?.map((t) => t.resource_id)).toContain(exposed.body.id);

    // The client's live view heard what it served.
    await until(() => heard.includes('GET /hello 200'));

    // Un-exposed: the route leaves the gateway, and the tunnel with it (its token is no longer valid).
    const refused = once(client, 'refused');
    expect((await api('DELETE', `/services/${exposed.body.id}`)).status).toBe(204);
    await until(async () => (await get(host, '/')).status === 404);
    const [refusal] = (await refused) as [{ code: string }];
    expect(refusal.code).toBe('TUNNEL_TOKEN_INVALID');
  });

  it('reconnects by itself when the tunnel connection is cut, and requests succeed again', async () => {
    const exposed = await api('POST', '/services', {
      local_address: `localhost:${port(web)}`,
      protocol: 'http',
    });
    const host = new URL(exposed.body.public_url as string).hostname;
    await untilServes(gateway, [exposed.body.id]);
    const client = dial(exposed.body.tunnel.token, {
      name: exposed.body.name,
      protocol: 'http',
      local: { host: '127.0.0.1', port: port(web) },
    });
    await once(client, 'connected');
    expect((await get(host, '/before')).status).toBe(200);
    const download = get(host, '/big').catch((error: Error) => ({ status: 0, text: error.message }));
    client.dropConnection();
    await once(client, 'connected');
    await download; // cut mid-transfer or finished: either way it settles
    expect(await get(host, '/after')).toEqual({ status: 200, text: 'local app: /after user=-' });
  });

  it('carries an exposed TCP service and a UDP service on their public ports', async () => {
    const tcp = await api('POST', '/services', { local_address: `localhost:${port(echo)}`, protocol: 'tcp' });
    expect(tcp.body.public_url).toBe(`tcp://localhost:${l4Port}`);
    const udpServer = createSocket('udp4');
    udpServer.on('message', (msg, from) =>
      udpServer.send(Buffer.concat([Buffer.from('udp:'), msg]), from.port, from.address),
    );
    udpServer.bind(0, '127.0.0.1');
    await once(udpServer, 'listening');
    const udp = await api('POST', '/services', {
      local_address: `localhost:${udpServer.address().port}`,
      protocol: 'udp',
    });
    expect(udp.body.public_url).toBe(`udp://localhost:${l4Port}`);
    await untilServes(gateway, [tcp.body.id, udp.body.id]);
    const tcpClient = dial(tcp.body.tunnel.token, {
      name: tcp.body.name,
      protocol: 'tcp',
      local: { host: '127.0.0.1', port: port(echo) },
    });
    const udpClient = dial(udp.body.tunnel.token, {
      name: udp.body.name,
      protocol: 'udp',
      local: { host: '127.0.0.1', port: udpServer.address().port },
    });
    await Promise.all([once(tcpClient, 'connected'), once(udpClient, 'connected')]);

    // An SSH-like session: bytes both ways, in order, 3 MiB.
    const socket = connect(l4Port, '127.0.0.1');
    const payload = randomBytes(3 * 1024 * 1024);
    const chunks: Buffer[] = [];
    let received = 0;
    const echoed = new Promise<void>((resolve) =>
      socket.on('data', (c: Buffer) => {
        chunks.push(c);
        received += c.length;
        if (received >= payload.length) resolve();
      }),
    );
    socket.write(payload);
    await echoed;
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);
    socket.destroy();

    const dgram = createSocket('udp4');
    const replies: string[] = [];
    dgram.on('message', (m) => replies.push(m.toString()));
    await until(() => {
      dgram.send('hello', l4Port, '127.0.0.1');
      return replies.includes('udp:hello');
    });
    dgram.close();
    udpServer.close();
  });

  it('refuses a wrong token (for good when it cannot become valid), and a tunnel over plain HTTP', async () => {
    const exposed = await api('POST', '/services', {
      local_address: `localhost:${port(web)}`,
      protocol: 'http',
    });
    await untilServes(gateway, [exposed.body.id]);
    const service = {
      name: exposed.body.name as string,
      protocol: 'http' as const,
      local: { host: '127.0.0.1', port: port(web) },
    };
    // The right service, a forged secret: never valid, so the client stops.
    const forged = dial(`rnt_${exposed.body.id as string}_${'x'.repeat(43)}`, service);
    const [refusal] = (await once(forged, 'refused')) as [{ code: string; retryAfterS: number }];
    expect(refusal).toMatchObject({ code: 'TUNNEL_TOKEN_INVALID', retryAfterS: 0 });
    expect(forged.connected).toBe(false);
    // A service this gateway has not heard of (yet): the client may try again a little later.
    const early = dial(`rnt_res_notyetknown_${'x'.repeat(43)}`, service);
    const [later] = (await once(early, 'refused')) as [{ code: string; retryAfterS: number }];
    expect(later).toMatchObject({ code: 'TUNNEL_TOKEN_INVALID', retryAfterS: 5 });
    await early.stop();
    const plain = await fetch(`http://127.0.0.1:${gateway.httpPort}/.rustronaut/tunnel`, {
      headers: { connection: 'Upgrade', upgrade: 'rustronaut-tunnel/1' },
    }).catch((error: Error) => error);
    expect(plain instanceof Error || plain.status !== 101).toBe(true);
  });
});

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
