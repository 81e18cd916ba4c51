import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';
import { LoopbackDnsServer, TestPebble, freePort } from '@rustronaut/testing';
import { GatewayProcess } from './support/gateway-process';
import { h1get, handshake } from './support/tls-client';

const VALIDITY_SECONDS = 45;

/**
 * ACME against a real test CA: pebble validates HTTP-01 by fetching the token from the gateway's
 * HTTP port, under names a DNS server of the test resolves to 127.0.0.1.
 */
describe('ACME certificates from a real test CA (e2e, pebble and the gateway as processes)', () => {
  let platform: ConsoleHarness;
  let upstream: Server;
  let dns: LoopbackDnsServer;
  let pebble: TestPebble;
  let gateway: GatewayProcess;
  let root: string;

  /** Polls the certificate served for `host` until `ready` holds for it. */
  async function servedUntil(host: string, ready: (cert: X509Certificate) => boolean, what: string) {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const peer = await handshake(gateway.httpsPort, host, root);
      if (ready(peer.cert)) return peer;
      if (gateway.child.exitCode !== null) throw new Error(`the gateway exited:\n${gateway.log}`);
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}:\n${gateway.log}\n${pebble.log}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  beforeAll(async () => {
    platform = await ConsoleHarness.start();
    const admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    const api = (method: string, path: string, body?: unknown) =>
      call(platform.url, method, path, { token: admin, body });
    upstream = createServer((req, res) =>
      res.end(`shop says hi to ${String(req.headers['x-forwarded-proto'])}`),
    );
    const upstreamPort = await freePort();
    await new Promise<void>((r) => upstream.listen(upstreamPort, '127.0.0.1', r));

    dns = await LoopbackDnsServer.start();
    dns.unresolvable.add('lost.example.test');
    const httpPort = await freePort();
    pebble = await TestPebble.start({
      httpPort,
      dnsServer: `127.0.0.1:${dns.port}`,
      certificateValiditySeconds: VALIDITY_SECONDS,
    });
    root = await pebble.root();

    const site = (
      await api('POST', '/sites', {
        name: 'Shop',
        subnet: '10.40.0.0/24',
        region: 'eu',
        connection_type: 'local',
      })
    ).body;
    const target = [{ address: `127.0.0.1:${upstreamPort}`, protocol: 'http' }];
    for (const [name, domain] of [
      ['shop', 'shop.example.test'],
      ['lost', 'lost.example.test'],
    ])
      await api('POST', '/resources', {
        site_id: site.id,
        name,
        protocol: 'http',
        domains: [domain],
        auth_required: false,
        targets: target,
      });
    gateway = await GatewayProcess.start(
      platform,
      admin,
      site.id,
      {
        RN_ACME_DIRECTORY_URL: pebble.directoryUrl,
        RN_ACME_CA_CERT: pebble.directoryCertPath,
        RN_ACME_EMAIL: 'ops@example.test',
        RN_LOG_LEVEL: 'info',
      },
      { httpPort },
    );
    await gateway.until((status) => status.sites.some((st) => st.resources.length === 2), 'the snapshot');
  }, 90_000);
  afterAll(async () => {
    gateway?.stop();
    await pebble?.stop();
    await dns?.stop();
    upstream?.close();
    await platform?.stop();
  });

  it('gets a certificate by HTTP-01 that pebble really validated, serves it, and keeps it in the data dir', async () => {
    const rootCert = new X509Certificate(root);
    const peer = await servedUntil(
      'shop.example.test',
      (cert) => !cert.issuer.includes('Rustronaut development CA'),
      'the ACME certificate',
    );
    expect(peer.error).toBeUndefined();
    expect(peer.authorized).toBe(true); // chain verified up to pebble's root
    expect(peer.cert.checkHost('shop.example.test')).toBe('shop.example.test');
    expect(peer.cert.issuer).not.toBe(rootCert.subject); // issued by pebble's intermediate
    // pebble looked the name up in our DNS and fetched the token from the gateway's HTTP port.
    expect(dns.questions).toContain('shop.example.test');
    expect(existsSync(join(gateway.dataDir, 'tls', 'acme', 'shop.example.test.crt'))).toBe(true);
    const r = await h1get(gateway.httpsPort, 'shop.example.test', 'shop.example.test', '/', root);
    expect(r).toMatchObject({ status: 200, text: 'shop says hi to https' });
  });

  it('renews a certificate once two thirds of its lifetime have passed, and serves the new one without a restart', async () => {
    const first = await servedUntil(
      'shop.example.test',
      (cert) => !cert.issuer.includes('Rustronaut development CA'),
      'the ACME certificate',
    );
    const pid = gateway.child.pid;
    const renewed = await servedUntil(
      'shop.example.test',
      (cert) =>
        !cert.issuer.includes('Rustronaut development CA') && cert.serialNumber !== first.cert.serialNumber,
      'the renewed certificate',
    );
    expect(renewed.authorized).toBe(true);
    expect(new Date(renewed.cert.validTo).getTime()).toBeGreaterThan(new Date(first.cert.validTo).getTime());
    expect(gateway.child.pid).toBe(pid);
    expect(gateway.child.exitCode).toBeNull();
  }, 120_000);

  it('logs a domain the CA cannot validate, retries it with backoff, and serves it meanwhile', async () => {
    const failures = () =>
      gateway.log
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map(
          (line) =>
            JSON.parse(line) as { domain?: string; attempt?: number; retryInSeconds?: number; msg: string },
        )
        .filter((entry) => entry.domain === 'lost.example.test' && entry.attempt !== undefined);
    const deadline = Date.now() + 60_000;
    while (failures().length < 2) {
      if (Date.now() > deadline) throw new Error(`no second attempt logged:\n${gateway.log}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const [first, second] = failures();
    expect(first).toMatchObject({ attempt: 1, retryInSeconds: 5 });
    expect(second).toMatchObject({ attempt: 2, retryInSeconds: 10 });
    expect(first?.msg).toMatch(
      /^could not get an ACME certificate for lost\.example\.test: .*could not resolve/,
    );
    const fallback = await handshake(gateway.httpsPort, 'lost.example.test', root);
    expect(fallback.cert.issuer).toMatch(/Rustronaut development CA/);
    expect(fallback.cert.checkHost('lost.example.test')).toBe('lost.example.test');
    expect(gateway.child.exitCode).toBeNull();
  }, 90_000);
});
