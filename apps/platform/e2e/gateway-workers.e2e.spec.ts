import { createServer, Agent, request, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';
import { GatewayProcess, through, untilServes, type GatewayStatus } from './support/gateway-process';

type WorkerView = { id: number; pid: number; generation: number; udp: boolean; rss_bytes: number };
const workersOf = (status: GatewayStatus | undefined) =>
  ((status as unknown as { workers?: WorkerView[] } | undefined)?.workers ?? []) as WorkerView[];

/** One GET with a connection of its own (so the gateway's workers take turns); never rejects. */
function fresh(port: number, host: string, headers: Record<string, string> = {}) {
  return through(port, host, '/', { agent: false, headers }).catch((error: NodeJS.ErrnoException) => ({
    status: 0,
    text: error.code ?? error.message,
    headers: {},
  }));
}

const SERVED = Symbol('requests this connection carried');

/**
 * A GET on a keep-alive pool, not sent again if it fails: a draining gateway closes a keep-alive
 * connection only once it has been idle for a moment, never under a client that is using it (a
 * request cut there could only be resent safely when idempotent). A failure says its error and how
 * many requests its connection carried before (Node's `reusedSocket` is false for a connection the
 * pool hands to a request that waited for it, so it is counted on the socket).
 */
function keepAlive(agent: Agent, port: number, host: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    let before = 0;
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: '' }));
      res.on('error', (error: NodeJS.ErrnoException) =>
        resolve({ status: 0, text: `response cut: ${error.code ?? error.message}` }),
      );
    });
    req.on('socket', (socket: Socket & { [SERVED]?: number }) => {
      before = socket[SERVED] ?? 0;
      socket[SERVED] = before + 1;
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({
        status: 0,
        text: `${error.code ?? ''} ${error.message}, on a connection that carried ${before} requests before`,
      }),
    );
    req.end();
  });
}

/**
 * The gateway with several data-plane workers (RN_GATEWAY_WORKERS=2, node:cluster): what is one per
 * gateway stays one (a rate limit), a reload (SIGHUP) refuses nothing, and a gateway restarted while
 * its console and NATS are gone serves from its snapshot on every worker.
 */
describe('gateway workers (e2e, started processes)', () => {
  let platform: ConsoleHarness | undefined;
  let admin: string;
  let upstream: Server;
  let gateway: GatewayProcess;
  let siteId: string;
  const ids: Record<string, string> = {};
  const api = (method: string, path: string, body?: unknown) =>
    call(platform!.url, method, path, { token: admin, body });
  // Two whatever the machine's cores (the default, auto, is one process on a single core): what
  // this suite checks is what holds across workers.
  const WORKERS = { RN_GATEWAY_WORKERS: '2' };

  beforeAll(async () => {
    platform = await ConsoleHarness.start();
    admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    upstream = createServer((req, res) =>
      res.end(`hello ${String(req.headers['x-rustronaut-user'] ?? 'anyone')}`),
    );
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const target = [
      { address: `127.0.0.1:${(upstream.address() as { port: number }).port}`, protocol: 'http' },
    ];
    siteId = (
      await api('POST', '/sites', {
        name: 'Workers',
        subnet: '10.31.0.0/24',
        region: 'eu',
        connection_type: 'local',
      })
    ).body.id as string;
    const resource = async (name: string, extra: Record<string, unknown>) =>
      (ids[name] = (
        await api('POST', '/resources', {
          site_id: siteId,
          name,
          protocol: 'http',
          domains: [`${name}.localhost`],
          targets: target,
          ...extra,
        })
      ).body.id as string);
    await resource('open', { auth_required: false });
    await resource('limited', {
      auth_required: false,
      rate_limit: { requests_per_minute: 1, burst: 12, per: 'resource' },
    });
    await resource('wiki', {});
    await resource('kiosk', { auth_methods: ['pin'] });
    expect((await api('PUT', `/resources/${ids['kiosk']}/pin`, { pin: '482913' })).status).toBe(200);
    await api('POST', '/policies', {
      name: 'anyone signed in reads the wiki',
      effect: 'allow',
      resource_ids: [ids['wiki']],
      subjects: { any_authenticated: true },
    });
    gateway = await GatewayProcess.start(platform, admin, siteId, WORKERS);
    await untilServes(gateway, Object.values(ids));
    await gateway.until((s) => workersOf(s).length === 2, 'two workers');
  }, 120_000);

  afterAll(async () => {
    gateway?.stop();
    upstream?.close();
    await platform?.stop();
  });

  it('counts one rate limit per resource across the workers, not one per worker', async () => {
    // 30 requests, each on its own connection: the workers take turns, the bucket (burst 12) is one.
    const replies = await Promise.all(
      Array.from({ length: 30 }, () => fresh(gateway.httpPort, 'limited.localhost')),
    );
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(12);
    expect(statuses.filter((s) => s === 429)).toHaveLength(18);
  });

  it('reloads on SIGHUP with new workers on the same sockets: a client under load sees no refused connection and no failed request', async () => {
    const before = workersOf(await gateway.status());
    expect(before.map((w) => w.generation)).toEqual([1, 1]);
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const failures: string[] = [];
    let done = 0;
    let stop = false;
    const deadline = Date.now() + 30_000;
    // Bounded: 8 loops, until told to stop, 30 s or 20 000 requests, whichever comes first.
    const loop = async (keep: boolean) => {
      while (!stop && Date.now() < deadline && done < 20_000) {
        const r = keep
          ? await keepAlive(agent, gateway.httpPort, 'open.localhost')
          : await fresh(gateway.httpPort, 'open.localhost');
        done++;
        if (r.status !== 200) failures.push(`${keep ? 'keep-alive' : 'fresh'}: ${r.status} ${r.text}`);
      }
    };
    const loops = [
      ...Array.from({ length: 4 }, () => loop(false)),
      ...Array.from({ length: 4 }, () => loop(true)),
    ];
    await new Promise((r) => setTimeout(r, 500));
    const atReload = done;
    gateway.child.kill('SIGHUP');
    const after = await gateway.until(
      (s) => {
        const workers = workersOf(s);
        return workers.length === 2 && workers.every((w) => w.generation === 2);
      },
      'the new generation of workers, alone',
      25_000,
    );
    const atSwap = done;
    await new Promise((r) => setTimeout(r, 500));
    stop = true;
    await Promise.all(loops);
    agent.destroy();
    expect(failures).toEqual([]);
    expect(atReload).toBeGreaterThan(0);
    expect(done).toBeGreaterThan(atSwap); // served by the new workers too
    const pids = new Set(before.map((w) => w.pid));
    expect(workersOf(after).every((w) => !pids.has(w.pid))).toBe(true);
    process.stdout.write(`reload under load: ${done} requests\n`);
  }, 60_000);

  it('restarted while the console and NATS are stopped, serves public and protected resources from its snapshot on every worker, to a token and a session issued before', async () => {
    const token = (await login(platform!.url, ADMIN.email, ADMIN.password)).access;
    const unlocked = await through(gateway.httpPort, 'kiosk.localhost', '/.rustronaut/auth/unlock', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from('secret=482913&return=%2F'),
    });
    expect(unlocked.status).toBe(303);
    const session = String(unlocked.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';
    expect(session).toMatch(/^rn_sess_/);

    const ports = {
      httpPort: gateway.httpPort,
      httpsPort: gateway.httpsPort,
      managementPort: gateway.managementPort,
    };
    const dataDir = gateway.dataDir;
    await gateway.terminate();
    const stopped = platform!;
    await stopped.stop(); // every console service and the NATS server of this test (Postgres is never asked by a gateway)
    platform = undefined;

    gateway = await GatewayProcess.start(stopped, admin, siteId, WORKERS, { ...ports, dataDir });
    const status = await gateway.until(
      (s) => workersOf(s).length === 2 && (s.sites[0]?.resources.length ?? 0) === 4,
      'two workers serving the snapshot from disk',
    );
    expect((status as unknown as { connected: boolean }).connected).toBe(false);
    // 20 requests of each kind, each on its own connection: both workers answer them.
    const open = await Promise.all(
      Array.from({ length: 20 }, () => fresh(gateway.httpPort, 'open.localhost')),
    );
    expect(open.map((r) => r.status)).toEqual(Array(20).fill(200));
    const wiki = await Promise.all(
      Array.from({ length: 20 }, () =>
        fresh(gateway.httpPort, 'wiki.localhost', { authorization: `Bearer ${token}` }),
      ),
    );
    expect(wiki.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(new Set(wiki.map((r) => r.text)).size).toBe(1);
    expect(wiki[0]?.text).toMatch(/^hello usr_/);
    const kiosk = await Promise.all(
      Array.from({ length: 20 }, () => fresh(gateway.httpPort, 'kiosk.localhost', { cookie: session })),
    );
    expect(kiosk.map((r) => r.status)).toEqual(Array(20).fill(200));
    // Fail closed all the same: no token, no entry.
    expect((await fresh(gateway.httpPort, 'wiki.localhost')).status).toBe(401);
  }, 120_000);
});
