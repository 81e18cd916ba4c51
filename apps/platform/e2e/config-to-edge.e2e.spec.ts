import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { Client } from 'pg';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';
import {
  SITE_CONFIG_BUCKET,
  signSnapshot,
  siteConfigSubject,
  verifySnapshot,
  type SignedSnapshot,
  type SiteSnapshot,
} from '@rustronaut/contracts';
import { freePort } from '@rustronaut/testing';

const GATEWAY = join(__dirname, '../../../dist/apps/gateway/src/main.js');

/** A gateway process, as an operator starts it. */
class GatewayProcess {
  #child: ChildProcess | undefined;
  log = '';

  constructor(
    readonly args: {
      sites: string;
      nats: string;
      console: string;
      dataDir: string;
      port: number;
      httpPort: number;
      httpsPort: number;
    },
  ) {}

  start(): void {
    const a = this.args;
    this.log = '';
    this.#child = spawn(
      process.execPath,
      [
        GATEWAY,
        '--sites',
        a.sites,
        '--nats',
        a.nats,
        '--console',
        a.console,
        '--data-dir',
        a.dataDir,
        '--management-port',
        String(a.port),
        '--http-port',
        String(a.httpPort),
        '--https-port',
        String(a.httpsPort),
        '--gateway-id',
        'gw_e2e',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#child.stdout?.on('data', (c: Buffer) => (this.log += c.toString()));
    this.#child.stderr?.on('data', (c: Buffer) => (this.log += c.toString()));
    const child = this.#child;
    // A gateway that dies on its own is a finding: its log goes to the test output.
    child.once('exit', (code, signal) => {
      if (!this.#stopping.has(child) && code !== 0)
        process.stderr.write(`gateway exited unexpectedly (${code ?? signal}):\n${this.log}\n`);
    });
  }

  readonly #stopping = new WeakSet<ChildProcess>();

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    this.#stopping.add(child);
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  async status(token: string): Promise<
    | {
        snapshot_revision: number;
        connected: boolean;
        sites: { site_id: string; revision: number; resources: string[] }[];
      }
    | undefined
  > {
    try {
      const response = await fetch(`http://127.0.0.1:${this.args.port}/status`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return response.ok ? ((await response.json()) as never) : undefined;
    } catch {
      return undefined;
    }
  }

  async until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline)
        throw new Error(`gateway: ${what} did not happen within ${timeoutMs} ms\n${this.log}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

describe('config to the edge (e2e, started processes)', () => {
  let platform: ConsoleHarness;
  let admin: string;
  let gateway: GatewayProcess;
  let dataDir: string;
  let siteId: string;

  beforeAll(async () => {
    platform = await ConsoleHarness.start();
    admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    siteId = (
      await call(platform.url, 'POST', '/sites', {
        token: admin,
        body: { name: 'Edge', subnet: '10.7.0.0/24', region: 'eu', connection_type: 'local' },
      })
    ).body.id;
    dataDir = mkdtempSync(join(tmpdir(), 'rn-gateway-'));
    gateway = new GatewayProcess({
      sites: siteId,
      nats: platform.nats.url,
      console: platform.url,
      dataDir,
      port: await freePort(),
      httpPort: await freePort(),
      httpsPort: await freePort(),
    });
    gateway.start();
  }, 90_000);
  afterAll(async () => {
    await gateway?.stop();
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const resourceOnGateway = (resourceId: string) =>
    gateway.until(async () => {
      const status = await gateway.status(admin);
      return status?.sites[0]?.resources.includes(resourceId) ? status : undefined;
    }, `resource ${resourceId} on the gateway`);

  it('gets a resource created through the API to the gateway within a second', async () => {
    await gateway.until(() => gateway.status(admin), 'a first snapshot', 20_000);
    const started = Date.now();
    const created = await call(platform.url, 'POST', '/resources', {
      token: admin,
      body: {
        site_id: siteId,
        name: 'app',
        protocol: 'http',
        domains: ['edge-app.example.com'],
        targets: [{ address: '10.7.0.5:80', protocol: 'http' }],
      },
    });
    expect(created.status).toBe(201);
    const status = await resourceOnGateway(created.body.id);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(status).toMatchObject({ connected: true, sites: [{ site_id: siteId }] });
    expect((await fetch(`http://127.0.0.1:${gateway.args.port}/status`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${gateway.args.port}/healthz`)).status).toBe(200);
    const metrics = await (
      await fetch(`http://127.0.0.1:${gateway.args.port}/metrics`, {
        headers: { authorization: `Bearer ${admin}` },
      })
    ).text();
    expect(metrics).toContain(
      `rustronaut_gateway_snapshot_revision{site="${siteId}"} ${status.snapshot_revision}`,
    );
  });

  it('decides on the gateway exactly as policies/simulate answers in the console', async () => {
    const post = (path: string, body: unknown) => call(platform.url, 'POST', path, { token: admin, body });
    const wiki = (
      await post('/resources', {
        site_id: siteId,
        name: 'wiki',
        protocol: 'http',
        domains: ['wiki.edge.example.com'],
      })
    ).body;
    const alice = (
      await post('/users', { email: 'alice@edge.example', name: 'Alice', password: 'long-enough-pw' })
    ).body;
    const bob = (
      await post('/users', {
        email: 'bob@edge.example',
        name: 'Bob',
        password: 'long-enough-pw',
        role: 'admin',
      })
    ).body;
    const ops = (await post('/groups', { name: 'ops' })).body;
    await post(`/groups/${ops.id}/members`, { user_id: alice.id });
    await post('/policies', {
      name: 'ops',
      effect: 'allow',
      resource_ids: [wiki.id],
      subjects: { groups: [ops.id] },
    });
    await post('/policies', {
      name: 'admins in office hours',
      effect: 'allow',
      resource_ids: [wiki.id],
      subjects: { roles: ['admin'] },
      conditions: {
        time_windows: [
          { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00', time_zone: 'UTC' },
        ],
      },
    });
    await post('/policies', {
      name: 'no writes from outside',
      effect: 'deny',
      resource_ids: [wiki.id],
      subjects: {},
      conditions: { methods: ['POST', 'PUT', 'DELETE'], source_cidrs: ['0.0.0.0/0'] },
    });
    const last = await post('/policies', {
      name: 'lab net',
      effect: 'allow',
      resource_ids: [wiki.id],
      subjects: { any_authenticated: true },
      conditions: { source_cidrs: ['10.7.0.0/24'] },
    });

    const cases = [
      { user: alice, ip: '198.51.100.1', method: 'GET', at: '2026-11-24T10:00:00Z' },
      { user: alice, ip: '198.51.100.1', method: 'POST', at: '2026-11-24T10:00:00Z' },
      { user: bob, ip: '198.51.100.1', method: 'GET', at: '2026-11-24T10:00:00Z' },
      { user: bob, ip: '198.51.100.1', method: 'GET', at: '2026-11-24T20:00:00Z' },
      { user: bob, ip: '10.7.0.9', method: 'GET', at: '2026-11-28T20:00:00Z' },
      { user: null, ip: '10.7.0.9', method: 'GET', at: '2026-11-24T10:00:00Z' },
    ];
    const onGateway = async (c: (typeof cases)[number]) => {
      const q = new URLSearchParams({
        resource: wiki.id,
        ip: c.ip,
        method: c.method,
        at: c.at,
        path: '/',
        ...(c.user ? { user: c.user.id, role: c.user.role } : {}),
      });
      const r = await fetch(`http://127.0.0.1:${gateway.args.port}/decision?${q}`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      return r.ok
        ? ((await r.json()) as { allowed: boolean; decided_by: { policy_id: string } | null })
        : undefined;
    };
    // Wait until the gateway has the last policy (the lab-net case is allowed only by it).
    await gateway.until(
      async () => ((await onGateway(cases[4]!))?.decided_by?.policy_id === last.body.id ? true : undefined),
      'the policies on the gateway',
    );
    for (const c of cases) {
      const console_ = (
        await post('/policies/simulate', {
          user_id: c.user?.id ?? null,
          resource_id: wiki.id,
          ip: c.ip,
          method: c.method,
          at: c.at,
        })
      ).body;
      const edge = (await onGateway(c))!;
      expect({
        case: c.user?.name ?? 'anonymous',
        at: c.at,
        edge: [edge.allowed, edge.decided_by?.policy_id ?? null],
      }).toEqual({
        case: c.user?.name ?? 'anonymous',
        at: c.at,
        edge: [console_.allowed, console_.decided_by?.policy_id ?? null],
      });
    }
  });

  it('refuses a snapshot tampered with on the wire, and an older one even when properly signed', async () => {
    const before = (await gateway.status(admin))!.snapshot_revision;
    const nc = await connect({ servers: platform.nats.url });
    const kv = await nc.jetstream().views.kv(SITE_CONFIG_BUCKET, { bindOnly: true });
    const current = (await kv.get(siteId))!.json<SignedSnapshot>();
    const payload = JSON.parse(Buffer.from(current.payload, 'base64').toString()) as {
      revision: number;
      resources: unknown[];
    };
    const forged = {
      ...current,
      payload: Buffer.from(
        JSON.stringify({ ...payload, revision: payload.revision + 1000, resources: [] }),
      ).toString('base64'),
    };
    nc.publish(siteConfigSubject(siteId), JSON.stringify(forged));
    await gateway.until(
      async () => (gateway.log.includes('"reason":"bad-signature"') ? true : undefined),
      'the refusal of a forged snapshot',
    );

    // Signed with the console's real key, but older than what the gateway has.
    const db = new Client({ connectionString: platform.databaseUrl });
    await db.connect();
    const key = (await db.query(`SELECT kid, private_pem FROM "${platform.prefix}_distributor".signing_keys`))
      .rows[0] as { kid: string; private_pem: string };
    await db.end();
    const older = signSnapshot(
      { ...(payload as SiteSnapshot), revision: before - 1 },
      { id: key.kid, privateKey: key.private_pem },
    );
    nc.publish(siteConfigSubject(siteId), JSON.stringify(older));
    await gateway.until(
      async () => (gateway.log.includes('refused an older snapshot revision') ? true : undefined),
      'the refusal of an older revision',
    );
    await nc.close();
    expect((await gateway.status(admin))!.snapshot_revision).toBe(before);
  });

  it('starts from its disk copy while NATS is down, and catches up when NATS returns', async () => {
    const before = (await gateway.status(admin))!;
    await gateway.stop();
    await platform.nats.stop('SIGTERM');
    gateway.start();
    const offline = await gateway.until(async () => {
      const status = await gateway.status(admin);
      return status && !status.connected ? status : undefined;
    }, 'serving from disk with NATS down');
    expect(offline.snapshot_revision).toBe(before.snapshot_revision);
    expect(offline.sites[0]?.resources).toEqual(before.sites[0]?.resources);

    await platform.nats.restart();
    await platform.waitForApi();
    const created = await gateway.until(
      async () => {
        const r = await call(platform.url, 'POST', '/resources', {
          token: admin,
          body: { site_id: siteId, name: 'later', protocol: 'tcp', public_port: 17000 },
        });
        return r.status === 201 ? r : undefined;
      },
      'the console accepting writes again',
      30_000,
    );
    const caughtUp = await gateway.until(
      async () => {
        const status = await gateway.status(admin);
        return status?.connected && status.sites[0]?.resources.includes(created.body.id) ? status : undefined;
      },
      'catching up after NATS returned',
      30_000,
    );
    expect(caughtUp.snapshot_revision).toBeGreaterThan(before.snapshot_revision);
  });

  it('refuses a snapshot tampered with on disk', async () => {
    await gateway.stop();
    const path = join(dataDir, 'sites', `${siteId}.json`);
    const stored = JSON.parse(readFileSync(path, 'utf8')) as SignedSnapshot;
    const keys = JSON.parse(readFileSync(join(dataDir, 'config-keys.json'), 'utf8')) as Record<
      string,
      string
    >;
    expect(verifySnapshot(stored, keys, siteId).ok).toBe(true);
    const payload = JSON.parse(Buffer.from(stored.payload, 'base64').toString()) as object;
    writeFileSync(
      path,
      JSON.stringify({
        ...stored,
        payload: Buffer.from(JSON.stringify({ ...payload, resources: [] })).toString('base64'),
      }),
    );
    await platform.nats.stop('SIGTERM'); // so only the disk copy could be served
    gateway.start();
    await gateway.until(
      async () => (gateway.log.includes('refused the snapshot on disk') ? true : undefined),
      'the refusal of the disk copy',
    );
    await gateway.until(async () => {
      const health = await fetch(`http://127.0.0.1:${gateway.args.port}/healthz`).catch(() => undefined);
      return health?.ok ? true : undefined;
    }, 'the management API');
    const response = await fetch(`http://127.0.0.1:${gateway.args.port}/status`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(response.status).toBe(401); // no trusted snapshot at all: not even the keys to check a token
    await platform.nats.restart();
  });
});
