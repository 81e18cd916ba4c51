import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import {
  constants,
  createServer as createHttp2Server,
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import { connect as connectTcp } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { DatagramReader, encodeDatagram } from './datagrams';
import {
  encodeFrame,
  TUNNEL_PROTOCOL_VERSIONS,
  type OfferedService,
  type Refused,
  type Welcome,
} from './handshake';
import { receiveHandshake } from './handshake-io';
import { EVENTS_AUTHORITY, TUNNEL_PATH, TUNNEL_UPGRADE, type RequestReport } from './tunnel-server';

/** A service this client offers, and where it really is on this machine. */
export interface LocalService extends OfferedService {
  local: { host: string; port: number };
}

export interface TunnelClientOptions {
  /** The gateway's tunnel endpoint. */
  gateway: { host: string; port: number; servername?: string };
  token: string;
  services: LocalService[];
  /** Extra CA certificates (PEM) to trust for the gateway, e.g. a development CA. */
  ca?: string | Buffer;
  agent?: string;
  /** Backoff between reconnections: from min to max, doubling, with jitter. */
  backoffMs?: { min: number; max: number };
  /** How long a connection attempt (TCP + TLS + handshake) may take. */
  connectTimeoutMs?: number;
  /** How long a UDP flow may stay silent before its local socket is closed. */
  udpIdleMs?: number;
  /**
   * A site connector serves addresses, not named services: the gateway names a target
   * (`10.1.0.100:5432`) and this says where to connect, or undefined to refuse it.
   */
  resolve?: (authority: string) => { host: string; port: number } | undefined;
}

export interface StreamInfo {
  service: string;
  kind: 'tcp' | 'udp';
  /** The client's end of the stream: where it connected locally, or why it could not. */
  outcome: 'connected' | 'refused';
  reason?: string;
}

/**
 * The client end of a tunnel: dials OUT to the gateway over TLS (so it passes NAT and firewalls),
 * introduces itself, then serves the gateway's streams as an HTTP/2 *server* on that one connection.
 * It reconnects by itself with backoff until stopped; a refusal that says "don't retry" stops it.
 *
 * Events: `connected` (Welcome), `disconnected` ({reason, retryInMs}), `refused` (Refused, fatal
 * when retryAfterS is 0), `stream` (StreamInfo), `request` (RequestReport, from the gateway).
 */
export class TunnelClient extends EventEmitter {
  #stopped = false;
  #socket: TLSSocket | undefined;
  #session: ServerHttp2Session | undefined;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #h2: Http2Server;
  readonly #byName: Map<string, LocalService>;

  constructor(private readonly options: TunnelClientOptions) {
    super();
    this.#byName = new Map(options.services.map((s) => [s.name, s]));
    this.#h2 = createHttp2Server({ settings: { initialWindowSize: 4 * 1024 * 1024, enablePush: false } });
    this.#h2.on('stream', (stream, headers) => this.#serve(stream, headers));
    this.#h2.on('session', (session) => {
      this.#session = session;
      session.on('error', () => undefined);
      session.on('connect', () => session.setLocalWindowSize(16 * 1024 * 1024));
    });
  }

  get connected(): boolean {
    return this.#session !== undefined && !this.#session.closed && !this.#session.destroyed;
  }

  start(): void {
    this.#stopped = false;
    void this.#connect();
  }

  /** Closes the tunnel for good (Ctrl-C): streams in flight are cut. */
  stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    return new Promise((resolve) => {
      const socket = this.#socket;
      if (!socket || socket.destroyed) return resolve();
      socket.once('close', () => resolve());
      this.#session?.close();
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    });
  }

  /** Drops the current connection as if the network had (tests and `rustronaut` diagnostics). */
  dropConnection(): void {
    this.#socket?.destroy();
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    const { gateway } = this.options;
    const socket = openGatewayTls(gateway, this.options.ca);
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    const timeoutMs = this.options.connectTimeoutMs ?? 10_000;
    let welcome: Welcome;
    try {
      await secured(socket, timeoutMs);
      await upgrade(socket, gateway.servername ?? gateway.host, timeoutMs);
      socket.write(
        encodeFrame({
          type: 'hello',
          versions: [...TUNNEL_PROTOCOL_VERSIONS],
          token: this.options.token,
          agent: this.options.agent ?? `rustronaut-tunnel node/${process.versions.node}`,
          services: this.options.services.map(({ name, protocol, serviceId }) => ({
            name,
            protocol,
            ...(serviceId ? { serviceId } : {}),
          })),
        }),
      );
      const answer = await receiveHandshake(socket, timeoutMs);
      if (answer.type === 'refused') return this.#refused(answer, socket);
      if (answer.type !== 'welcome') throw new Error('the gateway answered with a hello');
      welcome = answer;
    } catch (error) {
      socket.destroy();
      return this.#retry((error as Error).message);
    }
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.#session = undefined;
      if (!this.#stopped) this.#retry('the connection to the gateway closed');
    });
    // The upgrade switched protocols: ALPN's `http/1.1` no longer describes this connection, and
    // the HTTP/2 server would refuse a socket that still says so.
    socket.alpnProtocol = 'h2';
    this.#h2.emit('connection', socket);
    socket.resume();
    this.#attempt = 0;
    this.emit('connected', welcome);
  }

  #refused(refused: Refused, socket: TLSSocket): void {
    socket.destroy();
    this.emit('refused', refused);
    if (refused.retryAfterS === 0) {
      this.#stopped = true;
      return;
    }
    this.#retry(refused.message, refused.retryAfterS === null ? undefined : refused.retryAfterS * 1000);
  }

  #retry(reason: string, atLeastMs?: number): void {
    if (this.#stopped) return;
    const { min, max } = this.options.backoffMs ?? { min: 250, max: 30_000 };
    const backoff = Math.min(max, min * 2 ** this.#attempt++);
    const retryInMs = Math.max(atLeastMs ?? 0, Math.round(backoff * (0.5 + Math.random() / 2)));
    this.emit('disconnected', { reason, retryInMs });
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#connect(), retryInMs);
  }

  /** One stream from the gateway: connect to the named local service and join them. */
  #serve(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    stream.on('error', () => undefined);
    const name = String(headers[constants.HTTP2_HEADER_AUTHORITY] ?? '');
    const kind = headers['rn-kind'] === 'udp' ? 'udp' : 'tcp';
    const resolved = this.#byName.has(name) ? undefined : this.options.resolve?.(name);
    const service = this.#byName.get(name) ?? (resolved && { name, protocol: kind, local: resolved });
    const refuse = (reason: string) => {
      this.emit('stream', { service: name, kind, outcome: 'refused', reason } satisfies StreamInfo);
      if (!stream.destroyed)
        stream.respond({ [constants.HTTP2_HEADER_STATUS]: 502, 'rn-error': reason }, { endStream: true });
    };
    if (name === EVENTS_AUTHORITY) return this.#receiveReports(stream);
    if (headers[constants.HTTP2_HEADER_METHOD] !== 'CONNECT' || !service)
      return refuse(`this tunnel offers no service named "${name}"`);
    if (kind === 'udp') return this.#serveDatagrams(stream, service, refuse);
    const local = connectTcp(service.local);
    local.setNoDelay(true);
    local.once('connect', () => {
      if (stream.destroyed) return void local.destroy();
      stream.respond({ [constants.HTTP2_HEADER_STATUS]: 200 });
      this.emit('stream', { service: name, kind, outcome: 'connected' } satisfies StreamInfo);
      stream.pipe(local).pipe(stream);
    });
    local.once('error', (error: NodeJS.ErrnoException) => {
      if (!stream.headersSent)
        return refuse(
          `local service ${service.local.host}:${service.local.port} is not listening (${error.code ?? error.message})`,
        );
      stream.close(constants.NGHTTP2_CONNECT_ERROR);
    });
    stream.once('close', () => local.destroy());
  }

  /** Request reports from the gateway: one JSON line each, emitted as `request`. */
  #receiveReports(stream: ServerHttp2Stream): void {
    stream.respond({ [constants.HTTP2_HEADER_STATUS]: 200 });
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        try {
          this.emit('request', JSON.parse(line) as RequestReport);
        } catch {
          // a malformed report is dropped; the tunnel itself is unaffected
        }
      }
      if (pending.length > 64 * 1024) pending = '';
    });
  }

  #serveDatagrams(stream: ServerHttp2Stream, service: LocalService, refuse: (reason: string) => void): void {
    const socket: UdpSocket = createSocket(service.local.host.includes(':') ? 'udp6' : 'udp4');
    const idleMs = this.options.udpIdleMs ?? 60_000;
    let idle = setTimeout(() => stream.close(), idleMs);
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => stream.close(), idleMs);
    };
    socket.once('error', (error) => {
      if (!stream.headersSent)
        refuse(`local service ${service.local.host}:${service.local.port}: ${error.message}`);
      else stream.close();
    });
    socket.connect(service.local.port, service.local.host, () => {
      if (stream.destroyed) return socket.close();
      stream.respond({ [constants.HTTP2_HEADER_STATUS]: 200 });
      this.emit('stream', { service: service.name, kind: 'udp', outcome: 'connected' } satisfies StreamInfo);
      const reader = new DatagramReader();
      stream.on('data', (chunk: Buffer) => {
        touch();
        const datagrams = reader.push(chunk);
        if ('error' in datagrams) return void stream.close(constants.NGHTTP2_PROTOCOL_ERROR);
        for (const datagram of datagrams) socket.send(datagram);
      });
      socket.on('message', (payload) => {
        touch();
        if (!stream.destroyed) stream.write(encodeDatagram(payload));
      });
    });
    stream.once('close', () => {
      clearTimeout(idle);
      try {
        socket.close();
      } catch {
        // already closed
      }
    });
  }
}

/**
 * Asks the gateway's HTTPS port to switch this connection to the tunnel protocol (an HTTP/1.1
 * upgrade, as WebSockets do) and waits for its 101. Any other answer is the gateway's refusal.
 */
function upgrade(
  socket: TLSSocket,
  host: string,
  timeoutMs: number,
  request: { path: string; protocol: string; headers?: Record<string, string> } = {
    path: TUNNEL_PATH,
    protocol: TUNNEL_UPGRADE,
  },
): Promise<void> {
  const extra = Object.entries(request.headers ?? {})
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.write(
    `GET ${request.path} HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: ${request.protocol}\r\n${extra}\r\n`,
  );
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const finish = (error?: Error) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (error) return reject(error);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end === -1) {
        if (received.length > 16 * 1024) finish(new Error('the gateway answered with an oversized header'));
        return;
      }
      const head = received.subarray(0, end).toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
      socket.pause();
      const rest = received.subarray(end + 4);
      if (rest.length) socket.unshift(rest);
      if (status === '101') return finish();
      const body = rest.toString('utf8').trim().split('\n')[0] ?? '';
      finish(new Error(`the gateway refused the tunnel: HTTP ${status ?? '?'} ${body}`.trim()));
    };
    const onClose = () => finish(new Error('the gateway closed the connection'));
    const timer = setTimeout(
      () => finish(new Error(`no answer from the gateway within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.resume();
  });
}

/** The HTTP/1.1 upgrade `rustronaut forward` asks for, one per local connection. */
export const FORWARD_UPGRADE = 'rustronaut-forward/1';
export const FORWARD_PATH = '/.rustronaut/forward';

export interface ForwardOptions {
  gateway: { host: string; port: number; servername?: string };
  /** The signed-in user's access token: the gateway checks it and the resource's policy. */
  token: string;
  /** `remote-db.company.com:5432`: a TCP resource's name on the gateway. */
  to: string;
  ca?: string | Buffer;
  timeoutMs?: number;
}

/**
 * One forwarded connection: TLS to the gateway's HTTPS port, an upgrade naming the target, and
 * then a plain byte stream to it. Rejects with the gateway's reason (401, 403, 404 …) otherwise.
 */
export async function dialForward(options: ForwardOptions): Promise<TLSSocket> {
  const { gateway } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const socket = openGatewayTls(gateway, options.ca);
  try {
    await secured(socket, timeoutMs);
    await upgrade(socket, gateway.servername ?? gateway.host, timeoutMs, {
      path: `${FORWARD_PATH}?to=${encodeURIComponent(options.to)}`,
      protocol: FORWARD_UPGRADE,
      headers: { authorization: `Bearer ${options.token}` },
    });
  } catch (error) {
    socket.destroy();
    throw error;
  }
  socket.resume();
  return socket;
}

/** TLS to the gateway's HTTPS port, for an HTTP/1.1 upgrade (the SNI name is the gateway's host). */
function openGatewayTls(
  gateway: { host: string; port: number; servername?: string },
  ca: string | Buffer | undefined,
): TLSSocket {
  return connectTls({
    host: gateway.host,
    port: gateway.port,
    servername: gateway.servername ?? (/^[\d.:]+$/.test(gateway.host) ? undefined : gateway.host),
    ALPNProtocols: ['http/1.1'],
    ...(ca ? { ca } : {}),
  });
}

/** Resolves once the TLS handshake is done; rejects on an error or after `timeoutMs`. */
function secured(socket: TLSSocket, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no TLS connection within ${timeoutMs} ms`)), timeoutMs);
    socket.once('secureConnect', () => (clearTimeout(timer), resolve()));
    socket.once('error', (error) => (clearTimeout(timer), reject(error)));
  });
}
