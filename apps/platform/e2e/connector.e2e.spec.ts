import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { join } from 'node:path';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';
import { freePort } from '@rustronaut/testing';
import { TunnelClient } from '@rustronaut/tunnel';
import { GatewayProcess, untilServes } from './support/gateway-process';
import { h1get } from './support/tls-client';

/**
 * `rustronaut connector --token T`: a site on a private network (`connection_type: "tunnel"`), whose
 * targets the gateway reaches through one outbound tunnel from inside that network.
 */
describe('a site connector (e2e, started processes)', () => {
  let platform: ConsoleHarness;
  let admin: string;
  let gateway: GatewayProcess;
  let ca: string;
  let intranet: Server;
  let ssh: TcpServer;
  let sshPort: number;
  let token: string;
  let cliConnector: ChildProcess | undefined;

  const api = (method: string, path: string, body?: unknown) =>
    call(platform.url, method, path, { token: admin, body });

  const get = async (host: string, path: string) => {
    const { status, text } = await h1get(gateway.httpsPort, host, host, path, ca);
    return { status, text };
  };

  beforeAll(async () => {
    platform = await ConsoleHarness.start();
    admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    intranet = createServer((req, res) => res.end(`intranet ${req.url}`));
    ssh = createTcpServer((s) => s.pipe(s));
    intranet.listen(0, '127.0.0.1');
    ssh.listen(0, '127.0.0.1');
    await Promise.all([once(intranet, 'listening'), once(ssh, 'listening')]);
    const site = (
      await api('POST', '/sites', {
        name: 'Office',
        subnet: '10.90.0.0/24',
        region: 'eu',
        connection_type: 'tunnel',
      })
    ).body;
    const web = await api('POST', '/resources', {
      site_id: site.id,
      name: 'intranet',
      protocol: 'http',
      domains: ['intranet.localhost'],
      auth_required: false,
      targets: [{ address: `127.0.0.1:${(intranet.address() as { port: number }).port}`, protocol: 'http' }],
    });
    sshPort = await freePort();
    const tcp = await api('POST', '/resources', {
      site_id: site.id,
      name: 'bastion',
      protocol: 'tcp',
      public_port: sshPort,
      auth_required: false,
      targets: [{ address: `127.0.0.1:${(ssh.address() as { port: number }).port}`, protocol: 'tcp' }],
    });
    const issued = await api('POST', `/sites/${site.id}/connector`);
    expect(issued.status).toBe(201);
    expect(issued.body.token).toMatch(new RegExp(`^rnc_${site.id}_`));
    token = issued.body.token;
    gateway = await GatewayProcess.start(platform, admin, site.id);
    await untilServes(gateway, [web.body.id, tcp.body.id]);
    ca = readFileSync(join(gateway.dataDir, 'tls', 'ca.crt'), 'utf8');
  }, 90_000);

  afterAll(async () => {
    cliConnector?.kill('SIGINT');
    gateway?.stop();
    intranet?.close();
    ssh?.close();
    await platform?.stop();
  });

  it('serves the site’s targets only while its connector is connected', async () => {
    const offline = await get('intranet.localhost', '/');
    expect(offline.status).toBe(502);
    expect(offline.text).toContain('Tunnel offline');

    // As an operator runs it inside the private network.
    const home = mkdtempSync(join(tmpdir(), 'rn-connector-'));
    const caFile = join(home, 'ca.crt');
    writeFileSync(caFile, ca);
    cliConnector = spawn(
      process.execPath,
      [
        join(__dirname, '../../cli/bin/rustronaut.js'),
        'connector',
        '--token',
        token,
        '--gateway',
        `localhost:${gateway.httpsPort}`,
        '--ca',
        caFile,
        '--allow',
        '127.0.0.0/8',
      ],
      { env: { PATH: process.env['PATH'] ?? '', HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    cliConnector.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    const deadline = Date.now() + 15_000;
    while (!out.includes('✓ Connector connected')) {
      if (Date.now() > deadline || cliConnector.exitCode !== null) throw new Error(`connector: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await get('intranet.localhost', '/wiki')).toEqual({ status: 200, text: 'intranet /wiki' });

    const socket = connect(sshPort, '127.0.0.1');
    socket.write('SSH-2.0-test');
    const [banner] = (await once(socket, 'data')) as [Buffer];
    expect(banner.toString()).toBe('SSH-2.0-test');
    socket.destroy();
  });

  it('refuses a replaced connector token', async () => {
    const site = (await api('GET', '/sites')).body.items.find((s: { name: string }) => s.name === 'Office');
    const renewed = await api('POST', `/sites/${site.id}/connector`);
    expect(renewed.body.token).not.toBe(token);
    const old = new TunnelClient({
      gateway: { host: '127.0.0.1', port: gateway.httpsPort, servername: 'localhost' },
      token,
      services: [],
      ca,
    });
    // The snapshot with the new hash reaches the gateway within a moment; until then the old one may pass.
    const deadline = Date.now() + 10_000;
    let refused: { code: string } | undefined;
    while (!refused && Date.now() < deadline) {
      old.start();
      const outcome = await Promise.race([
        once(old, 'refused').then(([r]) => r as { code: string }),
        once(old, 'connected').then(() => undefined),
      ]);
      await old.stop();
      refused = outcome;
      if (!refused) await new Promise((r) => setTimeout(r, 200));
    }
    expect(refused?.code).toBe('TUNNEL_TOKEN_INVALID');
  });
});
