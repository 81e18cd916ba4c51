import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@rustronaut/testing';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';
import { dialForward } from '@rustronaut/tunnel';
import { GatewayProcess, untilServes } from './support/gateway-process';

/**
 * `rustronaut forward remote-db.company.com:5432 localhost:5432`, gateway side: a user's
 * connection to a private TCP resource, admitted by its policy with the user's own token.
 */
describe('forwarding a TCP connection to a site target (e2e, started processes)', () => {
  let platform: ConsoleHarness;
  let admin: string;
  let member: string;
  let gateway: GatewayProcess;
  let ca: string;
  let db: Server;

  beforeAll(async () => {
    platform = await ConsoleHarness.start();
    admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    const api = (method: string, path: string, body?: unknown) =>
      call(platform.url, method, path, { token: admin, body });
    const dev = await api('POST', '/users', {
      email: 'dev@example.com',
      password: 'Dev-pass-123!',
      role: 'member',
      name: 'Dev',
    });
    const dba = await api('POST', '/users', {
      email: 'dba@example.com',
      password: 'Dba-pass-123!',
      role: 'member',
      name: 'DBA',
    });
    member = (await login(platform.url, 'dev@example.com', 'Dev-pass-123!')).access;
    db = createServer((s) => s.pipe(s));
    db.listen(0, '127.0.0.1');
    await once(db, 'listening');
    const site = (
      await api('POST', '/sites', {
        name: 'DC',
        subnet: '10.80.0.0/24',
        region: 'eu',
        connection_type: 'local',
      })
    ).body;
    // A private database: no public port; reachable only by forwarding, and only for the DBA.
    const resource = await api('POST', '/resources', {
      site_id: site.id,
      name: 'orders-db',
      protocol: 'tcp',
      domains: ['remote-db.company.com'],
      targets: [{ address: `127.0.0.1:${(db.address() as { port: number }).port}`, protocol: 'tcp' }],
    });
    expect(resource.status).toBe(201);
    const policy = await api('POST', '/policies', {
      name: 'DBAs reach the orders database',
      effect: 'allow',
      resource_ids: [resource.body.id],
      subjects: { users: [dba.body.id] },
    });
    expect(policy.status).toBe(201);
    expect(dev.status).toBe(201);
    gateway = await GatewayProcess.start(platform, admin, site.id);
    await untilServes(gateway, [resource.body.id]);
    ca = readFileSync(join(gateway.dataDir, 'tls', 'ca.crt'), 'utf8');
  }, 90_000);

  /** `rustronaut …` as a person runs it, with its own config dir; `until` waits for a line of output. */
  const cli = (home: string, args: string[], env: Record<string, string> = {}) => {
    const child = spawn(process.execPath, [join(__dirname, '../../cli/bin/rustronaut.js'), ...args], {
      env: { PATH: process.env['PATH'] ?? '', HOME: home, XDG_CONFIG_HOME: join(home, 'config'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return {
      child,
      exited,
      output: () => ({ out, err }),
      async until(text: string) {
        const deadline = Date.now() + 15_000;
        while (!out.includes(text)) {
          if (child.exitCode !== null || Date.now() > deadline)
            throw new Error(`no "${text}": exit ${child.exitCode}\n${out}\n${err}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      },
    };
  };

  it('rustronaut forward: a local port for the allowed user; a clear refusal for the others', async () => {
    const home = mkdtempSync(join(tmpdir(), 'rn-cli-'));
    const caFile = join(home, 'ca.crt');
    writeFileSync(caFile, ca);
    const remote = `remote-db.company.com:${(db.address() as { port: number }).port}`;
    const edge = `localhost:${gateway.httpsPort}`;
    try {
      const asDba = cli(home, ['login', '--console', platform.url, '--email', 'dba@example.com'], {
        RN_PASSWORD: 'Dba-pass-123!',
      });
      expect(await asDba.exited).toBe(0);
      const localPort = await freePort();
      const forwarding = cli(home, [
        'forward',
        remote,
        `localhost:${localPort}`,
        '--gateway',
        edge,
        '--ca',
        caFile,
      ]);
      await forwarding.until('✓ Forwarding');
      expect(forwarding.output().out).toContain(
        `✓ Forwarding localhost:${localPort} → ${remote} through ${edge}`,
      );
      const socket = connect(localPort, '127.0.0.1');
      socket.write('psql hello');
      const [answer] = (await once(socket, 'data')) as [Buffer];
      expect(answer.toString()).toBe('psql hello');
      socket.destroy();
      forwarding.child.kill('SIGINT');
      expect(await forwarding.exited).toBe(0);

      const asDev = cli(home, ['login', '--console', platform.url, '--email', 'dev@example.com'], {
        RN_PASSWORD: 'Dev-pass-123!',
      });
      expect(await asDev.exited).toBe(0);
      const denied = cli(home, [
        'forward',
        remote,
        `localhost:${localPort}`,
        '--gateway',
        edge,
        '--ca',
        caFile,
      ]);
      expect(await denied.exited).toBe(1);
      expect(denied.output().err).toMatch(/error: cannot forward to remote-db\.company\.com:\d+: .*HTTP 403/);
      expect(denied.output().err).toContain('→ ask an admin for access to this resource');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  afterAll(async () => {
    gateway?.stop();
    db?.close();
    await platform?.stop();
  });

  const dial = (token: string, to: string) =>
    dialForward({
      gateway: { host: '127.0.0.1', port: gateway.httpsPort, servername: 'localhost' },
      token,
      to,
      ca,
    });

  it('carries an allowed user’s connection to the target, bytes both ways', async () => {
    const dba = (await login(platform.url, 'dba@example.com', 'Dba-pass-123!')).access;
    const socket = await dial(dba, `remote-db.company.com:${(db.address() as { port: number }).port}`);
    socket.write('SELECT 1;');
    const [answer] = (await once(socket, 'data')) as [Buffer];
    expect(answer.toString()).toBe('SELECT 1;');
    socket.destroy();
  });

  it('refuses a user the policy does not allow, a bad token, and a name no resource has', async () => {
    const to = `remote-db.company.com:${(db.address() as { port: number }).port}`;
    await expect(dial(member, to)).rejects.toThrow(/HTTP 403 .*Access denied/);
    await expect(dial('not-a-token', to)).rejects.toThrow(/HTTP 401/);
    await expect(dial(member, 'nothing.company.com:5432')).rejects.toThrow(
      /HTTP 404 .*No TCP resource answers for nothing.company.com:5432/,
    );
  });
});
