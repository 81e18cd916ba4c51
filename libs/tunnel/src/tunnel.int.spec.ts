import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import {
  createServer as createHttpServer,
  request,
  type IncomingMessage,
  type Server as HttpServer,
} from 'node:http';
import {
  createServer as createTcpServer,
  type AddressInfo,
  type Server as TcpServer,
  type Socket,
} from 'node:net';
import { createServer as createHttpsServer } from 'node:https';
import { randomBytes, createHash } from 'node:crypto';
import { selfSignedCertificate } from '@rustronaut/testing';
import { TUNNEL_UPGRADE, TunnelClient, TunnelServer, type Tunnel, type Hello } from './index';

const TOKEN = 'rnt_test-token';

/** A gateway's tunnel endpoint: TLS on a free port, a TunnelServer behind it. */
async function startGateway(cert: { cert: string; key: string }) {
  const tunnels: Tunnel[] = [];
  const server = new TunnelServer({
    keepAliveS: 2,
    handshakeTimeoutMs: 1000,
    authenticate: async (hello: Hello) =>
      hello.token === TOKEN
        ? {
            ok: true,
            tunnelId: `tun_${tunnels.length + 1}`,
            services: hello.services.map((s) => ({ ...s, publicUrl: `https://${s.name}.example.test` })),
          }
        : { ok: false, code: 'TUNNEL_TOKEN_INVALID', message: 'the token is not valid', retryAfterS: 0 },
  });
  server.on('tunnel', (t: Tunnel) => tunnels.push(t));
  // As the gateway does: an HTTPS server whose tunnel clients ask to upgrade.
  const tls = createHttpsServer(cert, (_req, res) => res.writeHead(404).end());
  tls.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (req.headers.upgrade === TUNNEL_UPGRADE) void server.acceptUpgrade(socket, head);
    else socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
  });
  tls.listen(0, '127.0.0.1');
  await once(tls, 'listening');
  return { tls, server, tunnels, port: (tls.address() as AddressInfo).port };
}

async function nextTunnel(server: TunnelServer): Promise<Tunnel> {
  const [tunnel] = (await once(server, 'tunnel')) as [Tunnel];
  return tunnel;
}

describe('a tunnel (real TLS, HTTP/2 with the roles reversed)', () => {
  let cert: { cert: string; key: string };
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let echo: TcpServer;
  let web: HttpServer;
  const clients: TunnelClient[] = [];

  const client = (services: ConstructorParameters<typeof TunnelClient>[0]['services'], token = TOKEN) => {
    const c = new TunnelClient({
      gateway: { host: '127.0.0.1', port: gateway.port, servername: 'localhost' },
      token,
      services,
      ca: cert.cert,
      backoffMs: { min: 50, max: 500 },
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    cert = await selfSignedCertificate(['localhost']);
    gateway = await startGateway(cert);
    echo = createTcpServer((s: Socket) => s.pipe(s)).listen(0, '127.0.0.1');
    web = createHttpServer((req, res) => {
      if (req.url === '/upload') {
        const hash = createHash('sha256');
        req.on('data', (c: Buffer) => hash.update(c));
        req.on('end', () => res.end(hash.digest('hex')));
        return;
      }
      res.end(`hello ${req.url}`);
    }).listen(0, '127.0.0.1');
    await Promise.all([once(echo, 'listening'), once(web, 'listening')]);
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
  });

  afterAll(async () => {
    gateway.tls.close();
    echo.close();
    web.close();
  });

  const local = (server: TcpServer | HttpServer) => ({
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
  });

  it('carries a TCP stream both ways, byte for byte (5 MiB)', async () => {
    const c = client([{ name: 'echo', protocol: 'tcp', local: local(echo) }]);
    const connected = once(c, 'connected');
    const tunnelPromise = nextTunnel(gateway.server);
    c.start();
    const [welcome] = (await connected) as [{ services: { publicUrl: string }[] }];
    expect(welcome.services[0]?.publicUrl).toBe('https://echo.example.test');
    const tunnel = await tunnelPromise;
    const stream = tunnel.openStream('echo');
    const payload = randomBytes(5 * 1024 * 1024);
    const received: Buffer[] = [];
    let size = 0;
    const done = new Promise<void>((resolve) =>
      stream.on('data', (chunk: Buffer) => {
        received.push(chunk);
        size += chunk.length;
        if (size >= payload.length) resolve();
      }),
    );
    stream.end(payload);
    await done;
    expect(Buffer.concat(received).equals(payload)).toBe(true);
  });

  it('serves HTTP through pooled streams: 200 parallel requests and a streamed upload', async () => {
    const c = client([{ name: 'web', protocol: 'http', local: local(web) }]);
    const tunnelPromise = nextTunnel(gateway.server);
    c.start();
    const tunnel = await tunnelPromise;
    // Every connection the agent makes is a stream in the tunnel.
    const agent = tunnel.httpAgent('web', { maxSockets: 32 });
    const get = (path: string, body?: Buffer) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request({ host: 'web', path, method: body ? 'POST' : 'GET', agent }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => get(`/r${i}`)));
    expect(answers.every((a, i) => a.status === 200 && a.text === `hello /r${i}`)).toBe(true);
    const upload = randomBytes(20 * 1024 * 1024);
    const uploaded = await get('/upload', upload);
    expect(uploaded.text).toBe(createHash('sha256').update(upload).digest('hex'));
    agent.destroy();
    // The gateway reports what it served; the client hears it (the CLI's live view).
    const heard = once(c, 'request');
    tunnel.reportRequest({ service: 'web', method: 'GET', path: '/r1', status: 200, ms: 3 });
    expect((await heard)[0]).toEqual({ service: 'web', method: 'GET', path: '/r1', status: 200, ms: 3 });
  });

  it('carries UDP datagrams as a flow', async () => {
    const udp = createSocket('udp4');
    udp.on('message', (msg, from) =>
      udp.send(Buffer.concat([Buffer.from('echo:'), msg]), from.port, from.address),
    );
    udp.bind(0, '127.0.0.1');
    await once(udp, 'listening');
    const c = client([
      { name: 'dns', protocol: 'udp', local: { host: '127.0.0.1', port: udp.address().port } },
    ]);
    const tunnelPromise = nextTunnel(gateway.server);
    c.start();
    const tunnel = await tunnelPromise;
    const flow = tunnel.openDatagramFlow('dns');
    const got: string[] = [];
    const all = new Promise<void>((resolve) =>
      flow.onDatagram((d) => {
        got.push(d.toString());
        if (got.length === 3) resolve();
      }),
    );
    for (const word of ['one', 'two', 'three']) flow.send(Buffer.from(word));
    await all;
    expect(got.sort()).toEqual(['echo:one', 'echo:three', 'echo:two']);
    flow.close();
    udp.close();
  });

  it('says which local service is not listening', async () => {
    const c = client([{ name: 'gone', protocol: 'tcp', local: { host: '127.0.0.1', port: 1 } }]);
    const tunnelPromise = nextTunnel(gateway.server);
    c.start();
    const tunnel = await tunnelPromise;
    const stream = tunnel.openStream('gone');
    const [error] = (await once(stream, 'error')) as [Error];
    expect(error.message).toMatch(/local service 127\.0\.0\.1:1 is not listening \(ECONNREFUSED\)/);
    const unknown = tunnel.openStream('nope');
    const [unknownError] = (await once(unknown, 'error')) as [Error];
    expect(unknownError.message).toMatch(/no service named "nope"/);
  });

  it('is refused with a wrong token, and the client gives up instead of retrying', async () => {
    const c = client([{ name: 'echo', protocol: 'tcp', local: local(echo) }], 'rnt_wrong');
    const refused = once(c, 'refused');
    c.start();
    const [refusal] = (await refused) as [{ code: string; message: string; retryAfterS: number }];
    expect(refusal).toMatchObject({ code: 'TUNNEL_TOKEN_INVALID', retryAfterS: 0 });
    expect(c.connected).toBe(false);
  });

  it('reconnects by itself when its connection is cut mid-transfer', async () => {
    const c = client([{ name: 'echo', protocol: 'tcp', local: local(echo) }]);
    let tunnelPromise = nextTunnel(gateway.server);
    c.start();
    const first = await tunnelPromise;
    const stream = first.openStream('echo');
    stream.on('error', () => undefined);
    stream.write(randomBytes(1024 * 1024));
    tunnelPromise = nextTunnel(gateway.server);
    const disconnected = once(c, 'disconnected');
    c.dropConnection();
    await disconnected;
    const second = await tunnelPromise;
    expect(second.open).toBe(true);
    expect(first.open).toBe(false);
    const again = second.openStream('echo');
    again.end('after the cut');
    const [chunk] = (await once(again, 'data')) as [Buffer];
    expect(chunk.toString()).toBe('after the cut');
  });
});
