import type { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import { Agent, type AgentOptions } from 'node:http';
import {
  connect as connectHttp2,
  constants,
  type ClientHttp2Session,
  type ClientHttp2Stream,
} from 'node:http2';
import type { Socket } from 'node:net';
import { DatagramReader, encodeDatagram } from './datagrams';
import {
  encodeFrame,
  negotiateVersion,
  TUNNEL_PROTOCOL_VERSIONS,
  type BoundService,
  type Hello,
} from './handshake';
import { HandshakeError, receiveHandshake } from './handshake-io';

/** The HTTP/1.1 upgrade a tunnel client asks for on the gateway's HTTPS port. */
export const TUNNEL_UPGRADE = 'rustronaut-tunnel/1';
export const TUNNEL_PATH = '/.rustronaut/tunnel';

/** The stream that carries request reports to the client (not a service name: those have no `_`). */
export const EVENTS_AUTHORITY = '_events';

/** One request served through the tunnel, as the client's live view shows it. */
export interface RequestReport {
  service: string;
  method: string;
  path: string;
  status: number;
  ms: number;
}

export type TunnelAdmission =
  | { ok: true; tunnelId: string; services: BoundService[] }
  | { ok: false; code: string; message: string; retryAfterS: number | null };

export interface TunnelServerOptions {
  /** Checks the client's token and binds its services (the gateway asks its snapshot / the console). */
  authenticate(hello: Hello, peer: { ip: string }): Promise<TunnelAdmission>;
  keepAliveS?: number;
  handshakeTimeoutMs?: number;
}

/** A datagram flow through a tunnel: what the gateway sends and what comes back. */
export interface DatagramFlow {
  send(payload: Buffer): void;
  onDatagram(listener: (payload: Buffer) => void): void;
  close(): void;
  readonly closed: Promise<void>;
}

/**
 * One connected tunnel, gateway side. The gateway is the HTTP/2 *client* here: it opens a CONNECT
 * stream toward the tunnel client for every connection (TCP, or an HTTP request's connection) and
 * every UDP flow, so many of them share the one TCP connection with HTTP/2's flow control.
 */
/**
 * Request reports are gathered for this long and written together: one write (one HTTP/2 frame)
 * for many requests, instead of one per request on a busy service.
 */
const REPORT_EVERY_MS = 20;
const MAX_PENDING_REPORTS = 64 * 1024;

export class Tunnel extends EventEmitter {
  #open = true;
  #streams = 0;
  #events: ClientHttp2Stream | undefined;
  /** Report lines not written yet: they go out together, one write per REPORT_EVERY_MS. */
  #reports = '';
  #reportTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: string,
    readonly version: number,
    readonly services: BoundService[],
    readonly hello: Hello,
    private readonly session: ClientHttp2Session,
  ) {
    super();
    session.on('close', () => {
      this.#open = false;
      this.emit('close');
    });
    session.on('error', () => undefined);
  }

  get open(): boolean {
    return this.#open && !this.session.closed && !this.session.destroyed;
  }

  /** Streams open right now (for metrics). */
  get activeStreams(): number {
    return this.#streams;
  }

  /**
   * A byte stream to one of the client's services: usable at once (writes are buffered until the
   * client has connected to its local service); it errors with the client's reason if that fails.
   */
  openStream(service: string, kind: 'tcp' | 'udp' = 'tcp'): ClientHttp2Stream {
    const stream = this.session.request(
      {
        [constants.HTTP2_HEADER_METHOD]: 'CONNECT',
        [constants.HTTP2_HEADER_AUTHORITY]: service,
        'rn-kind': kind,
      },
      { endStream: false },
    );
    this.#streams++;
    stream.once('close', () => this.#streams--);
    stream.once('response', (headers) => {
      const status = Number(headers[constants.HTTP2_HEADER_STATUS]);
      if (status !== 200) {
        const reason = String(headers['rn-error'] ?? `the tunnel client answered ${status}`);
        stream.destroy(new TunnelStreamError(reason, status));
      }
    });
    return stream;
  }

  /**
   * An HTTP agent whose connections are streams of this tunnel to one service: the gateway's
   * ordinary HTTP forwarding (keep-alive pool, upgrades) works through it unchanged.
   */
  httpAgent(service: string, options: AgentOptions = {}): Agent {
    const agent = new Agent({ keepAlive: true, maxSockets: 256, ...options });
    const open = () => asSocket(this.openStream(service));
    (agent as unknown as { createConnection: typeof open }).createConnection = open;
    return agent;
  }

  openDatagramFlow(service: string): DatagramFlow {
    const stream = this.openStream(service, 'udp');
    return datagramFlowOver(stream, () => stream.close());
  }

  /**
   * Tells the client about a request it served (method, path, status, time), for `rustronaut
   * expose`'s live view. Lines go on one stream, opened on first use; losing one is harmless.
   */
  reportRequest(request: RequestReport): void {
    if (!this.open || this.#reports.length >= MAX_PENDING_REPORTS) return;
    this.#reports += `${JSON.stringify(request)}\n`;
    this.#reportTimer ??= setTimeout(() => this.#sendReports(), REPORT_EVERY_MS);
  }

  #sendReports(): void {
    this.#reportTimer = undefined;
    const lines = this.#reports;
    this.#reports = '';
    if (!this.open || !lines) return;
    if (!this.#events || this.#events.destroyed) {
      this.#events = this.session.request(
        { [constants.HTTP2_HEADER_METHOD]: 'CONNECT', [constants.HTTP2_HEADER_AUTHORITY]: EVENTS_AUTHORITY },
        { endStream: false },
      );
      this.#events.on('error', () => undefined);
    }
    if (this.#events.writableLength < 64 * 1024) this.#events.write(lines);
  }

  /** Graceful: streams in flight finish, no new ones start (GOAWAY); the report stream ends now. */
  close(): void {
    clearTimeout(this.#reportTimer);
    this.#events?.close();
    this.session.close();
  }

  destroy(): void {
    this.session.destroy();
  }
}

/**
 * Datagrams over a byte stream of `udp` kind (framed: see datagrams.ts): a tunnel's own stream, or
 * one relayed to it from another process of the gateway.
 */
export function datagramFlowOver(stream: Duplex, close: () => void): DatagramFlow {
  const reader = new DatagramReader();
  const listeners: ((payload: Buffer) => void)[] = [];
  stream.on('data', (chunk: Buffer) => {
    const datagrams = reader.push(chunk);
    if ('error' in datagrams) return void stream.destroy(new Error(datagrams.error));
    for (const d of datagrams) for (const l of listeners) l(d);
  });
  stream.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  return {
    send: (payload) => {
      if (!stream.destroyed) stream.write(encodeDatagram(payload));
    },
    onDatagram: (listener) => void listeners.push(listener),
    close,
    closed,
  };
}

/** What http.Agent calls on a socket that a stream lacks: TCP tuning means nothing inside a tunnel. */
function asSocket(stream: ClientHttp2Stream): ClientHttp2Stream {
  const socketLike = stream as ClientHttp2Stream & Record<string, unknown>;
  for (const method of ['setKeepAlive', 'setNoDelay', 'ref', 'unref'])
    if (typeof socketLike[method] !== 'function') socketLike[method] = () => stream;
  return stream;
}

export class TunnelStreamError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'TunnelStreamError';
  }
}

/**
 * Accepts tunnel connections (already through TLS): reads the client's Hello, lets the gateway
 * decide, answers Welcome or Refused, then speaks HTTP/2 over the same socket with the roles
 * reversed. A connection that does not complete the handshake in time is closed.
 */
export class TunnelServer extends EventEmitter {
  readonly #keepAliveS: number;
  readonly #handshakeTimeoutMs: number;

  constructor(private readonly options: TunnelServerOptions) {
    super();
    this.#keepAliveS = options.keepAliveS ?? 15;
    this.#handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
  }

  /**
   * Takes over the socket of an HTTP/1.1 request asking to upgrade to the tunnel protocol (the
   * gateway's HTTPS port serves tunnels this way, so they pass any proxy that passes WebSockets).
   */
  acceptUpgrade(socket: Socket, head: Buffer): Promise<Tunnel | undefined> {
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${TUNNEL_UPGRADE}\r\nConnection: Upgrade\r\n\r\n`,
    );
    if (head.length) socket.unshift(head);
    return this.accept(socket);
  }

  /** Takes over a connected socket; resolves with the tunnel, or undefined when it was refused. */
  async accept(socket: Socket): Promise<Tunnel | undefined> {
    socket.on('error', () => undefined);
    let hello: Hello;
    try {
      const message = await receiveHandshake(socket, this.#handshakeTimeoutMs);
      if (message.type !== 'hello') throw new HandshakeError('expected a hello', 'TUNNEL_HANDSHAKE_INVALID');
      hello = message;
    } catch (error) {
      this.emit('rejected', { reason: (error as Error).message, code: (error as HandshakeError).code });
      socket.destroy();
      return undefined;
    }
    const version = negotiateVersion(hello.versions);
    const admission: TunnelAdmission =
      version === undefined
        ? {
            ok: false,
            code: 'TUNNEL_VERSION_UNSUPPORTED',
            message: `this gateway speaks tunnel protocol ${TUNNEL_PROTOCOL_VERSIONS.join(', ')}; upgrade rustronaut`,
            retryAfterS: 0,
          }
        : await this.options
            .authenticate(hello, { ip: socket.remoteAddress ?? '' })
            .catch((error: unknown) => ({
              ok: false as const,
              code: 'TUNNEL_UNAVAILABLE',
              message: `the gateway could not check this tunnel: ${(error as Error).message}`,
              retryAfterS: 5,
            }));
    if (!admission.ok || version === undefined) {
      const refusal = admission.ok
        ? { code: 'TUNNEL_VERSION_UNSUPPORTED', message: 'no common version', retryAfterS: 0 }
        : admission;
      socket.end(
        encodeFrame({
          type: 'refused',
          code: refusal.code,
          message: refusal.message,
          retryAfterS: refusal.retryAfterS,
        }),
      );
      this.emit('rejected', { reason: refusal.message, code: refusal.code });
      return undefined;
    }
    // HTTP/2 takes the socket over natively: the welcome must be written out before it does.
    const written = await new Promise<boolean>((resolve) =>
      socket.write(
        encodeFrame({
          type: 'welcome',
          version,
          tunnelId: admission.tunnelId,
          services: admission.services,
          keepAliveS: this.#keepAliveS,
        }),
        (error) => resolve(!error),
      ),
    );
    if (!written || socket.destroyed) return undefined;
    const session = connectHttp2('http://tunnel', {
      createConnection: () => socket,
      // Many streams, each with room to move: 4 MiB per stream, 16 MiB per connection.
      settings: { initialWindowSize: 4 * 1024 * 1024, enablePush: false },
    });
    session.on('connect', () => session.setLocalWindowSize(16 * 1024 * 1024));
    const tunnel = new Tunnel(admission.tunnelId, version, admission.services, hello, session);
    this.#keepAlive(tunnel, session);
    this.emit('tunnel', tunnel);
    return tunnel;
  }

  /** A ping every keep-alive period; no answer within one period ends the tunnel. */
  #keepAlive(tunnel: Tunnel, session: ClientHttp2Session): void {
    const timer = setInterval(() => {
      let answered = false;
      const deadline = setTimeout(() => {
        if (!answered) session.destroy(new Error('tunnel keep-alive timed out'));
      }, this.#keepAliveS * 1000);
      deadline.unref();
      const sent = session.ping((error) => {
        answered = !error;
        clearTimeout(deadline);
      });
      if (!sent) clearTimeout(deadline);
    }, this.#keepAliveS * 1000);
    timer.unref();
    tunnel.once('close', () => clearInterval(timer));
  }
}
