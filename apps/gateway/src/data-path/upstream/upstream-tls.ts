import { connect as h2connect, type ClientHttp2Session } from 'node:http2';
import { Agent as HttpsAgent } from 'node:https';
import { isIP } from 'node:net';
import { connect as tlsConnect, rootCertificates, type TLSSocket } from 'node:tls';
import type { Logger } from '@rustronaut/observability';
import type { TargetState } from './balancer/balancer';

export interface UpstreamSettings {
  /** CA certificates (PEM) trusted for https targets besides the system's (RN_GATEWAY_UPSTREAM_CA). */
  ca: string | undefined;
  /** TCP connect, plus the TLS handshake of an https target (RN_GATEWAY_CONNECT_TIMEOUT). */
  connectTimeoutMs: number;
  /** How long a target may stay silent once asked (RN_GATEWAY_UPSTREAM_RESPONSE_TIMEOUT). */
  responseTimeoutMs: number;
}

export const DEFAULT_UPSTREAM: UpstreamSettings = {
  ca: undefined,
  connectTimeoutMs: 10_000,
  responseTimeoutMs: 30_000,
};

/** The error of a connection that did not complete in time (a connect failure for the balancer). */
export function connectTimeout(ms: number): NodeJS.ErrnoException {
  return Object.assign(new Error(`could not connect within ${ms / 1000} s`), {
    code: 'ETIMEDOUT',
    connectTimeout: true,
  });
}

export function isConnectTimeout(error: unknown): boolean {
  return (error as { connectTimeout?: boolean }).connectTimeout === true;
}

type Via = ClientHttp2Session | 'http/1.1';

const IDLE_SESSION_MS = 60_000;
type Waiter = (error: Error | undefined, via?: Via) => void;

/**
 * How the gateway talks to https targets: TLS, verified against the system's roots plus
 * RN_GATEWAY_UPSTREAM_CA, and HTTP/2 when the target offers it by ALPN — one long-lived session
 * per target carries every request as a stream — else HTTP/1.1 through a keep-alive agent. A
 * target's answer to ALPN is remembered while the process runs.
 */
export class TlsUpstreams {
  readonly agent: HttpsAgent;
  readonly #sessions = new Map<string, ClientHttp2Session>();
  readonly #http1 = new Set<string>();
  readonly #waiting = new Map<string, Waiter[]>();
  readonly #ca: string[] | undefined;

  constructor(
    private readonly settings: UpstreamSettings,
    private readonly logger: Logger,
  ) {
    this.#ca = settings.ca ? [...rootCertificates, settings.ca] : undefined;
    this.agent = new HttpsAgent({
      keepAlive: true,
      maxSockets: 512,
      maxFreeSockets: 256,
      timeout: settings.responseTimeoutMs,
      ALPNProtocols: ['http/1.1'],
      ...(this.#ca ? { ca: this.#ca } : {}),
    });
  }

  /** The CA list for a one-off TLS connection to a target (a WebSocket join). */
  get ca(): string[] | undefined {
    return this.#ca;
  }

  /** Calls back with an open HTTP/2 session to the target, or 'http/1.1' to use the agent. */
  route(target: TargetState, done: Waiter): void {
    const key = target.target;
    if (this.#http1.has(key)) return done(undefined, 'http/1.1');
    const session = this.#sessions.get(key);
    if (session && !session.closed && !session.destroyed) return done(undefined, session);
    const waiting = this.#waiting.get(key);
    if (waiting) return void waiting.push(done);
    this.#waiting.set(key, [done]);
    this.#open(target);
  }

  #settle(key: string, error: Error | undefined, via?: Via): void {
    const waiting = this.#waiting.get(key) ?? [];
    this.#waiting.delete(key);
    for (const done of waiting) done(error, via);
  }

  #open(target: TargetState): void {
    const key = target.target;
    const destination = target.destination;
    if (!('host' in destination)) {
      return this.#settle(key, new Error('an https target must be a host and port'));
    }
    const socket: TLSSocket = tlsConnect({
      host: destination.host,
      port: destination.port,
      ...(isIP(destination.host) ? {} : { servername: destination.host }),
      ALPNProtocols: ['h2', 'http/1.1'],
      ...(this.#ca ? { ca: this.#ca } : {}),
    });
    const timer = setTimeout(
      () => socket.destroy(connectTimeout(this.settings.connectTimeoutMs)),
      this.settings.connectTimeoutMs,
    );
    const failed = (error: Error) => {
      clearTimeout(timer);
      this.#settle(key, error);
    };
    socket.once('error', failed);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.off('error', failed);
      if (socket.alpnProtocol !== 'h2') {
        this.#http1.add(key);
        socket.destroy();
        return this.#settle(key, undefined, 'http/1.1');
      }
      const session = h2connect(`https://${key}`, { createConnection: () => socket });
      session.on('error', (error) =>
        this.logger.warn({ target: key, err: error }, 'HTTP/2 session to a target failed'),
      );
      session.once('close', () => {
        if (this.#sessions.get(key) === session) this.#sessions.delete(key);
      });
      session.once('goaway', () => {
        if (this.#sessions.get(key) === session) this.#sessions.delete(key);
      });
      // An idle session is closed gracefully (streams in flight finish); the next request opens another.
      session.setTimeout(IDLE_SESSION_MS, () => session.close());
      this.#sessions.set(key, session);
      this.#settle(key, undefined, session);
    });
  }

  close(): void {
    for (const session of this.#sessions.values()) session.close();
    this.agent.destroy();
  }
}
