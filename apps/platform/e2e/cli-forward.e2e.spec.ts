import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';
import { freePort } from '@rustronaut/testing';
import { GatewayProcess, untilServes } from './support/gateway-process';
import { personEnv, rustronaut, RunningRustronaut } from './support/rustronaut';

/** What a client of the forwarded local port gets back for `payload` (empty when it is closed). */
function roundTrip(port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    socket.on('data', (c: Buffer) => {
      got += c.toString();
      if (got.length >= payload.length) socket.end();
    });
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
    socket.write(payload);
  });
}

/**
 * `rustronaut forward remote-db.company.com:PORT localhost:LOCAL` as people run it: a private TCP
 * resource of a site, reached through the gateway with each person's own login and policy.
 */
// Processes on a shared 2-core machine: a test may wait on several of them in turn.
jest.setTimeout(120_000);

describe('rustronaut forward (e2e, started processes)', () => {
  let platform: ConsoleHarness;
  let gateway: GatewayProcess;
  let caFile: string;
  let db: Server;
  let dbPort: number;
  const homes: string[] = [];
  const running: RunningRustronaut[] = [];

  /** A person logged in with the CLI in their own home directory. */
  const person = async (email: string, password: string) => {
    const home = mkdtempSync(join(tmpdir(), 'rn-cli-forward-'));
    homes.push(home);
    const r = await rustronaut(
      ['login', '--console', platform.url, '--email', email],
      personEnv(home, { RN_PASSWORD: password }),
    );
    expect(r.code).toBe(0);
    return home;
  };
  const forward = (home: string, localPort: number) => {
    const r = new RunningRustronaut(
      [
        'forward',
        `remote-db.company.com:${dbPort}`,
        `localhost:${localPort}`,
        '--gateway',
        `localhost:${gateway.httpsPort}`,
        '--ca',
        caFile,
      ],
      personEnv(home),
    );
    running.push(r);
    return r;
  };

  beforeAll(async () => {
    platform = await ConsoleHarness.start();
    const admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    const api = (method: string, path: string, body?: unknown) =>
      call(platform.url, method, path, { token: admin, body });
    for (const [email, name] of [
      ['dba@cli.example', 'DBA'],
      ['dev@cli.example', 'Dev'],
    ] as const)
      expect(
        (await api('POST', '/users', { email, name, password: 'long-enough-pw', role: 'member' })).status,
      ).toBe(201);
    const dba = (await api('GET', '/users?limit=100')).body.items.find(
      (u: { email: string }) => u.email === 'dba@cli.example',
    );
    dbPort = await freePort();
    db = createServer((s) => s.pipe(s)).listen(dbPort, '127.0.0.1');
    await once(db, 'listening');
    const site = (
      await api('POST', '/sites', {
        name: 'DC',
        subnet: '10.81.0.0/24',
        region: 'eu',
        connection_type: 'local',
      })
    ).body;
    const resource = await api('POST', '/resources', {
      site_id: site.id,
      name: 'orders-db',
      protocol: 'tcp',
      domains: ['remote-db.company.com'],
      targets: [{ address: `127.0.0.1:${dbPort}`, protocol: 'tcp' }],
    });
    expect(resource.status).toBe(201);
    expect(
      (
        await api('POST', '/policies', {
          name: 'the DBA reaches the orders database',
          effect: 'allow',
          resource_ids: [resource.body.id],
          subjects: { users: [dba.id] },
        })
      ).status,
    ).toBe(201);
    gateway = await GatewayProcess.start(platform, admin, site.id);
    await untilServes(gateway, [resource.body.id]);
    caFile = join(gateway.dataDir, 'tls', 'ca.crt');
  }, 90_000);

  afterEach(() => running.splice(0).forEach((r) => r.kill()));
  afterAll(async () => {
    gateway?.stop();
    db?.close();
    await platform?.stop();
    homes.forEach((h) => rmSync(h, { recursive: true, force: true }));
  });

  it('carries an allowed person’s connections to the private database, and stops on Ctrl-C', async () => {
    const home = await person('dba@cli.example', 'long-enough-pw');
    const localPort = await freePort();
    const sut = forward(home, localPort);
    await sut.line(
      (l) =>
        l ===
        `✓ Forwarding localhost:${localPort} → remote-db.company.com:${dbPort} through localhost:${gateway.httpsPort} (Ctrl-C to stop)`,
      'the listener',
    );
    expect(await roundTrip(localPort, 'SELECT 1;')).toBe('SELECT 1;');
    expect(await roundTrip(localPort, 'SELECT 2;')).toBe('SELECT 2;');
    expect(sut.lines.filter((l) => / connected to remote-db\.company\.com:/.test(l))).toHaveLength(2);
    sut.interrupt();
    expect(await sut.exited).toBe(0);
    expect(sut.lines.at(-1)).toBe('✓ Stopped forwarding');
  });

  it('refuses a person the policy does not allow before listening, and says why', async () => {
    const home = await person('dev@cli.example', 'long-enough-pw');
    const localPort = await freePort();
    const sut = forward(home, localPort);
    expect(await sut.exited).toBe(1);
    expect(sut.lines.some((l) => l.startsWith('✓ Forwarding'))).toBe(false);
    const err = sut.err;
    expect(err).toMatch(/error: cannot forward to remote-db\.company\.com:\d+: .*HTTP 403 .*Access denied/);
    expect(err).toContain('→ ask an admin for access to this resource');
  });

  it('says what is wrong before listening: no gateway answering, a port in use, not logged in', async () => {
    const home = await person('dba@cli.example', 'long-enough-pw');
    // Without --gateway: the console's tunnel endpoint (here its default, where nothing listens).
    const noGateway = await rustronaut(
      ['forward', `remote-db.company.com:${dbPort}`, '15432'],
      personEnv(home),
    );
    expect(noGateway.code).toBe(1);
    expect(noGateway.err).toMatch(/^error: cannot forward to remote-db\.company\.com:\d+: /);
    expect(noGateway.err).toContain('check that the gateway at localhost:8443 is reachable');
    const args = [
      'forward',
      `remote-db.company.com:${dbPort}`,
      `127.0.0.1:${dbPort}`,
      '--gateway',
      `localhost:${gateway.httpsPort}`,
      '--ca',
      caFile,
    ];
    const inUse = await rustronaut(args, personEnv(home));
    expect(inUse.code).toBe(1);
    expect(inUse.err).toContain(`cannot listen on 127.0.0.1:${dbPort} (EADDRINUSE)`);
    const stranger = mkdtempSync(join(tmpdir(), 'rn-cli-forward-'));
    homes.push(stranger);
    const notLoggedIn = await rustronaut(args, personEnv(stranger));
    expect(notLoggedIn.code).toBe(1);
    expect(notLoggedIn.err).toMatch(/^error: not logged in/);
  });
});
