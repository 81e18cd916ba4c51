import { once } from 'node:events';
import { createServer, request, type Server, type ServerResponse, Agent } from 'node:http';
import { connect as connectHttp2 } from 'node:http2';
import { connect, createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';
import { freePort } from '@rustronaut/testing';
import { GatewayProcess, through } from './support/gateway-process';

/** A GET whose answer the target holds until the test releases it. */
function slowGet(port: number, agent: Agent | false = false) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/slow', headers: { host: 'slow.localhost' }, agent },
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

/** Whether a new TCP connection to the port is refused. */
function refusedNow(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

/**
 * Whether new connections to the port are refused within 2 s. With several data-plane workers each
 * stops accepting when the primary tells it to drain, and the port refuses once the last one has
 * (the one that logged first may be a few milliseconds ahead).
 */
async function refused(port: number): Promise<boolean> {
  const deadline = Date.now() + 2_000;
  for (;;) {
    if (await refusedNow(port)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('graceful stop (e2e, started processes)', () => {
  let platform: ConsoleHarness;
  let admin: string;
  let siteId: string;
  let target: Server;
  const held: ServerResponse[] = [];
  let echo: TcpServer;
  let tcpPort: number;
  const ids: Record<string, string> = {};
  const api = (method: string, path: string, body?: unknown) =>
    call(platform.url, method, path, { token: admin, body });
  const start = async (drainSeconds: number) => {
    const gateway = await GatewayProcess.start(platform, admin, siteId, {
      RN_GATEWAY_DRAIN_TIMEOUT: String(drainSeconds),
    });
    await gateway.until(
      (st) =>
        st.sites[0]?.resources.includes(ids['tcp']!) === true &&
        st.listeners?.some((l) => l.resource_id === ids['tcp'] && l.state === 'listening') === true,
      'the snapshot and the TCP port',
    );
    return gateway;
  };

  beforeAll(async () => {
    platform = await ConsoleHarness.start();
    admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    siteId = (
      await api('POST', '/sites', {
        name: 'Drain',
        subnet: '10.50.0.0/24',
        region: 'eu',
        connection_type: 'local',
      })
    ).body.id;
    target = createServer((req, res) => {
      if (req.url === '/slow') {
        held.push(res);
        target.emit('held');
      } else res.end('quick');
    });
    const targetPort = await freePort();
    await new Promise<void>((r) => target.listen(targetPort, '127.0.0.1', r));
    echo = createTcpServer((socket) => {
      socket.on('error', () => socket.destroy());
      socket.pipe(socket);
    });
    const echoPort = await freePort();
    await new Promise<void>((r) => echo.listen(echoPort, '127.0.0.1', r));
    ids['slow'] = (
      await api('POST', '/resources', {
        site_id: siteId,
        name: 'slow',
        protocol: 'http',
        domains: ['slow.localhost'],
        auth_required: false,
        targets: [{ address: `127.0.0.1:${targetPort}`, protocol: 'http' }],
      })
    ).body.id;
    tcpPort = await freePort();
    ids['tcp'] = (
      await api('POST', '/resources', {
        site_id: siteId,
        name: 'tcp',
        protocol: 'tcp',
        public_port: tcpPort,
        auth_required: false,
        targets: [{ address: `127.0.0.1:${echoPort}`, protocol: 'tcp' }],
      })
    ).body.id;
  }, 90_000);

  afterAll(async () => {
    for (const res of held.splice(0)) res.destroy();
    target?.closeAllConnections();
    target?.close();
    echo?.close();
    await platform?.stop();
  });

  it('SIGTERM: new connections are refused, idle keep-alive ones closed, the slow request and the TCP connection finish, then it exits', async () => {
    const gateway = await start(20);
    try {
      // An idle keep-alive connection, left open after its request.
      const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
      expect((await through(gateway.httpPort, 'slow.localhost', '/', { agent: keepAlive })).text).toBe(
        'quick',
      );
      const idle = Object.values(keepAlive.freeSockets).flat()[0] as Socket;
      expect(idle).toBeDefined();
      const idleClosed = once(idle, 'close');
      // A slow request in flight, and an open TCP connection.
      const slow = slowGet(gateway.httpPort);
      await once(target, 'held');
      const tcp = connect({ host: '127.0.0.1', port: tcpPort });
      await once(tcp, 'connect');
      tcp.write('before ');
      await once(tcp, 'data');

      gateway.child.kill('SIGTERM');
      // (Each data-plane worker drains, and counts, the connections it holds.)
      await until(() => /draining \d+ connections/.test(gateway.log), 'the drain to start');
      expect(await refused(gateway.httpPort)).toBe(true);
      expect(await refused(tcpPort)).toBe(true);
      await idleClosed;

      // The TCP connection still carries data, then ends.
      tcp.write('during');
      const [echoed] = (await once(tcp, 'data')) as [Buffer];
      expect(echoed.toString()).toBe('during');
      tcp.end();
      expect(gateway.child.exitCode).toBeNull(); // the slow request is still in flight

      held.shift()!.end('slow answer');
      expect(await slow).toEqual({ status: 200, text: 'slow answer' });
      const [code] = (await once(gateway.child, 'exit')) as [number];
      expect(code).toBe(0);
      expect(gateway.log).toMatch(/drained: every connection finished/);
      keepAlive.destroy();
    } finally {
      gateway.stop();
    }
  });

  it('SIGTERM on HTTPS/2: the session gets a GOAWAY, its stream in flight still completes', async () => {
    const gateway = await start(20);
    try {
      const session = connectHttp2(`https://127.0.0.1:${gateway.httpsPort}`, {
        servername: 'slow.localhost',
        rejectUnauthorized: false, // the gateway's development CA
      });
      const stream = session.request({ ':path': '/slow', ':authority': 'slow.localhost' });
      const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
        let status = 0;
        let text = '';
        stream.on('response', (headers) => (status = Number(headers[':status'])));
        stream.on('data', (c: Buffer) => (text += c.toString()));
        stream.on('end', () => resolve({ status, text }));
        stream.on('error', reject);
      });
      await once(target, 'held');
      const goaway = once(session, 'goaway');
      gateway.child.kill('SIGTERM');
      await goaway;
      expect(await refused(gateway.httpsPort)).toBe(true);
      held.shift()!.end('slow answer');
      expect(await answer).toEqual({ status: 200, text: 'slow answer' });
      const [code] = (await once(gateway.child, 'exit')) as [number];
      expect(code).toBe(0);
      expect(gateway.log).toMatch(/drained: every connection finished/);
      session.destroy();
    } finally {
      gateway.stop();
    }
  });

  it('cuts what is still open at the drain deadline, and exits', async () => {
    const gateway = await start(1);
    try {
      const slow = slowGet(gateway.httpPort).catch((error: NodeJS.ErrnoException) => error.code);
      await once(target, 'held');
      gateway.child.kill('SIGTERM');
      const [code] = (await once(gateway.child, 'exit')) as [number];
      expect(code).toBe(0);
      expect(await slow).toBe('ECONNRESET');
      expect(gateway.log).toMatch(/drain deadline reached: cutting 1 connections/);
    } finally {
      for (const res of held.splice(0)) res.destroy();
      gateway.stop();
    }
  });
});
