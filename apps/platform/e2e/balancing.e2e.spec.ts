import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';
import { freePort } from '@rustronaut/testing';
import { GatewayProcess, targetsOf, through } from './support/gateway-process';

/**
 * A target: answers its name, /health as the test sets it, /stream slowly, and can hold requests
 * (a slow target) until released.
 */
class Target {
  healthy = true;
  hold = false;
  readonly held: ServerResponse[] = [];
  served = 0;
  openGate: () => void = () => undefined;
  readonly gate = new Promise<void>((resolve) => (this.openGate = resolve));
  readonly server: Server;
  port = 0;

  constructor(readonly name: string) {
    this.server = createServer((req, res) => this.#answer(req, res));
  }

  async start(): Promise<this> {
    this.port = await freePort();
    await new Promise<void>((r) => this.server.listen(this.port, '127.0.0.1', r));
    return this;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  #answer(req: IncomingMessage, res: ServerResponse): void {
    if (req.url === '/health') return void res.writeHead(this.healthy ? 200 : 503).end();
    this.served++;
    this.server.emit('served', req.url);
    if (req.url === '/stream') {
      // 20 chunks of 64 KiB now, 20 more once the test opens the gate.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      for (let i = 0; i < 20; i++) res.write(Buffer.alloc(64 * 1024, i));
      void this.gate.then(() => {
        for (let i = 20; i < 40; i++) res.write(Buffer.alloc(64 * 1024, i));
        res.end();
      });
      return;
    }
    if (this.hold) return void this.held.push(res);
    res.end(this.name);
  }

  release(): void {
    for (const res of this.held.splice(0)) res.end(this.name);
  }

  /** Gone: no longer listening, its open connections cut. */
  async kill(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

/** Resolves when any of the servers next serves a request. */
const nextArrival = (...servers: Server[]) =>
  new Promise<void>((resolve) => {
    const done = () => {
      for (const server of servers) server.off('served', done);
      resolve();
    };
    for (const server of servers) server.on('served', done);
  });

const count = (names: string[]) =>
  names.reduce<Record<string, number>>((c, n) => ({ ...c, [n]: (c[n] ?? 0) + 1 }), {});

describe('load balancing and target health (e2e, started processes)', () => {
  let platform: ConsoleHarness;
  let admin: string;
  let gateway: GatewayProcess;
  let siteId: string;
  const targets: Target[] = [];
  const ids: Record<string, string> = {};
  const api = (method: string, path: string, body?: unknown) =>
    call(platform.url, method, path, { token: admin, body });
  const target = async (name: string) => {
    const t = await new Target(name).start();
    targets.push(t);
    return t;
  };
  const resource = async (name: string, body: Record<string, unknown>) => {
    const r = await api('POST', '/resources', {
      site_id: siteId,
      name,
      protocol: 'http',
      domains: [`${name}.localhost`],
      auth_required: false,
      ...body,
    });
    if (r.status !== 201) throw new Error(`resource ${name}: ${r.status} ${JSON.stringify(r.body)}`);
    ids[name] = r.body.id as string;
    return r.body as { id: string; targets: { id: string; address: string }[] };
  };
  const get = (name: string, path = '/') => through(gateway.httpPort, `${name}.localhost`, path);
  const check = {
    kind: 'http',
    path: '/health',
    interval_s: 1,
    timeout_s: 1,
    healthy_threshold: 1,
    unhealthy_threshold: 1,
  };

  let a: Target,
    b: Target,
    slow: Target,
    fast: Target,
    eu: Target,
    us: Target,
    h1: Target,
    h2: Target,
    r1: Target,
    r2: Target,
    s: Target;

  beforeAll(async () => {
    platform = await ConsoleHarness.start();
    admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    siteId = (
      await api('POST', '/sites', {
        name: 'Balanced',
        subnet: '10.30.0.0/24',
        region: 'eu',
        connection_type: 'local',
      })
    ).body.id;
    [a, b, slow, fast, eu, us, h1, h2, r1, r2, s] = (await Promise.all(
      ['a', 'b', 'slow', 'fast', 'eu', 'us', 'h1', 'h2', 'r1', 'r2', 's'].map(target),
    )) as Target[] as [
      Target,
      Target,
      Target,
      Target,
      Target,
      Target,
      Target,
      Target,
      Target,
      Target,
      Target,
    ];
    await resource('weighted', {
      load_balancing: 'weighted',
      targets: [
        { address: a.address, protocol: 'http', weight: 1 },
        { address: b.address, protocol: 'http', weight: 2 },
      ],
    });
    await resource('least', {
      load_balancing: 'least_connections',
      targets: [
        { address: slow.address, protocol: 'http' },
        { address: fast.address, protocol: 'http' },
      ],
    });
    await resource('regional', {
      load_balancing: 'region_aware',
      targets: [
        { address: us.address, protocol: 'http', region: 'us', weight: 5 },
        { address: eu.address, protocol: 'http', region: 'eu' },
      ],
    });
    await resource('checked', {
      targets: [
        { address: h1.address, protocol: 'http', health_check: check },
        { address: h2.address, protocol: 'http', health_check: check },
      ],
    });
    await resource('retried', {
      targets: [
        { address: r1.address, protocol: 'http' },
        { address: r2.address, protocol: 'http' },
      ],
    });
    const nowhere = [await freePort(), await freePort()];
    await resource('gone', {
      targets: nowhere.map((port) => ({
        address: `127.0.0.1:${port}`,
        protocol: 'http',
        health_check: { ...check, kind: 'tcp' },
      })),
    });
    await resource('streamed', { targets: [{ address: s.address, protocol: 'http' }] });
    gateway = await GatewayProcess.start(platform, admin, siteId);
    await gateway.until(
      (st) => Object.values(ids).every((id) => st.sites[0]?.resources.includes(id)),
      'the snapshot with every resource',
    );
  }, 90_000);

  afterAll(async () => {
    gateway?.stop();
    for (const t of targets) if (t.server.listening) await t.kill();
    await platform?.stop();
  });

  it('weighted: 300 requests split 1:2 between the targets', async () => {
    const names: string[] = [];
    for (let i = 0; i < 300; i++) names.push((await get('weighted')).text);
    const counts = count(names);
    expect(counts['a']! + counts['b']!).toBe(300);
    expect(counts['b']! / counts['a']!).toBeGreaterThan(1.8);
    expect(counts['b']! / counts['a']!).toBeLessThan(2.2);
  });

  it('least connections: a slow target holding requests gets no more while the other is free', async () => {
    slow.hold = true;
    const pending: Promise<{ status: number; text: string }>[] = [];
    for (let i = 0; i < 20; i++) {
      // Each request reaches a target before the next is sent, and one the fast target took is
      // answered first (the fast target is free again), so the counts in flight are settled, in
      // every worker of the gateway: only the held one is in flight when the next is picked.
      const heldBefore = slow.held.length;
      const arrived = nextArrival(slow.server, fast.server);
      const answer = get('least');
      pending.push(answer);
      await arrived;
      if (slow.held.length === heldBefore) await answer;
    }
    expect(slow.held.length).toBeLessThanOrEqual(1);
    expect(fast.served).toBeGreaterThanOrEqual(19);
    slow.release();
    const answers = await Promise.all(pending);
    expect(answers.every((r) => r.status === 200)).toBe(true);
  });

  it("region aware: every request goes to the target in the gateway's region (the site's, eu)", async () => {
    const names: string[] = [];
    for (let i = 0; i < 20; i++) names.push((await get('regional')).text);
    expect(count(names)).toEqual({ eu: 20 });
  });

  it('a target failing its health checks gets no traffic, and gets it again once it passes', async () => {
    h2.healthy = false;
    let status = await gateway.until(
      (st) => targetsOf(st, ids['checked']!)?.usable === 1,
      'h2 marked unhealthy',
    );
    expect(targetsOf(status, ids['checked']!)?.targets.find((t) => t.address === h2.address)?.state).toBe(
      'unhealthy',
    );
    const before = h2.served;
    const down: string[] = [];
    for (let i = 0; i < 20; i++) down.push((await get('checked')).text);
    expect(count(down)).toEqual({ h1: 20 });
    expect(h2.served).toBe(before);

    h2.healthy = true;
    status = await gateway.until((st) => targetsOf(st, ids['checked']!)?.usable === 2, 'h2 healthy again');
    const back: string[] = [];
    for (let i = 0; i < 20; i++) back.push((await get('checked')).text);
    expect(count(back)).toEqual({ h1: 10, h2: 10 });
  });

  it('a killed target: every GET still succeeds (retried on the other), and it is ejected', async () => {
    expect((await get('retried')).status).toBe(200);
    await r2.kill();
    const answers = [];
    for (let i = 0; i < 30; i++) answers.push(await get('retried'));
    expect(answers.filter((r) => r.status !== 200)).toEqual([]);
    expect(count(answers.map((r) => r.text))).toEqual({ r1: 30 });
    const status = await gateway.status();
    expect(targetsOf(status!, ids['retried']!)?.targets.find((t) => t.address === r2.address)?.state).toBe(
      'ejected',
    );
  });

  it('all targets down: 503 "all N targets of <resource> are down", for WebSocket joins too', async () => {
    await gateway.until((st) => targetsOf(st, ids['gone']!)?.usable === 0, 'both targets of gone unhealthy');
    const r = await get('gone');
    expect(r.status).toBe(503);
    expect(r.text).toMatch(/All 2 targets of gone are down/);
    const metrics = await (
      await fetch(`http://127.0.0.1:${gateway.managementPort}/metrics`, {
        headers: { authorization: `Bearer ${admin}` },
      })
    ).text();
    const up = metrics
      .split('\n')
      .filter((l) => l.startsWith('rustronaut_gateway_target_up{') && l.includes(ids['gone']!));
    expect(up).toHaveLength(2);
    expect(up.every((l) => l.includes('state="unhealthy"') && l.endsWith(' 0'))).toBe(true);
    const upgrade = await new Promise<number>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port: gateway.httpPort,
        path: '/ws',
        headers: { host: 'gone.localhost', connection: 'Upgrade', upgrade: 'websocket' },
      });
      req.on('response', (res) => resolve(res.statusCode ?? 0));
      req.on('upgrade', () => reject(new Error('upgraded to a target that is down')));
      req.on('error', reject);
      req.end();
    });
    expect(upgrade).toBe(503);
  });

  it('a new snapshot during a streaming download does not break it, and keeps target health', async () => {
    const before = (await gateway.status())!;
    const revision = before.sites[0]!.revision;
    const download = new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: gateway.httpPort,
          path: '/stream',
          headers: { host: 'streamed.localhost' },
        },
        (res) => {
          let size = 0;
          res.on('data', (c: Buffer) => (size += c.length));
          res.on('end', () => resolve(size));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
    await once(s.server, 'served');
    const added = await api('POST', `/resources/${ids['streamed']}/targets`, {
      address: s.address.replace('127.0.0.1', 'localhost'),
      protocol: 'http',
    });
    expect(added.status).toBe(201);
    const after = await gateway.until((st) => st.sites[0]!.revision > revision, 'the new snapshot');
    s.openGate();
    expect(await download).toBe(40 * 64 * 1024);
    // The unchanged ejected target of another resource is still known as ejected, not reset.
    expect(targetsOf(after, ids['retried']!)?.targets.find((t) => t.address === r2.address)?.state).toBe(
      'ejected',
    );
    expect(targetsOf(after, ids['streamed']!)?.targets).toHaveLength(2);
  });
});
