import { readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { connect as h2connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';
import { freePort, uniqueName } from '@rustronaut/testing';
import { GatewayProcess, through, untilServes } from './support/gateway-process';

const REDIS = process.env['RN_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** Rate limits (per address, per user, shared by two gateways through Redis) and size limits, end to end. */
describe('the gateway limits (e2e, started processes)', () => {
  let platform: ConsoleHarness;
  let admin: string;
  let upstream: Server;
  let first: GatewayProcess;
  let second: GatewayProcess;
  let siteId: string;
  /** What the target saw: `<method> <path> <bytes> <complete|aborted>`. */
  const seen: string[] = [];
  const ids: Record<string, string> = {};
  const api = (method: string, path: string, body?: unknown) =>
    call(platform.url, method, path, { token: admin, body });

  beforeAll(async () => {
    platform = await ConsoleHarness.start();
    admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    const upstreamPort = await freePort();
    upstream = createServer((req, res) => {
      let size = 0;
      req.on('data', (c: Buffer) => (size += c.length));
      req.on('close', () => {
        if (!req.complete) seen.push(`${req.method} ${req.url} ${size} aborted`);
      });
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${size} complete`);
        res.writeHead(200).end(`got ${size}`);
      });
    });
    await new Promise<void>((r) => upstream.listen(upstreamPort, '127.0.0.1', r));
    const site = (
      await api('POST', '/sites', {
        name: 'Lim',
        subnet: '10.40.0.0/24',
        region: 'eu',
        connection_type: 'local',
      })
    ).body;
    siteId = site.id as string;
    const resource = async (name: string, extra: Record<string, unknown>) => {
      const created = await api('POST', '/resources', {
        site_id: site.id,
        name,
        protocol: 'http',
        domains: [`${name}.localhost`],
        auth_required: false,
        targets: [{ address: `127.0.0.1:${upstreamPort}`, protocol: 'http' }],
        ...extra,
      });
      if (created.status !== 201) throw new Error(`${name}: ${JSON.stringify(created.body)}`);
      ids[name] = created.body.id as string;
    };
    // One a minute refills nothing during a test: exactly `burst` requests pass.
    await resource('flood', { rate_limit: { requests_per_minute: 1, burst: 5, per: 'ip' } });
    await resource('shared', { rate_limit: { requests_per_minute: 1, burst: 6, per: 'resource' } });
    await resource('peruser', {
      auth_required: true,
      rate_limit: { requests_per_minute: 1, burst: 3, per: 'user' },
    });
    await resource('small', { max_body_bytes: 1000 });
    await api('POST', '/policies', {
      name: 'anyone signed in',
      effect: 'allow',
      resource_ids: [ids['peruser']],
      subjects: { any_authenticated: true },
    });
    const env = { RN_GATEWAY_REDIS_URL: REDIS, RN_GATEWAY_REDIS_PREFIX: uniqueName('rnlim') };
    [first, second] = await Promise.all([
      GatewayProcess.start(platform, admin, site.id as string, env),
      GatewayProcess.start(platform, admin, site.id as string, env),
    ]);
    await Promise.all([untilServes(first, Object.values(ids)), untilServes(second, Object.values(ids))]);
  }, 90_000);
  afterAll(async () => {
    first?.stop();
    second?.stop();
    upstream?.close();
    await platform?.stop();
  });

  it('answers a flood from one address with 429 and Retry-After, while other addresses still pass', async () => {
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof through>> | undefined;
    for (let i = 0; i < 12; i++) {
      const r = await through(first.httpPort, 'flood.localhost', '/', { from: '127.0.0.2' });
      statuses.push(r.status);
      if (r.status === 429) refused = r;
    }
    expect(statuses).toEqual([...Array(5).fill(200), ...Array(7).fill(429)]);
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused?.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(refused?.text).toMatch(
      /Too many requests to flood: the limit is 1 a minute \(bursts of 5\) per ip/,
    );
    expect((await through(first.httpPort, 'flood.localhost', '/', { from: '127.0.0.3' })).status).toBe(200);
    expect((await through(first.httpPort, 'flood.localhost', '/', { from: '127.0.0.4' })).status).toBe(200);
  });

  it('counts per user after authentication: one user is limited, another is not', async () => {
    for (const email of ['ann@lim.example', 'ben@lim.example'])
      await api('POST', '/users', { email, name: email.slice(0, 3), password: 'long-enough-pw' });
    const ann = (await login(platform.url, 'ann@lim.example', 'long-enough-pw')).access;
    const ben = (await login(platform.url, 'ben@lim.example', 'long-enough-pw')).access;
    const annStatuses: number[] = [];
    for (let i = 0; i < 5; i++)
      annStatuses.push((await through(first.httpPort, 'peruser.localhost', '/', { token: ann })).status);
    expect(annStatuses).toEqual([200, 200, 200, 429, 429]);
    expect((await through(first.httpPort, 'peruser.localhost', '/', { token: ben })).status).toBe(200);
  });

  it('shares a limit between two gateway processes through Redis', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const gateway = i % 2 === 0 ? first : second;
      statuses.push(
        (await through(gateway.httpPort, 'shared.localhost', '/', { from: `127.0.0.${10 + i}` })).status,
      );
    }
    // Alone, each gateway would have let 6 through (12 in all).
    expect(statuses.filter((s) => s === 200)).toHaveLength(6);
    expect(statuses.slice(6).every((s) => s === 429)).toBe(true);
  });

  it('keeps limiting on its own when its Redis does not answer, and says so once', async () => {
    const alone = await GatewayProcess.start(platform, admin, siteId, {
      RN_GATEWAY_REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    });
    try {
      await untilServes(alone, Object.values(ids));
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++)
        statuses.push(
          (await through(alone.httpPort, 'shared.localhost', '/', { from: '127.0.0.30' })).status,
        );
      expect(statuses).toEqual([...Array(6).fill(200), 429, 429]);
      expect(alone.log.match(/Redis is not answering/g)).toHaveLength(1);
    } finally {
      alone.stop();
    }
  }, 60_000);

  it('refuses a declared body over the limit with 413 before contacting the target', async () => {
    seen.length = 0;
    const big = await through(first.httpPort, 'small.localhost', '/upload', {
      method: 'POST',
      body: Buffer.alloc(5000, 1),
      headers: { 'content-length': '5000' },
    });
    expect(big.status).toBe(413);
    expect(big.text).toMatch(/larger than small accepts \(1000 bytes\)/);
    const fine = await through(first.httpPort, 'small.localhost', '/fine', {
      method: 'POST',
      body: Buffer.alloc(900, 1),
      headers: { 'content-length': '900' },
    });
    expect(fine.status).toBe(200);
    expect(seen).toEqual(['POST /fine 900 complete']);
  });

  it('counts a chunked body while it streams and cuts it with 413 once it passes the limit', async () => {
    seen.length = 0;
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port: first.httpPort,
        method: 'POST',
        path: '/chunked',
        headers: { host: 'small.localhost', 'transfer-encoding': 'chunked' },
      });
      let answered = false;
      req.on('response', (res) => {
        answered = true;
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', (error) => (answered ? undefined : reject(error)));
      let sent = 0;
      const pump = () => {
        if (answered || sent >= 20) return void req.end();
        req.write(Buffer.alloc(400, 2));
        sent++;
        setTimeout(pump, 20);
      };
      pump();
    });
    expect(status).toBe(413);
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.some((s) => s.endsWith('complete'))).toBe(false);
  });

  it('answers an over-size upload that asks to continue with 413 before the body, and lets a small one continue', async () => {
    /** A raw HTTP/1.1 exchange: headers with `Expect: 100-continue`, the body only after a 100. */
    const upload = (length: number) =>
      new Promise<string>((resolve, reject) => {
        const socket = netConnect(first.httpPort, '127.0.0.1');
        let text = '';
        let sent = false;
        socket.on('data', (c: Buffer) => {
          text += c.toString();
          if (!sent && text.startsWith('HTTP/1.1 100') && text.endsWith('\r\n\r\n')) {
            sent = true;
            socket.write(Buffer.alloc(length, 4)); // the server closes after its answer (Connection: close)
          }
        });
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
        socket.write(
          `POST /upload HTTP/1.1\r\nHost: small.localhost\r\nContent-Length: ${length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
        );
      });
    seen.length = 0;
    const refused = await upload(5000);
    expect(refused).toMatch(/^HTTP\/1\.1 413 /);
    const accepted = await upload(500);
    expect(accepted).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
    expect(seen).toEqual(['POST /upload 500 complete']);
  });

  it('answers 431 to a request head over the header limit', async () => {
    const r = await through(first.httpPort, 'small.localhost', '/', {
      headers: { 'x-big': 'a'.repeat(20_000) },
    }).catch((error: Error) => ({ status: -1, text: error.message }));
    expect(r.status).toBe(431);
  });

  describe('over HTTPS (HTTP/2 and HTTP/1.1)', () => {
    const ca = () => readFileSync(join(first.dataDir, 'tls', 'ca.crt'), 'utf8');
    /** One HTTP/2 request: headers, then the body in pieces (no Content-Length unless given). */
    const h2 = (headers: Record<string, string>, pieces: Buffer[]) =>
      new Promise<number>((resolve, reject) => {
        const session = h2connect(`https://small.localhost:${first.httpsPort}`, {
          createConnection: () =>
            tlsConnect({
              host: '127.0.0.1',
              port: first.httpsPort,
              servername: 'small.localhost',
              ca: ca(),
              ALPNProtocols: ['h2'],
            }),
        });
        session.on('error', reject);
        const stream = session.request({ ':method': 'POST', ':path': '/h2', ...headers });
        stream.on('response', (h) => {
          resolve(Number(h[':status']));
          session.close();
        });
        stream.on('error', () => undefined); // the gateway may end the stream once it answered
        let i = 0;
        const pump = () => {
          if (i >= pieces.length) return void stream.end();
          stream.write(pieces[i++], () => setTimeout(pump, 10));
        };
        pump();
      });

    it('refuses a declared and a streamed HTTP/2 body over the limit with 413, and passes a small one', async () => {
      seen.length = 0;
      expect(await h2({ 'content-length': '5000' }, [Buffer.alloc(5000, 1)])).toBe(413);
      expect(
        await h2(
          {},
          Array.from({ length: 20 }, () => Buffer.alloc(400, 2)),
        ),
      ).toBe(413);
      expect(await h2({}, [Buffer.alloc(500, 3)])).toBe(200);
      expect(seen.filter((s) => s.endsWith('complete'))).toEqual(['POST /h2 500 complete']);
    });

    it('answers 431 to an oversized head over HTTP/2 and over HTTP/1.1 with TLS', async () => {
      const big = 'a'.repeat(20_000);
      expect(await h2({ 'x-big': big }, [])).toBe(431);
      const h1 = await new Promise<number>((resolve, reject) => {
        const req = httpsRequest(
          {
            host: '127.0.0.1',
            port: first.httpsPort,
            servername: 'small.localhost',
            ca: ca(),
            path: '/',
            headers: { host: 'small.localhost', 'x-big': big },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(h1).toBe(431);
    });
  });
});
