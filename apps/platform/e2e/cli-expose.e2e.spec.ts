import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { connect, createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';
import { freePort } from '@rustronaut/testing';
import { GatewayProcess } from './support/gateway-process';
import { personEnv, rustronaut as run, RunningRustronaut } from './support/rustronaut';
import { writeRepeated } from './support/streams';

/** A request to a public URL through the gateway's HTTPS port, trusting its development CA. */
function fetchPublic(url: string, port: number, ca: string, headers: Record<string, string> = {}) {
  const { hostname, pathname } = new URL(url);
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        servername: hostname,
        path: pathname,
        ca,
        agent: false,
        headers: { host: new URL(url).host, ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const FIFTY_MB = 50 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 9);

/** Streams a body to a public URL (or from it), answering its size and SHA-256 as they went by. */
function streamPublic(url: string, port: number, ca: string, body?: { chunks: number }) {
  const { hostname, pathname, host } = new URL(url);
  return new Promise<{ status: number; size: number; sha256: string; text: string }>((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        servername: hostname,
        path: pathname,
        method: body ? 'POST' : 'GET',
        ca,
        agent: false,
        headers: { host },
      },
      (res) => {
        const hash = createHash('sha256');
        let size = 0;
        let text = '';
        res.on('data', (c: Buffer) => {
          size += c.length;
          hash.update(c);
          if (text.length < 200) text += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, size, sha256: hash.digest('hex'), text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (!body) return void req.end();
    writeRepeated(req, CHUNK, body.chunks * CHUNK.length);
  });
}

/** Waits until `check` holds (the gateway applies snapshots within about a second). */
async function eventually<T>(
  probe: () => Promise<T>,
  check: (value: T) => boolean,
  what: string,
): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe().catch((error: unknown) => error as T);
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: last ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * `rustronaut expose` as a person uses it: the console as processes, the CLI run from its bin
 * script, a local web server on this machine.
 */
// Processes on a shared 2-core machine: a test may wait on several of them in turn.
jest.setTimeout(120_000);

describe('rustronaut expose, services, status, unexpose (e2e, started processes)', () => {
  let platform: ConsoleHarness;
  let admin: string;
  let home: string;
  let web: Server;
  let webPort: number;
  let httpsPort: number;
  let gateway: GatewayProcess;
  let caFile: string;
  let ca: string;
  let echo: TcpServer;
  let echoPort: number;
  const running: RunningRustronaut[] = [];

  const env = (extra: Record<string, string> = {}) => personEnv(home, extra);
  const rustronaut = (args: string[], extra: Record<string, string> = {}) => run(args, env(extra));
  const expose = (args: string[]) => {
    const r = new RunningRustronaut(['expose', ...args, '--ca', caFile], env());
    running.push(r);
    return r;
  };
  const servicesAtConsole = async () =>
    (await call(platform.url, 'GET', '/services', { token: admin })).body.items as {
      id: string;
      name: string;
    }[];

  beforeAll(async () => {
    httpsPort = await freePort();
    const l4Port = await freePort();
    platform = await ConsoleHarness.start({
      RN_TUNNEL_PORTS: `${l4Port}-${l4Port}`,
      RN_BASE_DOMAIN: 'localhost',
      RN_PUBLIC_HTTPS_PORT: String(httpsPort),
      RN_TUNNEL_ENDPOINT: `localhost:${httpsPort}`,
    });
    admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    const site = await call(platform.url, 'POST', '/sites', {
      token: admin,
      body: { name: 'Laptops', subnet: '10.70.0.0/24', region: 'eu', connection_type: 'local' },
    });
    expect(site.status).toBe(201);
    gateway = await GatewayProcess.start(
      platform,
      admin,
      site.body.id,
      { RN_BASE_DOMAIN: 'localhost' },
      { httpsPort },
    );
    await gateway.until((status) => status.sites.length > 0, 'the first snapshot');
    caFile = join(gateway.dataDir, 'tls', 'ca.crt');
    ca = readFileSync(caFile, 'utf8');
    echoPort = await freePort();
    echo = createTcpServer((socket) => socket.pipe(socket)).listen(echoPort, '127.0.0.1');
    await once(echo, 'listening');
    webPort = await freePort();
    web = createServer((req, res) => {
      if (req.url === '/upload') {
        const hash = createHash('sha256');
        req.on('data', (c: Buffer) => hash.update(c));
        req.on('end', () => res.end(hash.digest('hex')));
        return;
      }
      if (req.url === '/50mb') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return writeRepeated(res, CHUNK, FIFTY_MB);
      }
      if (req.url !== '/slow') return void res.end(`hello from the laptop: ${req.method} ${req.url}`);
      // A long download: 64 KiB every 20 ms until the client goes away (or 8 MiB).
      let sent = 0;
      const timer = setInterval(() => {
        res.write(Buffer.alloc(64 * 1024, 1));
        if (++sent < 128) return;
        clearInterval(timer);
        res.end();
      }, 20);
      res.on('close', () => clearInterval(timer));
    });
    new WebSocketServer({ server: web }).on('connection', (socket) =>
      socket.on('message', (data: Buffer) => socket.send(`echo ${data.toString()}`)),
    );
    web.listen(webPort, '127.0.0.1');
    await once(web, 'listening');
    home = mkdtempSync(join(tmpdir(), 'rn-cli-expose-'));
    const loggedIn = await rustronaut(['login', '--console', platform.url, '--email', ADMIN.email], {
      RN_PASSWORD: ADMIN.password,
    });
    expect(loggedIn.code).toBe(0);
  }, 90_000);
  afterEach(() => running.splice(0).forEach((r) => r.kill()));
  afterAll(async () => {
    gateway?.stop();
    echo?.close();
    web?.close();
    await platform?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('says who you are and that the console answers', async () => {
    const r = await rustronaut(['status']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toBe(
      `console:  ${platform.url} (reachable)\nuser:     ${ADMIN.email} (owner)\nservices: 0 exposed\n`,
    );
  });

  it('refreshes an expired access token with the stored refresh token, and stores the new pair', async () => {
    // A second person's config dir: reusing the old refresh token below ends that session.
    const other = mkdtempSync(join(tmpdir(), 'rn-cli-refresh-'));
    try {
      const otherEnv = (extra: Record<string, string> = {}) => personEnv(other, extra);
      await run(
        ['login', '--console', platform.url, '--email', ADMIN.email],
        otherEnv({ RN_PASSWORD: ADMIN.password }),
      );
      const file = join(other, 'config', 'rustronaut', 'credentials.json');
      const before = JSON.parse(readFileSync(file, 'utf8'));
      writeFileSync(
        file,
        JSON.stringify({ ...before, auth: { ...before.auth, expires_at: Date.now() - 1000 } }),
      );
      const r = await run(['status', '--json'], otherEnv());
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ reachable: true, user: { email: ADMIN.email } });
      const after = JSON.parse(readFileSync(file, 'utf8'));
      expect(after.auth.refresh_token).not.toBe(before.auth.refresh_token);
      expect(after.auth.expires_at).toBeGreaterThan(Date.now());
      // The console really rotated it: the old refresh token is used up.
      const reuse = await call(platform.url, 'POST', '/auth/refresh', {
        body: { refresh_token: before.auth.refresh_token },
      });
      expect(reuse.status).toBe(401);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('exposes a local HTTP service: the URL and DNS record exactly, listed, and Ctrl-C removes it', async () => {
    const sut = expose([`localhost:${webPort}`, 'http']);
    const first = await sut.line((l) => l.startsWith('✓ Service exposed at: '), 'the exposure');
    const [, name] = /^✓ Service exposed at: https:\/\/([a-z0-9-]+)\.localhost:\d+$/.exec(first) ?? [];
    expect(name).toBeDefined();
    expect(sut.lines.slice(0, 2)).toEqual([
      `✓ Service exposed at: https://${name}.localhost:${httpsPort}`,
      `✓ DNS Record: CNAME ${name}.localhost`,
    ]);
    const atConsole = await servicesAtConsole();
    expect(atConsole.map((s) => s.name)).toEqual([name]);

    const listed = await rustronaut(['services', '--json']);
    expect(JSON.parse(listed.out).items).toEqual([
      expect.objectContaining({
        id: atConsole[0]!.id,
        name,
        protocol: 'http',
        local_address: `localhost:${webPort}`,
        public_url: `https://${name}.localhost:${httpsPort}`,
      }),
    ]);
    expect(listed.out).not.toContain('rnt_');
    expect((await rustronaut(['status'])).out).toContain('services: 1 exposed');

    // Through the gateway to this machine, and the CLI shows the request as it happens.
    await sut.line((l) => l.startsWith('✓ Tunnel connected'), 'the tunnel');
    const url = `https://${name}.localhost:${httpsPort}/hello`;
    const reply = await eventually(
      () => fetchPublic(url, httpsPort, ca),
      (r) => r.status === 200,
      'the public URL answers',
    );
    expect(reply.text).toBe('hello from the laptop: GET /hello');
    await sut.line((l) => /^GET \/hello 200 \d+ms$/.test(l), 'the live request line');

    sut.interrupt();
    expect(await sut.exited).toBe(0);
    expect(sut.lines.at(-1)).toBe(`✓ Service ${name} is no longer exposed`);
    expect(await servicesAtConsole()).toEqual([]);
    // The route is gone from the gateway too.
    await eventually(
      () => fetchPublic(url, httpsPort, ca),
      (r) => r.status !== 200,
      'the public URL stops answering',
    );
  });

  it('prints one JSON line for the exposure and one per event with --json, never the token', async () => {
    const sut = expose([`127.0.0.1:${webPort}`, 'http', '--subdomain', 'json-demo', '--json']);
    const first = JSON.parse(await sut.line((l) => l.includes('"exposed"'), 'the exposure'));
    expect(first).toMatchObject({
      event: 'exposed',
      name: 'json-demo',
      public_url: `https://json-demo.localhost:${httpsPort}`,
      dns_record: { type: 'CNAME', name: 'json-demo.localhost' },
      tunnel: { endpoint: `localhost:${httpsPort}` },
    });
    expect(first.tunnel.token).toBeUndefined();

    // The name is taken now: a second exposure under it is refused with what to do, and changes nothing.
    const taken = await rustronaut(['expose', `localhost:${webPort}`, 'http', '--subdomain', 'json-demo']);
    expect(taken.code).toBe(1);
    expect(taken.err).toMatch(/^error: .*json-demo/);
    expect(taken.err).toContain('→ pick another --subdomain, or leave it out for a random name');
    expect((await servicesAtConsole()).length).toBe(1);

    sut.interrupt();
    expect(await sut.exited).toBe(0);
    expect(JSON.parse(sut.lines.at(-1)!)).toEqual({ event: 'unexposed', id: first.id });
    expect(sut.lines.every((l) => JSON.parse(l) && !l.includes('rnt_'))).toBe(true);
  });

  it('un-exposes by id', async () => {
    const sut = expose([`localhost:${webPort}`, 'http', '--json']);
    const { id } = JSON.parse(await sut.line((l) => l.includes('"exposed"'), 'the exposure'));
    const r = await rustronaut(['unexpose', id]);
    expect(r).toMatchObject({ code: 0, out: `✓ Service ${id} is no longer exposed\n` });
    expect(await servicesAtConsole()).toEqual([]);
    const again = await rustronaut(['unexpose', id]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/^error: service .* does not exist/);
    // The running expose learns it from the gateway (its token is refused) and ends by itself.
    await sut.line((l) => l.includes('"elsewhere":true'), 'the un-exposure seen by the running expose');
    expect(await sut.exited).toBe(0);
    expect(JSON.parse(sut.lines.at(-1)!)).toEqual({ event: 'unexposed', id, elsewhere: true });
  });

  it('refuses to expose what does not listen, and creates nothing', async () => {
    const port = await freePort();
    const r = await rustronaut(['expose', `localhost:${port}`, 'http']);
    expect(r.code).toBe(1);
    expect(r.err.split('\n')[0]).toBe(
      `error: local service localhost:${port} is not listening (ECONNREFUSED)`,
    );
    expect(await servicesAtConsole()).toEqual([]);
  });

  it('reconnects by itself when its connection to the gateway is cut mid-transfer, and serves again', async () => {
    const sut = expose([`localhost:${webPort}`, 'http', '--subdomain', 'comeback']);
    await sut.line((l) => l.startsWith('✓ Tunnel connected'), 'the tunnel');
    const url = `https://comeback.localhost:${httpsPort}/before`;
    await eventually(
      () => fetchPublic(url, httpsPort, ca),
      (r) => r.status === 200,
      'the public URL answers',
    );
    // Cuts every TCP connection to the gateway's HTTPS port, as a dropped network would (iproute2).
    let cut = false;
    const cutConnections = () => {
      cut = true;
      execFileSync('ss', ['-K', 'dst', '127.0.0.1', 'dport', '=', `:${httpsPort}`]);
    };
    // A download in flight through the tunnel is cut after 256 KiB.
    const download = new Promise<{ received: number; complete: boolean }>((resolve) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: httpsPort,
          servername: 'comeback.localhost',
          path: '/slow',
          ca,
          agent: false,
          headers: { host: `comeback.localhost:${httpsPort}` },
        },
        (res) => {
          let received = 0;
          res.on('data', (c: Buffer) => {
            received += c.length;
            if (received >= 256 * 1024 && !cut) cutConnections();
          });
          res.on('end', () => resolve({ received, complete: res.complete && received === 8 * 1024 * 1024 }));
          res.on('error', () => resolve({ received, complete: false }));
          res.on('aborted', () => resolve({ received, complete: false }));
        },
      );
      req.on('error', () => resolve({ received: 0, complete: false }));
      req.end();
    });
    const interrupted = await download;
    expect(cut).toBe(true);
    expect(interrupted.complete).toBe(false);
    await sut.line(
      (l) => /^✗ Tunnel disconnected \(.*\), reconnecting in [\d.]+ m?s$/.test(l),
      'the disconnection',
    );
    await sut.line((l) => l === '✓ Tunnel reconnected', 'the reconnection');
    const after = await eventually(
      () => fetchPublic(`https://comeback.localhost:${httpsPort}/after`, httpsPort, ca),
      (r) => r.status === 200,
      'the public URL answers again',
    );
    expect(after.text).toBe('hello from the laptop: GET /after');
    sut.interrupt();
    expect(await sut.exited).toBe(0);
  });

  it('exposes a TCP service on a public port, with the ssh hint for port 22 style services', async () => {
    const sut = expose([`127.0.0.1:${echoPort}`, 'tcp']);
    const first = await sut.line((l) => l.startsWith('✓ Service exposed at: '), 'the exposure');
    const [, host, port] = /^✓ Service exposed at: tcp:\/\/([^:]+):(\d+)$/.exec(first) ?? [];
    expect(host).toBe('localhost');
    expect(sut.lines).toContain(`  connect to localhost:${port}`);
    await sut.line((l) => l.startsWith('✓ Tunnel connected'), 'the tunnel');
    const echoed = await eventually(
      () =>
        new Promise<string>((resolve, reject) => {
          const socket = connect(Number(port), '127.0.0.1');
          let got = '';
          socket.on('data', (c: Buffer) => {
            got += c.toString();
            if (got.length >= 11) socket.end();
          });
          socket.on('close', () => resolve(got));
          socket.on('error', reject);
          socket.write('ping-tunnel');
        }),
      (text) => text === 'ping-tunnel',
      'the echo through the public port',
    );
    expect(echoed).toBe('ping-tunnel');
    sut.interrupt();
    expect(await sut.exited).toBe(0);
  });

  it('with --auth, the public URL asks visitors to log in', async () => {
    const sut = expose([`localhost:${webPort}`, 'http', '--subdomain', 'private-demo', '--auth']);
    await sut.line((l) => l.startsWith('✓ Tunnel connected'), 'the tunnel');
    expect(sut.lines).toContain('  visitors must log in (--auth)');
    const url = `https://private-demo.localhost:${httpsPort}/secret`;
    const allowed = await eventually(
      () => fetchPublic(url, httpsPort, ca, { authorization: `Bearer ${admin}` }),
      (r) => r.status === 200,
      'a signed-in visitor gets through',
    );
    expect(allowed.text).toBe('hello from the laptop: GET /secret');
    const anonymous = await fetchPublic(url, httpsPort, ca);
    expect([302, 401]).toContain(anonymous.status);
    sut.interrupt();
    expect(await sut.exited).toBe(0);
  });

  it('carries 50 MB each way streamed, 200 parallel requests and a WebSocket through the tunnel', async () => {
    const sut = expose([`localhost:${webPort}`, 'http', '--subdomain', 'heavy']);
    await sut.line((l) => l.startsWith('✓ Tunnel connected'), 'the tunnel');
    const base = `https://heavy.localhost:${httpsPort}`;
    await eventually(
      () => fetchPublic(`${base}/`, httpsPort, ca),
      (r) => r.status === 200,
      'the public URL answers',
    );

    const expected = createHash('sha256');
    for (let i = 0; i < FIFTY_MB / CHUNK.length; i++) expected.update(CHUNK);
    const digest = expected.digest('hex');
    const down = await streamPublic(`${base}/50mb`, httpsPort, ca);
    expect([down.status, down.size, down.sha256]).toEqual([200, FIFTY_MB, digest]);
    const up = await streamPublic(`${base}/upload`, httpsPort, ca, { chunks: FIFTY_MB / CHUNK.length });
    expect([up.status, up.text]).toEqual([200, digest]);

    const agent = new Agent({ keepAlive: true, maxSockets: 50, ca });
    const get = (path: string) =>
      new Promise<string>((resolve, reject) => {
        const req = httpsRequest(
          {
            host: '127.0.0.1',
            port: httpsPort,
            servername: 'heavy.localhost',
            path,
            agent,
            headers: { host: `heavy.localhost:${httpsPort}` },
          },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve(`${res.statusCode} ${text}`));
          },
        );
        req.on('error', reject);
        req.end();
      });
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => get(`/p${i}`)));
    agent.destroy();
    expect(answers.filter((a, i) => a === `200 hello from the laptop: GET /p${i}`)).toHaveLength(200);

    // TLS options (ca, SNI) go through to the TLS connection ws makes.
    const tls = { ca, servername: 'heavy.localhost', headers: { host: `heavy.localhost:${httpsPort}` } };
    const ws = new WebSocket(`wss://127.0.0.1:${httpsPort}/ws`, tls);
    await once(ws, 'open');
    ws.send('ping');
    const [message] = (await once(ws, 'message')) as [Buffer];
    expect(message.toString()).toBe('echo ping');
    ws.close();
    // The live view saw them: the download, the upload, the parallel requests.
    await sut.line((l) => /^GET \/50mb 200 \d+ms$/.test(l), 'the download in the live view');
    await sut.line((l) => /^POST \/upload 200 \d+ms$/.test(l), 'the upload in the live view');
    sut.interrupt();
    expect(await sut.exited).toBe(0);
  }, 120_000);

  it('exposes a UDP service: datagrams through its public port come back', async () => {
    const udpPort = await freePort();
    const server = createSocket('udp4');
    server.on('message', (msg, rinfo) =>
      server.send(Buffer.concat([Buffer.from('echo '), msg]), rinfo.port, rinfo.address),
    );
    server.bind(udpPort, '127.0.0.1');
    await once(server, 'listening');
    try {
      const sut = expose([`127.0.0.1:${udpPort}`, 'udp']);
      const first = await sut.line((l) => l.startsWith('✓ Service exposed at: '), 'the exposure');
      const [, port] = /^✓ Service exposed at: udp:\/\/localhost:(\d+)$/.exec(first) ?? [];
      expect(sut.lines).toContain(`  send datagrams to localhost:${port}`);
      await sut.line((l) => l.startsWith('✓ Tunnel connected'), 'the tunnel');
      expect(sut.err).toContain(`UDP cannot be checked before traffic arrives`);
      const client = createSocket('udp4');
      try {
        const reply = await eventually(
          () =>
            new Promise<string>((resolve) => {
              const timer = setTimeout(() => resolve(''), 500);
              client.once('message', (msg) => (clearTimeout(timer), resolve(msg.toString())));
              client.send('dns?', Number(port), '127.0.0.1');
            }),
          (text) => text === 'echo dns?',
          'the echo through the public UDP port',
        );
        expect(reply).toBe('echo dns?');
      } finally {
        client.close();
      }
      sut.interrupt();
      expect(await sut.exited).toBe(0);
    } finally {
      server.close();
    }
  });
});
