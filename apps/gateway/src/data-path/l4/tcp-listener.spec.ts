import { createHash, randomBytes, randomInt } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { ResourceDataSchema, type SiteSnapshot } from '@rustronaut/contracts';
import { createLogger } from '@rustronaut/observability';
import { freePort } from '@rustronaut/testing';
import { Balancer } from '../upstream/balancer/balancer';
import { PortPolicy } from './port-policy';
import { Relay } from './relay';
import { SourceFirewall } from './source-firewall';
import { TcpListener } from './tcp-listener';

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

/** Everything a socket reads until it ends, optionally not reading at all for `stallMs` first. */
function readAll(socket: Socket, stallMs = 0): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('error', reject);
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    const start = () => socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    if (stallMs > 0) setTimeout(start, stallMs);
    else start();
  });
}

/** A public TCP port of the gateway in front of `targetPort`, as the data plane opens it. */
async function gatewayPort(targetPort: number): Promise<TcpListener> {
  const snapshot: SiteSnapshot = {
    format: 1,
    siteId: 'st_1',
    orgId: 'org_1',
    revision: 1,
    issuedAt: new Date().toISOString(),
    site: { name: 'site', subnet: '127.0.0.0/8', region: 'eu', connectionType: 'local' },
    resources: [
      {
        ...ResourceDataSchema.parse({ siteId: 'st_1', name: 'db', protocol: 'tcp', authRequired: false }),
        id: 'res_db',
        targets: [
          {
            id: 'tgt_db',
            address: `127.0.0.1:${targetPort}`,
            protocol: 'tcp',
            weight: 1,
            region: null,
            healthCheck: null,
          },
        ],
      },
    ],
    policies: [],
    groups: {},
    jwks: [],
  };
  const balancer = new Balancer();
  balancer.sync([snapshot]);
  const resource = { ...snapshot.resources[0]!, orgId: 'org_1', siteId: 'st_1' };
  const listener = new TcpListener(
    await freePort(),
    { resource, firewall: SourceFirewall.OPEN, policy: PortPolicy.PUBLIC },
    {
      balancer,
      options: { host: '127.0.0.1', connectTimeoutMs: 2000, udpIdleMs: 1000, udpMaxFlows: 10 },
      logger: createLogger('test', 'silent'),
    },
  );
  await listener.open();
  return listener;
}

describe('TcpListener: bytes between a client and the target', () => {
  const servers: Server[] = [];
  const listeners: TcpListener[] = [];
  afterEach(() => {
    for (const listener of listeners.splice(0)) {
      listener.stopAccepting();
      listener.destroyAll();
    }
    for (const server of servers.splice(0)) server.close();
  });

  it('carries 24 MB each way at once intact while each side stops reading for a while (backpressure)', async () => {
    const up = randomBytes(24 << 20);
    const down = randomBytes(24 << 20);
    let targetGot: Promise<Buffer> = Promise.resolve(Buffer.alloc(0));
    const target = createServer({ allowHalfOpen: true }, (socket) => {
      targetGot = readAll(socket, 300);
      socket.end(down);
    });
    servers.push(target);
    const listener = await gatewayPort(await listen(target));
    listeners.push(listener);

    const client = connect({ host: '127.0.0.1', port: listener.port, allowHalfOpen: true });
    const clientGot = readAll(client, 300);
    client.end(up);

    expect(sha(await clientGot)).toBe(sha(down));
    expect(sha(await targetGot)).toBe(sha(up));
  });

  it('keeps connections apart: while writes to one wait, others pass small and large messages intact', async () => {
    // An echo target. One client sends 24 MB and does not read for a while, so the gateway's
    // writes to it wait; meanwhile 30 others write messages of 1 byte to 40 KiB (read into the
    // shared buffer and into buffers of their own). Each must read back exactly what it wrote.
    const target = createServer({ allowHalfOpen: true }, (socket) => socket.pipe(socket));
    servers.push(target);
    const listener = await gatewayPort(await listen(target));
    listeners.push(listener);

    const echoed = async (messages: Buffer[], stallMs: number) => {
      const client = connect({ host: '127.0.0.1', port: listener.port, allowHalfOpen: true });
      const got = readAll(client, stallMs);
      for (const message of messages) {
        if (!client.write(message)) await new Promise((resolve) => client.once('drain', resolve));
        await new Promise((resolve) => setImmediate(resolve));
      }
      client.end();
      expect(sha(await got)).toBe(sha(Buffer.concat(messages)));
    };
    const bulk = echoed(
      Array.from({ length: 24 }, () => randomBytes(1 << 20)),
      500,
    );
    const small = Array.from({ length: 30 }, () =>
      echoed(
        Array.from({ length: 40 }, () =>
          randomBytes(randomInt(2) ? randomInt(1, 2000) : randomInt(5000, 40_000)),
        ),
        0,
      ),
    );
    await Promise.all([bulk, ...small]);
  });

  it('passes a half-close on: the target answers after the client finished sending', async () => {
    const target = createServer({ allowHalfOpen: true }, (socket) => {
      void readAll(socket).then((request) => socket.end(Buffer.from(`got ${request.length} bytes`)));
    });
    servers.push(target);
    const listener = await gatewayPort(await listen(target));
    listeners.push(listener);

    const client = connect({ host: '127.0.0.1', port: listener.port, allowHalfOpen: true });
    const got = readAll(client);
    client.end(randomBytes(100_000));
    expect((await got).toString()).toBe('got 100000 bytes');
  });

  it('reads an accepted connection through a relay on this Node (a new buffer per read otherwise)', async () => {
    const accepted = new Promise<Socket>((resolve) => {
      const server = createServer({ pauseOnConnect: true }, resolve);
      servers.push(server);
      void listen(server).then((port) => connect({ host: '127.0.0.1', port }).on('error', () => undefined));
    });
    const socket = await accepted;
    expect(Relay.accepted(socket, new PassThrough())).toBeDefined();
    socket.destroy();
  });
});
