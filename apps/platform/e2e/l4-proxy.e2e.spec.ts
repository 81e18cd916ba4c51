import { createHash, randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket as NetSocket } from 'node:net';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';
import { freePort } from '@rustronaut/testing';
import { GatewayProcess } from './support/gateway-process';

/** Sends `data` on a raw TCP connection, half-closes, and collects everything until the other side ends. */
function exchange(port: number, data: Buffer): Promise<{ received: Buffer; refused: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let refused = false;
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => (refused = true));
    socket.on('connect', () => socket.end(data));
    socket.on('close', () => resolve({ received: Buffer.concat(chunks), refused }));
  });
}

/** One datagram out, the first answer back (or undefined after a second). */
function datagram(socket: UdpSocket, port: number, text: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      resolve(undefined);
    }, 1000);
    const onMessage = (message: Buffer) => {
      clearTimeout(timer);
      socket.off('message', onMessage);
      resolve(message.toString());
    };
    socket.on('message', onMessage);
    socket.send(text, port, '127.0.0.1');
  });
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('TCP and UDP resources on public ports (e2e, started processes)', () => {
  let platform: ConsoleHarness;
  let admin: string;
  let gateway: GatewayProcess;
  let siteId: string;
  let echo: Server;
  let echoPort: number;
  let echoConnections = 0;
  const echoSockets = new Set<NetSocket>();
  let udpEcho: UdpSocket;
  let udpEchoPort: number;
  /** The source ports the UDP echo server saw: one per flow. */
  const udpSources = new Set<number>();
  let squatter: Server;
  const ports: Record<string, number> = {};
  const ids: Record<string, string> = {};
  const api = (method: string, path: string, body?: unknown) =>
    call(platform.url, method, path, { token: admin, body });
  const resource = async (name: string, protocol: 'tcp' | 'udp', body: Record<string, unknown> = {}) => {
    ports[name] = await freePort();
    const r = await api('POST', '/resources', {
      site_id: siteId,
      name,
      protocol,
      public_port: ports[name],
      auth_required: false, // a public port open to anyone (its firewall rules aside)
      targets: [{ address: `127.0.0.1:${protocol === 'tcp' ? echoPort : udpEchoPort}`, protocol }],
      ...body,
    });
    if (r.status !== 201) throw new Error(`resource ${name}: ${r.status} ${JSON.stringify(r.body)}`);
    ids[name] = r.body.id as string;
  };

  beforeAll(async () => {
    platform = await ConsoleHarness.start();
    admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    siteId = (
      await api('POST', '/sites', {
        name: 'Ports',
        subnet: '10.40.0.0/24',
        region: 'eu',
        connection_type: 'local',
      })
    ).body.id;
    // A TCP echo that answers a half-close by ending its side once everything is echoed.
    echo = createServer({ allowHalfOpen: true }, (socket) => {
      echoConnections++;
      echoSockets.add(socket);
      socket.on('close', () => echoSockets.delete(socket));
      socket.on('error', () => socket.destroy());
      socket.pipe(socket);
    });
    echoPort = await freePort();
    await new Promise<void>((r) => echo.listen(echoPort, '127.0.0.1', r));
    udpEcho = createSocket('udp4');
    udpEcho.on('message', (message, from) => {
      udpSources.add(from.port);
      udpEcho.send(message, from.port, from.address);
    });
    udpEchoPort = await freePort();
    await new Promise<void>((r) => udpEcho.bind(udpEchoPort, '127.0.0.1', r));

    await resource('echo', 'tcp');
    await resource('udp', 'udp');
    await resource('denied', 'tcp', {
      firewall_rules: [
        { action: 'allow', cidrs: ['127.0.0.0/8'] },
        { action: 'deny', cidrs: ['127.0.0.1/32'] },
      ],
    });
    await resource('elsewhere', 'tcp', { firewall_rules: [{ action: 'allow', cidrs: ['10.0.0.0/8'] }] });
    await resource('allowed', 'tcp', { firewall_rules: [{ action: 'allow', cidrs: ['127.0.0.0/8'] }] });
    await resource('failover', 'tcp', {
      load_balancing: 'round_robin',
      targets: [
        { address: `127.0.0.1:${await freePort()}`, protocol: 'tcp' },
        { address: `127.0.0.1:${echoPort}`, protocol: 'tcp' },
      ],
    });
    // A port something else already holds on the gateway's address.
    squatter = createServer();
    await resource('squatted', 'tcp');
    await new Promise<void>((r) => squatter.listen(ports['squatted'], '127.0.0.1', r));

    gateway = await GatewayProcess.start(platform, admin, siteId, { RN_GATEWAY_UDP_IDLE_TIMEOUT: '1' });
    await gateway.until(
      (st) =>
        Object.values(ids).every((id) =>
          st.listeners?.some((l) => l.resource_id === id && l.state !== 'opening'),
        ),
      'every public port opened or failed',
    );
  }, 90_000);

  afterAll(async () => {
    gateway?.stop();
    for (const socket of echoSockets) socket.destroy();
    echo?.close();
    udpEcho?.close();
    squatter?.close();
    await platform?.stop();
  });

  it('carries a few MB over TCP intact, through a half-close', async () => {
    const data = randomBytes(4 * 1024 * 1024);
    const { received, refused } = await exchange(ports['echo']!, data);
    expect(refused).toBe(false);
    expect(received.length).toBe(data.length);
    expect(sha(received)).toBe(sha(data));
  });

  it('carries UDP datagrams per flow; an idle flow expires and the next datagram opens a new one', async () => {
    const client = createSocket('udp4');
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', r));
    try {
      expect(await datagram(client, ports['udp']!, 'one')).toBe('one');
      expect(await datagram(client, ports['udp']!, 'two')).toBe('two');
      expect(udpSources.size).toBe(1); // one flow, one upstream socket
      const flows = () =>
        gateway.status().then((st) => st?.listeners?.find((l) => l.resource_id === ids['udp']));
      expect((await flows())?.state).toBe('listening');
      await gateway.until(
        (st) => st.listeners?.find((l) => l.resource_id === ids['udp'])?.active === 0,
        'the idle flow to expire',
      );
      expect(await datagram(client, ports['udp']!, 'three')).toBe('three');
      expect(udpSources.size).toBe(2); // a new flow, with its own upstream socket
    } finally {
      client.close();
    }
  });

  it('applies the source-IP firewall: deny wins, and an allow list must match', async () => {
    const before = echoConnections;
    const denied = await exchange(ports['denied']!, Buffer.from('hello'));
    expect(denied.received.length).toBe(0);
    const elsewhere = await exchange(ports['elsewhere']!, Buffer.from('hello'));
    expect(elsewhere.received.length).toBe(0);
    expect(echoConnections).toBe(before); // nothing reached the target
    expect((await exchange(ports['allowed']!, Buffer.from('hello'))).received.toString()).toBe('hello');
  });

  it('a target that refuses the connection: the next one takes it, every time', async () => {
    for (let i = 0; i < 6; i++) {
      expect((await exchange(ports['failover']!, Buffer.from(`try ${i}`))).received.toString()).toBe(
        `try ${i}`,
      );
    }
  });

  it('reports a port it cannot bind in /status and keeps serving the others', async () => {
    const status = await gateway.status();
    const squatted = status?.listeners?.find((l) => l.resource_id === ids['squatted']);
    expect(squatted).toMatchObject({ state: 'failed', error: 'EADDRINUSE' });
    expect(gateway.log).toMatch(/could not be opened \(EADDRINUSE\)/);
    expect((await exchange(ports['echo']!, Buffer.from('still here'))).received.toString()).toBe(
      'still here',
    );
  });

  it('follows a change of public port: the new one opens, the old one closes', async () => {
    const old = ports['allowed']!;
    const next = await freePort();
    const patched = await api('PATCH', `/resources/${ids['allowed']}`, { public_port: next });
    expect(patched.status).toBe(200);
    await gateway.until(
      (st) =>
        st.listeners?.some(
          (l) => l.resource_id === ids['allowed'] && l.port === next && l.state === 'listening',
        ) ?? false,
      'the new port',
    );
    expect((await exchange(next, Buffer.from('moved'))).received.toString()).toBe('moved');
    const closed = await exchange(old, Buffer.from('gone'));
    expect(closed.refused).toBe(true);
  });
});
