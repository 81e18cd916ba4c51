import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';
import { freePort } from '@rustronaut/testing';
import { GatewayProcess, through } from './support/gateway-process';
import { h1get, h2get, h2session, handshake } from './support/tls-client';
import { writeRepeated } from './support/streams';

const BIG = 24 * 1024 * 1024;

describe('the HTTPS data path with the local development CA (e2e, started processes)', () => {
  let platform: ConsoleHarness;
  let admin: string;
  let upstream: Server;
  let gateway: GatewayProcess;
  let httpsPort: number;
  let dataDir: string;
  let ca: string;
  const bigDigest = createHash('sha256');

  beforeAll(async () => {
    platform = await ConsoleHarness.start();
    admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    const api = (method: string, path: string, body?: unknown) =>
      call(platform.url, method, path, { token: admin, body });

    // The target: /big streams 24 MiB in chunks (chunked transfer-encoding, keep-alive: hop-by-hop
    // headers an HTTP/2 response must not carry); anything else echoes what it was sent.
    const chunk = Buffer.alloc(64 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31) & 0xff;
    for (let sent = 0; sent < BIG; sent += chunk.length) bigDigest.update(chunk);
    upstream = createServer((req, res) => {
      if (req.url === '/big') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-custom': 'kept' });
        return writeRepeated(res, chunk, BIG);
      }
      let size = 0;
      req.on('data', (c: Buffer) => (size += c.length));
      req.on('end', () =>
        res
          .writeHead(200, { 'content-type': 'application/json', connection: 'keep-alive' })
          .end(JSON.stringify({ path: req.url, headers: req.headers, size, httpVersion: req.httpVersion })),
      );
    });
    // Upgrades (WebSocket): 101, then every byte echoed back.
    upstream.on('upgrade', (_req, socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      socket.on('data', (c: Buffer) => socket.write(c));
    });
    const upstreamPort = await freePort();
    await new Promise<void>((r) => upstream.listen(upstreamPort, '127.0.0.1', r));

    const site = (
      await api('POST', '/sites', {
        name: 'Secure',
        subnet: '10.30.0.0/24',
        region: 'eu',
        connection_type: 'local',
      })
    ).body;
    const target = [{ address: `127.0.0.1:${upstreamPort}`, protocol: 'http' }];
    await api('POST', '/resources', {
      site_id: site.id,
      name: 'open',
      protocol: 'http',
      domains: ['open.localhost'],
      auth_required: false,
      targets: target,
    });
    const docs = (
      await api('POST', '/resources', {
        site_id: site.id,
        name: 'docs',
        protocol: 'http',
        domains: ['docs.example.test'],
        auth_required: false,
        targets: target,
      })
    ).body.id as string;

    // 127.0.0.2 plays a load balancer in front of the gateway; clients come from 127.0.0.1.
    gateway = await GatewayProcess.start(platform, admin, site.id, {
      RN_GATEWAY_TRUSTED_PROXIES: '127.0.0.2/32',
    });
    httpsPort = gateway.httpsPort;
    await gateway.until((status) => status.sites.some((st) => st.resources.includes(docs)), 'the snapshot');
    dataDir = gateway.dataDir;
    ca = readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8');
  }, 90_000);
  afterAll(async () => {
    gateway?.stop();
    upstream?.close();
    await platform?.stop();
  });

  it('prints where the development CA is, so a developer can trust it', () => {
    expect(gateway.log).toContain(join(dataDir, 'tls', 'ca.crt'));
  });

  it('gives each host its own certificate, signed by the local CA (SNI)', async () => {
    const caCert = new X509Certificate(ca);
    const open = await handshake(httpsPort, 'open.localhost', ca);
    const docs = await handshake(httpsPort, 'docs.example.test', ca);
    for (const [peer, host] of [
      [open, 'open.localhost'],
      [docs, 'docs.example.test'],
    ] as const) {
      expect(peer.error).toBeUndefined();
      expect(peer.authorized).toBe(true);
      expect(peer.cert.checkHost(host)).toBe(host);
      expect(peer.cert.verify(caCert.publicKey)).toBe(true);
    }
    expect(open.cert.serialNumber).not.toBe(docs.cert.serialNumber);
    expect(open.cert.checkHost('docs.example.test')).toBeUndefined();
  });

  it('speaks HTTP/2 to a client that offers it and proxies requests, a streamed 24 MiB body and an upload', async () => {
    const session = h2session(httpsPort, 'open.localhost', ca);
    try {
      const echo = await h2get(session, '/hello?x=1', { 'x-forwarded-for': '6.6.6.6' });
      expect(session.alpnProtocol).toBe('h2');
      expect(echo.status).toBe(200);
      const seen = JSON.parse(echo.body.toString()) as {
        path: string;
        headers: Record<string, string>;
        httpVersion: string;
      };
      expect(seen.path).toBe('/hello?x=1');
      expect(seen.httpVersion).toBe('1.1');
      expect(seen.headers['host']).toBe(`open.localhost:${httpsPort}`);
      expect(seen.headers['x-forwarded-proto']).toBe('https');
      expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(Object.keys(seen.headers).filter((h) => h.startsWith(':'))).toEqual([]);

      const big = await h2get(session, '/big');
      expect(big.status).toBe(200);
      expect(big.headers['x-custom']).toBe('kept');
      expect(big.headers['transfer-encoding']).toBeUndefined();
      expect(big.body.length).toBe(BIG);
      expect(createHash('sha256').update(big.body).digest('hex')).toBe(bigDigest.copy().digest('hex'));

      const upload = Buffer.alloc(6 * 1024 * 1024, 3);
      const sent = await h2get(session, '/upload', {}, upload);
      expect(JSON.parse(sent.body.toString()).size).toBe(upload.length);
    } finally {
      session.close();
    }
  });

  it('still serves HTTP/1.1 over TLS', async () => {
    const r = await h1get(httpsPort, 'docs.example.test', 'docs.example.test', '/page', ca);
    expect(r.alpn).toBe('http/1.1');
    expect(r.status).toBe(200);
    const seen = JSON.parse(r.text) as { headers: Record<string, string> };
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(seen.headers['host']).toBe('docs.example.test');
  });

  it('refuses a request whose Host differs from the TLS server name (421), over HTTP/1.1 and HTTP/2', async () => {
    const h1 = await h1get(httpsPort, 'open.localhost', 'docs.example.test', '/', ca);
    expect(h1.status).toBe(421);
    expect(h1.text).toMatch(/opened for another host/);
    const session = h2session(httpsPort, 'open.localhost', ca);
    try {
      const h2 = await h2get(session, '/', { ':authority': 'docs.example.test' });
      expect(h2.status).toBe(421);
      // The same session still serves the host it was opened for.
      expect((await h2get(session, '/')).status).toBe(200);
    } finally {
      session.close();
    }
  });

  it('answers a host it does not serve with the default certificate, then 421', async () => {
    const peer = await handshake(httpsPort, 'evil.example.org', ca);
    expect(peer.authorized).toBe(false);
    expect(peer.error).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(peer.cert.checkHost('localhost')).toBe('localhost');
    // A client that goes on anyway and asks for a served host on that connection is refused.
    const r = await h1get(httpsPort, 'evil.example.org', 'open.localhost', '/', ca, false);
    expect(r.status).toBe(421);
  });

  it('replaces X-Forwarded-For/-Proto a client forges, and honours those of a trusted proxy', async () => {
    const forged = { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https' };
    const direct = await through(gateway.httpPort, 'open.localhost', '/', { headers: forged });
    const seenDirect = (JSON.parse(direct.text) as { headers: Record<string, string> }).headers;
    expect(seenDirect['x-forwarded-for']).toBe('127.0.0.1');
    expect(seenDirect['x-forwarded-proto']).toBe('http');

    // Through the trusted proxy: the client it saw is the right-most hop it does not vouch for.
    const proxied = await through(gateway.httpPort, 'open.localhost', '/', {
      from: '127.0.0.2',
      headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.7', 'x-forwarded-proto': 'https' },
    });
    const seenProxied = (JSON.parse(proxied.text) as { headers: Record<string, string> }).headers;
    expect(seenProxied['x-forwarded-for']).toBe('198.51.100.7');
    expect(seenProxied['x-forwarded-proto']).toBe('https');
  });

  it('carries a WebSocket upgrade over TLS (HTTP/1.1) to the target', async () => {
    const echoed = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect(
        { host: '127.0.0.1', port: httpsPort, servername: 'open.localhost', ca, ALPNProtocols: ['http/1.1'] },
        () =>
          socket.write(
            'GET /socket HTTP/1.1\r\nHost: open.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
          ),
      );
      let got = '';
      socket.on('data', (c: Buffer) => {
        got += c.toString();
        if (got.includes('\r\n\r\n') && !got.includes('ping')) socket.write('ping');
        if (got.endsWith('ping')) {
          socket.destroy();
          resolve(got);
        }
      });
      socket.on('error', reject);
    });
    expect(echoed.split('\r\n')[0]).toBe('HTTP/1.1 101 Switching Protocols');
    expect(echoed.endsWith('\r\n\r\nping')).toBe(true);
  });
});
