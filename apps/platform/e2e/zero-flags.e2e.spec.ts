import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ADMIN, PlatformProcess, call, login } from '@rustronaut/console-testing';
import { TestNatsServer, freePort } from '@rustronaut/testing';
import { personEnv, rustronaut as run, RunningRustronaut } from './support/rustronaut';

/**
 * The first five minutes (issue 14): `npm start`, then the CLI as a person runs it — `login` with an
 * API key, `expose` with no flags (no --ca: the gateways' development CA was pinned at login), and
 * the first request to the printed URL answers from the local service: no retry, no 502.
 */
jest.setTimeout(300_000);

const curl = promisify(execFile);

describe('rustronaut after npm start: no flags after login', () => {
  let nats: TestNatsServer;
  let platform: PlatformProcess;
  let key: string;
  let home: string;
  let web: Server;
  let webPort: number;
  let caFile: string;
  const running: RunningRustronaut[] = [];
  const env = () => personEnv(home);
  const credentialsFile = () => join(home, 'config', 'rustronaut', 'credentials.json');

  beforeAll(async () => {
    nats = await TestNatsServer.start();
    platform = await PlatformProcess.start({ natsUrl: nats.url });
    caFile = join(platform.dataDir, 'gateway', 'tls', 'ca.crt');
    const admin = (await login(platform.apiUrl, ADMIN.email, ADMIN.password)).access;
    const created = await call(platform.apiUrl, 'POST', '/api-keys', {
      token: admin,
      body: { name: 'laptop', role: 'admin' },
    });
    expect(created.status).toBe(201);
    key = created.body.key as string;
    webPort = await freePort();
    web = createServer((req, res) => res.end(`hello from the laptop: ${req.method} ${req.url}`));
    web.listen(webPort, '127.0.0.1');
    await once(web, 'listening');
    home = mkdtempSync(join(tmpdir(), 'rn-zero-flags-'));
  }, 240_000);
  afterEach(() => running.splice(0).forEach((r) => r.kill()));
  afterAll(async () => {
    web?.close();
    await platform?.stop();
    await nats?.dispose();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('pins the CA at login, and expose needs no flag: the first request answers from here', async () => {
    const ca = new X509Certificate(readFileSync(caFile));
    const loggedIn = await run(['login', '--console', platform.apiUrl, '--api-key', key], env());
    expect(loggedIn).toMatchObject({ code: 0, err: '' });
    const short = `${ca.fingerprint256.slice(0, 11)}…${ca.fingerprint256.slice(-5)}`;
    expect(loggedIn.out).toContain(`✓ Gateways' development CA pinned (sha256 ${short}): no --ca needed`);
    const stored = JSON.parse(readFileSync(credentialsFile(), 'utf8'));
    expect(stored.edge.development_ca.sha256).toBe(ca.fingerprint256);
    expect(stored.edge.development_ca.pem.trim()).toBe(readFileSync(caFile, 'utf8').trim());
    expect(statSync(credentialsFile()).mode & 0o777).toBe(0o600);

    const sut = new RunningRustronaut(['expose', `localhost:${webPort}`, 'http'], env());
    running.push(sut);
    const printed = await sut.line((l) => l.startsWith('✓ Service exposed at: '), 'the public URL', 90_000);
    const url = printed.slice('✓ Service exposed at: '.length);
    expect(url).toMatch(new RegExp(`^https://[a-z0-9-]+\\.localhost:${platform.gateway.httpsPort}$`));
    // The first request, once, as a person would make it: curl with the development CA.
    const first = await curl('curl', ['-sS', '--max-time', '10', '--cacert', caFile, `${url}/first`]);
    expect(first.stdout).toBe('hello from the laptop: GET /first');
    expect(sut.err).not.toMatch(/certificate|self.signed/i);
    await sut.line((l) => l.startsWith('✓ Tunnel connected'), 'the tunnel');
    sut.interrupt();
    expect(await sut.exited).toBe(0);
  });

  it('stops with what changed when the console names another CA than the one pinned', async () => {
    const stored = JSON.parse(readFileSync(credentialsFile(), 'utf8'));
    const other = { pem: stored.edge.development_ca.pem, sha256: '00:'.repeat(31) + '00' };
    writeFileSync(
      credentialsFile(),
      JSON.stringify({ ...stored, edge: { ...stored.edge, development_ca: other } }),
      {
        mode: 0o600,
      },
    );
    const r = await run(['expose', `localhost:${webPort}`, 'http'], env());
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `error: the gateways' development CA at ${platform.apiUrl} changed since you logged in: pinned sha256 ${other.sha256}, the console now names sha256 ${stored.edge.development_ca.sha256}`,
    );
    // Nothing was exposed: the check comes before the service is created.
    expect(JSON.parse((await run(['services', '--json'], env())).out)).toEqual({ items: [] });
  });
});
