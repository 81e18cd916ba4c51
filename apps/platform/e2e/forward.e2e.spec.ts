import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
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
