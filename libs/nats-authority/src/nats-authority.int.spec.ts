import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { connect, credsAuthenticator, jwtAuthenticator, type NatsConnection } from 'nats';
import { accessLogSubject } from '@rustronaut/contracts';
import { ensureAccessStream } from '@rustronaut/eventstore';
import { TestNatsServer } from '@rustronaut/testing';
import { NatsAuthority, gatewayInboxPrefix } from './nats-authority';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** A NATS server started by the test with the permission config the registry generates. */
describe('gateway NATS credentials (own nats-server in operator mode)', () => {
  const authority = new NatsAuthority(NatsAuthority.generate());
  let server: TestNatsServer;
  let consoleUser: NatsConnection;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rn-nats-auth-'));
    const conf = join(dir, 'server.conf');
    writeFileSync(conf, await authority.serverConfig(join(dir, 'accounts')));
    server = await TestNatsServer.start({ extraArgs: ['-c', conf] });
    consoleUser = await connect({
      servers: server.url,
      authenticator: credsAuthenticator(new TextEncoder().encode(await authority.serviceCreds('console'))),
    });
  });
  afterAll(async () => {
    await consoleUser?.close();
    await server?.dispose();
  });

  async function gateway(gatewayId: string, siteIds: string[], orgId = 'org_a') {
    const user = createUser();
    const jwt = await authority.gatewayUserJwt(gatewayId, orgId, siteIds, user.getPublicKey());
    const errors: string[] = [];
    const nc = await connect({
      servers: server.url,
      authenticator: jwtAuthenticator(jwt, user.getSeed()),
      inboxPrefix: gatewayInboxPrefix(gatewayId),
      maxReconnectAttempts: 0,
    });
    void (async () => {
      for await (const s of nc.status()) if (s.type === 'error') errors.push(String(s.data));
    })();
    const collect = (into: string[]) => (err: Error | null, m: { string(): string }) =>
      err ? errors.push(err.message) : into.push(m.string());
    return { nc, errors, collect, jwt, publicKey: user.getPublicKey(), seed: text(user.getSeed()) };
  }

  it("lets a gateway read its own site's config and nothing else, and publish only its own reports", async () => {
    const a = await gateway('gw_a', ['st_a']);
    const received: string[] = [];
    const own = a.nc.subscribe('rn.config.site.st_a', { callback: a.collect(received) });
    const foreign = a.nc.subscribe('rn.config.site.st_b', { callback: a.collect(received) });
    await a.nc.flush();
    consoleUser.publish('rn.config.site.st_a', 'for A');
    consoleUser.publish('rn.config.site.st_b', 'for B');
    await consoleUser.flush();
    await new Promise((r) => setTimeout(r, 300));
    expect(received).toEqual(['for A']);
    expect(a.errors.join('\n')).toMatch(/Permissions Violation for Subscription to "rn\.config\.site\.st_b"/);
    own.unsubscribe();
    foreign.unsubscribe();

    const reports: string[] = [];
    const listener = consoleUser.subscribe('rn.gateway.>', { callback: (_, m) => reports.push(m.subject) });
    await consoleUser.flush();
    a.nc.publish('rn.gateway.gw_b.report', 'pretending to be B');
    a.nc.publish('rn.gateway.gw_a.report', 'mine');
    await a.nc.flush().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    expect(reports).toEqual(['rn.gateway.gw_a.report']); // the server dropped the one for B
    listener.unsubscribe();

    // Requests for its own site's config get their answer on the gateway's own inbox.
    const responder = consoleUser.subscribe('rn.config.get.*', {
      callback: (_, m) => m.respond(new TextEncoder().encode(`config of ${m.subject.split('.').pop()}`)),
    });
    await consoleUser.flush();
    expect((await a.nc.request('rn.config.get.st_a', undefined, { timeout: 2_000 })).string()).toBe(
      'config of st_a',
    );
    await expect(a.nc.request('rn.config.get.st_b', undefined, { timeout: 1_000 })).rejects.toThrow();
    responder.unsubscribe();
    await a.nc.close().catch(() => undefined);
  });

  it('lets a gateway store access records on its own subject only (JetStream acks it, refuses the others)', async () => {
    const stream = `RN_ACCESS_${Date.now()}`;
    await ensureAccessStream(await consoleUser.jetstreamManager(), { name: stream });
    const a = await gateway('gw_acc', ['st_acc'], 'org_x');
    const js = a.nc.jetstream();
    const ack = await js.publish(accessLogSubject('org_x', 'gw_acc'), '{"records":[]}', { timeout: 2_000 });
    expect(ack.stream).toBe(stream);
    // Another gateway's subject, or its own id under another org: NATS drops it, no ack comes.
    await expect(
      js.publish(accessLogSubject('org_x', 'gw_other'), '{"records":[]}', { timeout: 1_000 }),
    ).rejects.toThrow();
    await expect(
      js.publish(accessLogSubject('org_y', 'gw_acc'), '{"records":[]}', { timeout: 1_000 }),
    ).rejects.toThrow();
    const info = await (await consoleUser.jetstreamManager()).streams.info(stream);
    expect(info.state.messages).toBe(1);
    expect(a.errors).toEqual(['PERMISSIONS_VIOLATION', 'PERMISSIONS_VIOLATION']);
    await (await consoleUser.jetstreamManager()).streams.delete(stream);
    await a.nc.close().catch(() => undefined);
  });

  it("stops accepting a deleted gateway's credentials once the account carries its revocation", async () => {
    const c = await gateway('gw_c', ['st_c']);
    const closed = c.nc.closed();
    const system = await connect({
      servers: server.url,
      authenticator: credsAuthenticator(new TextEncoder().encode(await authority.systemCreds())),
    });
    const revoked = await authority.accountJwt({ [c.publicKey]: Math.floor(Date.now() / 1000) });
    const reply = await system.request('$SYS.REQ.CLAIMS.UPDATE', new TextEncoder().encode(revoked), {
      timeout: 2_000,
    });
    expect(reply.string()).toMatch(/"code":200|updated/);
    await system.close();
    await Promise.race([closed, new Promise((r) => setTimeout(r, 5_000))]);
    expect(c.nc.isClosed()).toBe(true);
    await expect(
      connect({
        servers: server.url,
        authenticator: jwtAuthenticator(c.jwt, new TextEncoder().encode(c.seed)),
        maxReconnectAttempts: 0,
      }),
    ).rejects.toThrow(/Authorization Violation/i);
  });
});
