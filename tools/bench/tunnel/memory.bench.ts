/**
 * What a tunnel costs the gateway in memory: the gateway side of the tunnels runs in this process
 * (an HTTPS server, the TunnelServer, as in the gateway), the clients in a child process, so this
 * process's heap and RSS growth is the gateway's. Issue 6 asks for a figure per idle tunnel and per
 * open stream.
 *
 *   npm run bench:tunnel-memory [-- --tunnels 200 --streams 2000]
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { selfSignedCertificate } from '@rustronaut/testing';
import { TUNNEL_UPGRADE, TunnelClient, TunnelServer, type Tunnel } from '@rustronaut/tunnel';

const { values: args } = parseArgs({
  options: {
    tunnels: { type: 'string', default: '200' },
    streams: { type: 'string', default: '2000' },
    child: { type: 'boolean', default: false },
    port: { type: 'string' },
    ca: { type: 'string' },
  },
});
const TUNNELS = Number(args.tunnels);
const STREAMS = Number(args.streams);

const settle = async () => {
  for (let i = 0; i < 3; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setTimeout(r, 200));
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external + m.arrayBuffers };
};
const kib = (bytes: number) => (bytes / 1024).toFixed(1);

async function clients(): Promise<void> {
  const ca = Buffer.from(args.ca ?? '', 'base64').toString();
  // The local service the clients reach (a sink), on the clients' side as in real use.
  const sink = createTcpServer((s) => s.resume());
  sink.listen(0, '127.0.0.1');
  await once(sink, 'listening');
  const sinkPort = (sink.address() as AddressInfo).port;
  for (let i = 0; i < TUNNELS; i++) {
    new TunnelClient({
      gateway: { host: '127.0.0.1', port: Number(args.port), servername: 'localhost' },
      token: `t${i}`,
      services: [{ name: 'echo', protocol: 'tcp', local: { host: '127.0.0.1', port: sinkPort } }],
      ca,
    }).start();
  }
  await new Promise(() => undefined); // until the parent ends it
}

async function gateway(): Promise<void> {
  const cert = await selfSignedCertificate(['localhost']);
  const tunnels: Tunnel[] = [];
  const server = new TunnelServer({
    authenticate: (hello) =>
      Promise.resolve({
        ok: true,
        tunnelId: hello.token,
        services: [{ name: 'echo', protocol: 'tcp', publicUrl: '-' }],
      }),
  });
  server.on('tunnel', (t: Tunnel) => tunnels.push(t));
  const https = createHttpsServer(cert, (_req, res) => res.end());
  https.on('upgrade', (req, socket: Socket, head: Buffer) => {
    if (req.headers.upgrade === TUNNEL_UPGRADE) void server.acceptUpgrade(socket, head);
  });
  https.listen(0, '127.0.0.1');
  await once(https, 'listening');

  const base = await settle();
  const child = fork(
    __filename,
    [
      '--child',
      '--tunnels',
      String(TUNNELS),
      '--port',
      String((https.address() as AddressInfo).port),
      '--ca',
      Buffer.from(cert.cert).toString('base64'),
    ],
    { execArgv: process.execArgv },
  );
  while (tunnels.length < TUNNELS) await new Promise((r) => setTimeout(r, 100));
  const withTunnels = await settle();

  const streams = [];
  for (let i = 0; i < STREAMS; i++) {
    const stream = tunnels[i % tunnels.length]!.openStream('echo');
    stream.on('error', () => undefined);
    streams.push(stream);
  }
  await Promise.all(streams.map((s) => once(s, 'response')));
  const withStreams = await settle();

  const rows = [
    [
      'idle tunnel (gateway side)',
      (withTunnels.rss - base.rss) / TUNNELS,
      (withTunnels.heap - base.heap) / TUNNELS,
    ],
    [
      'open stream (gateway side)',
      (withStreams.rss - withTunnels.rss) / STREAMS,
      (withStreams.heap - withTunnels.heap) / STREAMS,
    ],
  ] as const;
  process.stdout.write(`${TUNNELS} tunnels, ${STREAMS} open streams (Node ${process.versions.node})\n\n`);
  process.stdout.write('| what | RSS KiB each | JS heap + buffers KiB each |\n| --- | ---: | ---: |\n');
  for (const [what, rss, heap] of rows) process.stdout.write(`| ${what} | ${kib(rss)} | ${kib(heap)} |\n`);
  child.kill();
  for (const s of streams) s.destroy();
  https.close();
  process.exit(0);
}

void (args.child ? clients() : gateway());
