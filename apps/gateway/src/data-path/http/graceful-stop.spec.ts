import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { createLogger } from '@rustronaut/observability';
import { drainGateway } from './graceful-stop';
import { HttpConnections } from './http-connections';
import type { L4Listeners } from '../l4/l4-listeners';

const noL4 = {
  stopAccepting: () => undefined,
  active: 0,
  destroyAll: () => undefined,
} as unknown as L4Listeners;
const GET = 'GET / HTTP/1.1\r\nHost: open.localhost\r\n\r\n';

/** A raw HTTP/1.1 client connection: what the server sent, and when it closed the connection. */
function client(port: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  let text = '';
  const waiting: (() => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    for (const wake of waiting.splice(0)) wake();
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((done) => socket.on('close', () => done()));
  /** Resolves once the server has sent `count` whole responses (each ends with the body `hello`). */
  const responses = (count: number) =>
    new Promise<void>(function check(done) {
      if (text.split('hello').length - 1 >= count) done();
      else waiting.push(() => check(done));
    });
  return { socket, closed, responses, text: () => text };
}

describe('drainGateway', () => {
  let server: Server;
  let connections: HttpConnections;
  let port: number;
  const drain = () =>
    drainGateway({
      servers: [server],
      connections,
      l4: noL4,
      timeoutMs: 10_000,
      logger: createLogger('test', 'silent'),
    });

  beforeEach(async () => {
    server = createServer((_req, res) => res.end('hello'));
    connections = new HttpConnections();
    connections.track(server, false);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(() => {
    connections.destroyAll();
    if (server.listening) server.close();
  });

  it('answers the next request of a keep-alive connection that was between two requests when the drain started, with Connection: close', async () => {
    // A reload under load: the client has its answer and is sending its next request on the same
    // connection as the old worker starts draining.
    const c = client(port);
    c.socket.write(GET);
    await c.responses(1);
    const drained = drain();
    await new Promise((done) => setTimeout(done, 100)); // two of the drain's rounds
    c.socket.write(GET);
    await c.closed;
    const second = c.text().split('hello')[1] ?? '';
    expect(second).toMatch(/^HTTP\/1\.1 200 /);
    expect(second).toMatch(/\r\nconnection: close\r\n/i);
    expect(await drained).toEqual({ cut: 0 });
  });

  it('closes a keep-alive connection left idle, so the drain ends before its deadline', async () => {
    const c = client(port);
    c.socket.write(GET);
    await c.responses(1);
    const drained = drain();
    await c.closed;
    expect(await drained).toEqual({ cut: 0 });
  });

  it('refuses new connections once draining', async () => {
    const drained = drain();
    const c = client(port);
    const refused = await new Promise<string | undefined>((done) => {
      c.socket.once('error', (error: NodeJS.ErrnoException) => done(error.code));
      c.socket.once('connect', () => done(undefined));
    });
    expect(refused).toBe('ECONNREFUSED');
    expect(await drained).toEqual({ cut: 0 });
  });
});
