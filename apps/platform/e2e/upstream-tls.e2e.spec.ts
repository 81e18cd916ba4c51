import { createHash } from 'node:crypto';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import {
  createServer as createHttpServer,
  request,
  type IncomingMessage,
  type Server as HttpServer,
} from 'node:http';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import {
  connect as tcpConnect,
  createServer as createTcpServer,
  type Server as TcpServer,
  type Socket,
} from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';
import { freePort, selfSignedCertificate } from '@rustronaut/testing';
import { GatewayProcess, through } from './support/gateway-process';
import { writeRepeated } from './support/streams';

const BIG = 16 * 1024 * 1024;

/** Targets behind TLS: HTTP/2 by ALPN, HTTP/1.1 only, an untrusted certificate; and targets that stall. */
describe('https targets, HTTP/2 upstream and upstream timeouts (e2e, started processes)', () => {
  let platform: ConsoleHarness;
  let gateway: GatewayProcess;
  let h2Target: Http2SecureServer;
  let h1Target: HttpsServer;
  let untrusted: HttpsServer;
  let silentTls: TcpServer;
  let silentHttp: HttpServer;
  const held: Socket[] = [];
  let h2Sessions = 0;
  let dir: string;
  const chunk = Buffer.alloc(64 * 1024, 9);
  const bigDigest = createHash('sha256');
  for (let sent = 0; sent < BIG; sent += chunk.length) bigDigest.update(chunk);

  const listen = async (server: { listen(port: number, host: string, cb: () => void): unknown }) => {
    const port = await freePort();
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    return port;
  };

  beforeAll(async () => {
    platform = await ConsoleHarness.start();
    const admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    const api = (method: string, path: string, body?: unknown) =>
      call(platform.url, method, path, { token: admin, body });
    dir = mkdtempSync(join(tmpdir(), 'rn-upstream-tls-'));
    const trusted = await selfSignedCertificate(['localhost'], ['127.0.0.1']);
    writeFileSync(join(dir, 'upstream-ca.pem'), trusted.cert);

    // An HTTP/2 (and HTTP/1.1) target: echoes what it got, streams 16 MiB on /big.
    h2Target = createSecureServer({ ...trusted, allowHTTP1: true }, (req, res) => {
      if (req.url === '/big') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return writeRepeated(res, chunk, BIG);
      }
      let size = 0;
      req.on('data', (c: Buffer) => (size += c.length));
      req.on('end', () =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ httpVersion: req.httpVersion, headers: req.headers, size, path: req.url })),
      );
    });
    h2Target.on('session', () => h2Sessions++);
    h1Target = createHttpsServer(trusted, (req, res) =>
      res.end(JSON.stringify({ httpVersion: req.httpVersion, proto: req.headers['x-forwarded-proto'] })),
    );
    untrusted = createHttpsServer(await selfSignedCertificate(['localhost'], ['127.0.0.1']), (_req, res) =>
      res.end('should not be reached'),
    );
    // Accepts TCP and never says a word (no TLS handshake); and an HTTP target that never answers.
    silentTls = createTcpServer((socket) => held.push(socket));
    silentHttp = createHttpServer(() => undefined);

    const ports = {
      h2: await listen(h2Target),
      h1: await listen(h1Target),
      untrusted: await listen(untrusted),
      silentTls: await listen(silentTls),
      silentHttp: await listen(silentHttp),
    };
    const site = (
      await api('POST', '/sites', {
        name: 'Upstreams',
        subnet: '10.50.0.0/24',
        region: 'eu',
        connection_type: 'local',
      })
    ).body;
    const resource = async (name: string, port: number, protocol: 'http' | 'https') =>
      (
        await api('POST', '/resources', {
          site_id: site.id,
          name,
          protocol: 'http',
          domains: [`${name}.localhost`],
          auth_required: false,
          targets: [{ address: `127.0.0.1:${port}`, protocol }],
        })
      ).body.id as string;
    await resource('h2', ports.h2, 'https');
    await resource('h1', ports.h1, 'https');
    await resource('untrusted', ports.untrusted, 'https');
    await resource('handshake', ports.silentTls, 'https');
    const last = await resource('silent', ports.silentHttp, 'http');
    gateway = await GatewayProcess.start(platform, admin, site.id, {
      RN_GATEWAY_UPSTREAM_CA: join(dir, 'upstream-ca.pem'),
      RN_GATEWAY_CONNECT_TIMEOUT: '1',
      RN_GATEWAY_UPSTREAM_RESPONSE_TIMEOUT: '2',
      RN_GATEWAY_HEADERS_TIMEOUT: '1',
    });
    await gateway.until((status) => status.sites.some((s) => s.resources.includes(last)), 'the snapshot');
  }, 90_000);
  afterAll(async () => {
    gateway?.stop();
    for (const socket of held) socket.destroy();
    for (const server of [h2Target, h1Target, untrusted, silentTls, silentHttp]) server?.close();
    await platform?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reaches an https target that offers h2 over HTTP/2 (verified with RN_GATEWAY_UPSTREAM_CA), one session for many requests', async () => {
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        through(gateway.httpPort, 'h2.localhost', `/item/${i}`, { agent: false }),
      ),
    );
    for (const [i, reply] of replies.entries()) {
      expect(reply.status).toBe(200);
      const seen = JSON.parse(reply.text) as {
        httpVersion: string;
        path: string;
        headers: Record<string, string>;
      };
      expect(seen).toMatchObject({ httpVersion: '2.0', path: `/item/${i}` });
      expect(seen.headers[':authority']).toBe('h2.localhost');
      expect(seen.headers['x-forwarded-proto']).toBe('http');
      expect(seen.headers['connection']).toBeUndefined();
    }
    // One session per data-plane process (each worker of the gateway keeps its own), not one per request.
    const workers = (await gateway.status()) as unknown as { workers?: unknown[] } | undefined;
    expect(h2Sessions).toBeGreaterThanOrEqual(1);
    expect(h2Sessions).toBeLessThanOrEqual(Math.max(1, workers?.workers?.length ?? 0));

    const upload = Buffer.alloc(5 * 1024 * 1024, 1);
    const posted = await through(gateway.httpPort, 'h2.localhost', '/upload', {
      method: 'POST',
      body: upload,
      headers: { 'content-length': String(upload.length) },
    });
    expect(JSON.parse(posted.text)).toMatchObject({ httpVersion: '2.0', size: upload.length });
  });

  it('streams a 16 MiB answer from the HTTP/2 target to an HTTP/1.1 client', async () => {
    const big = await new Promise<Buffer>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: gateway.httpPort, path: '/big', headers: { host: 'h2.localhost' } },
        (res: IncomingMessage) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => resolve(Buffer.concat(parts)));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(big.length).toBe(BIG);
    expect(createHash('sha256').update(big).digest('hex')).toBe(bigDigest.copy().digest('hex'));
  });

  it('falls back to HTTP/1.1 over TLS for a target without h2', async () => {
    const reply = await through(gateway.httpPort, 'h1.localhost', '/');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toEqual({ httpVersion: '1.1', proto: 'http' });
  });

  it('refuses a target whose certificate it cannot verify (502, the reason named)', async () => {
    const reply = await through(gateway.httpPort, 'untrusted.localhost', '/');
    expect(reply.status).toBe(502);
    expect(reply.text).toMatch(
      /target 127\.0\.0\.1:\d+ of untrusted is not answering \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)/,
    );
  });

  it('says whether connecting or answering took too long (502 within 1 s, 504 within 2 s)', async () => {
    const handshake = await through(gateway.httpPort, 'handshake.localhost', '/');
    expect(handshake.status).toBe(502);
    expect(handshake.text).toMatch(
      /Could not connect to the target 127\.0\.0\.1:\d+ of handshake within 1 s\./,
    );
    const silent = await through(gateway.httpPort, 'silent.localhost', '/');
    expect(silent.status).toBe(504);
    expect(silent.text).toMatch(/The target 127\.0\.0\.1:\d+ of silent did not answer within 2 s\./);
  });

  it('answers 408 and closes a connection that does not finish its headers in time, on both listeners', async () => {
    const slowloris = (socket: Socket) =>
      new Promise<string>((resolve) => {
        let got = '';
        socket.on('data', (c: Buffer) => (got += c.toString()));
        socket.on('close', () => resolve(got.split('\r\n')[0] ?? ''));
        socket.on('error', () => undefined);
      });
    const plain = tcpConnect(gateway.httpPort, '127.0.0.1', () =>
      plain.write('GET / HTTP/1.1\r\nHost: h1.localhost\r\n'),
    );
    const secure = tlsConnect(
      {
        host: '127.0.0.1',
        port: gateway.httpsPort,
        servername: 'h1.localhost',
        rejectUnauthorized: false,
        ALPNProtocols: ['http/1.1'],
      },
      () => secure.write('GET / HTTP/1.1\r\nHost: h1.localhost\r\n'),
    );
    expect(await Promise.all([slowloris(plain), slowloris(secure)])).toEqual([
      'HTTP/1.1 408 Request Timeout',
      'HTTP/1.1 408 Request Timeout',
    ]);
  });
});
