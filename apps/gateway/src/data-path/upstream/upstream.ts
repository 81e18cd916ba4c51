import { Agent, request, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { constants as h2, type ClientHttp2Session } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { createConnection, isIP, type NetConnectOpts, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '@rustronaut/observability';
import { isConnectFailure, type Balancer, type TargetState } from './balancer/balancer';
import type { TunnelRegistry } from '../tunnels/tunnel-registry';
import { endToEndHeaders, upstreamHeaders } from './header-filter';
import { bodyTooLarge, maxBodyOf, watchBodySize } from '../admission/limits/body-limit';
import { page, reasonOf, sendRefusal, writeRefusalToSocket } from '../http/pages';
import {
  DEFAULT_UPSTREAM,
  TlsUpstreams,
  connectTimeout,
  isConnectTimeout,
  type UpstreamSettings,
} from './upstream-tls';
import type { Admission } from '../model';

/**
 * The name a target's certificate is checked against: its configured host — never the client's
 * Host, which Node would otherwise use. '' for an address (checked against its IP SANs, no SNI).
 */
function tlsServerName(target: TargetState): string {
  const destination = target.destination;
  return 'host' in destination && !isIP(destination.host) ? destination.host : '';
}

/** Methods a request of which may be sent again to another target when the first one refused it. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);

/** No body at all (so nothing of it can have been sent). */
function bodiless(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length === undefined || length === '0') && req.headers['transfer-encoding'] === undefined;
}

const EXCHANGE = Symbol('exchange');
type ExchangeRequest = ClientRequest & { [EXCHANGE]: Exchange };
type ExchangeResponse = ServerResponse & { [EXCHANGE]: Exchange };

/** One request to a target over HTTP/1.1: what its listeners need, in one object. */
class Exchange {
  /** Answered (or abandoned) for good: later events change nothing. */
  settled = false;
  answer: IncomingMessage | undefined = undefined;
  constructor(
    readonly owner: Upstream,
    readonly admission: Admission,
    readonly res: ServerResponse,
    readonly picked: TargetState,
    readonly retriable: boolean,
    readonly request: ClientRequest,
  ) {}
}

const CLIENT = Symbol('client response');
const SOURCE = Symbol('target response');
type ForwardedBody = IncomingMessage & { [CLIENT]: ServerResponse };
type FedResponse = ServerResponse & { [SOURCE]: IncomingMessage };

/**
 * The target's body to the client, with backpressure: what `pipe` does for this one pair, without
 * its per-request listeners and closures. A client that leaves is handled by the exchange (the
 * target's request is destroyed, so no more data comes).
 */
function forwardBody(response: IncomingMessage, res: ServerResponse): void {
  (response as ForwardedBody)[CLIENT] = res;
  response.on('data', forwardChunk);
  response.once('end', endClientResponse);
}

function forwardChunk(this: ForwardedBody, chunk: Buffer): void {
  const res = this[CLIENT];
  if (res.write(chunk) || res.destroyed) return;
  this.pause();
  (res as FedResponse)[SOURCE] = this;
  res.once('drain', resumeSource);
}

function resumeSource(this: FedResponse): void {
  this[SOURCE].resume();
}

function endClientResponse(this: ForwardedBody): void {
  this[CLIENT].end();
}

/**
 * The agent's way to open a connection to a target: TCP_NODELAY, and a connect timeout set once per
 * new connection (not per request), which fails the request that waits for it.
 */
function connectingWithin(ms: number): Agent['createConnection'] {
  return (options) => {
    const socket = createConnection({ ...(options as NetConnectOpts), noDelay: true });
    const timer = setTimeout(() => socket.destroy(connectTimeout(ms)), ms);
    socket.once('connect', () => clearTimeout(timer));
    socket.once('close', () => clearTimeout(timer));
    return socket;
  };
}

/**
 * Sends admitted requests to a target the balancer picks: keep-alive pool, bodies streamed both
 * ways, 502/503/504 pages. An `https` target is reached over verified TLS, by HTTP/2 when it
 * offers it (see TlsUpstreams). Connecting and answering have their own timeouts, and the page
 * says which one ran out. A connection failure counts against the target (repeated ones eject
 * it), and an idempotent request without a body is sent once more, to another target.
 */
export class Upstream {
  /** Plain-HTTP target connections, kept alive; a target silent for the response timeout → 504. */
  readonly #agent: Agent;
  readonly #tls: TlsUpstreams;

  constructor(
    readonly balancer: Balancer,
    readonly logger: Logger,
    readonly settings: UpstreamSettings = DEFAULT_UPSTREAM,
    private readonly tunnels?: TunnelRegistry,
  ) {
    this.#agent = new Agent({
      keepAlive: true,
      maxSockets: 512,
      maxFreeSockets: 256,
      timeout: settings.responseTimeoutMs,
    });
    this.#agent.createConnection = connectingWithin(settings.connectTimeoutMs);
    this.#tls = new TlsUpstreams(settings, logger);
  }

  /**
   * How a request reaches its target: the keep-alive pool, or the pool of streams through an
   * exposed service's tunnel (undefined when that tunnel is not connected).
   */
  #route(
    admission: Admission,
    picked: TargetState,
  ): { host: string; port: number; agent: Agent } | { socketPath: string; agent: Agent } | undefined {
    const destination = picked.destination;
    if (!('tunnel' in destination)) return { ...destination, agent: this.#agent };
    const agent = this.tunnels?.agentFor(admission.resource.id, destination);
    return agent && { host: destination.tunnel, port: 80, agent };
  }

  #tunnelOffline(resource: Admission['resource']): string {
    return `Tunnel offline: ${resource.name} is exposed through a tunnel, and its client (rustronaut expose) is not connected.`;
  }

  forward(admission: Admission, res: ServerResponse): void {
    const picked = this.balancer.pick(admission.resource);
    if (!picked) return this.#fail(admission, res, 503, this.balancer.noTargetMessage(admission.resource));
    const retriable = IDEMPOTENT.has(admission.req.method ?? '') && bodiless(admission.req);
    this.#send(admission, res, picked, retriable);
  }

  close(): void {
    this.#tls.close();
    this.#agent.destroy();
  }

  #send(admission: Admission, res: ServerResponse, picked: TargetState, retriable: boolean): void {
    if (picked.protocol !== 'https') return this.#sendHttp1(admission, res, picked, retriable, false);
    this.#tls.route(picked, (error, via) => {
      if (error || !via)
        return this.#unreachable(admission, res, picked, retriable, error ?? new Error('no route'));
      if (via === 'http/1.1') return this.#sendHttp1(admission, res, picked, retriable, true);
      this.#sendHttp2(admission, res, picked, retriable, via);
    });
  }

  /** Could not even connect: counted against the target, retried elsewhere when safe, else 502. */
  #unreachable(
    admission: Admission,
    res: ServerResponse,
    picked: TargetState,
    retriable: boolean,
    error: NodeJS.ErrnoException,
  ): void {
    const { resource } = admission;
    // Refused, timed out, or a TLS handshake that failed (a certificate we cannot verify): no exchange.
    this.balancer.connectFailed(picked, error);
    this.logger.warn(
      { resource: resource.id, target: picked.target, err: error },
      'could not connect to a target',
    );
    if (res.headersSent || res.destroyed) return void res.destroy();
    if (retriable) {
      const next = this.balancer.pick(resource, picked);
      if (next) return this.#send(admission, res, next, false);
    }
    this.#fail(admission, res, 502, this.#notAnswering(admission, picked, error));
  }

  #notAnswering(admission: Admission, picked: TargetState, error: NodeJS.ErrnoException): string {
    const name = admission.resource.name;
    if (isConnectTimeout(error))
      return `Could not connect to the target ${picked.target} of ${name} within ${this.settings.connectTimeoutMs / 1000} s.`;
    return `The target ${picked.target} of ${name} is not answering (${error.code ?? error.message}).`;
  }

  #silent(admission: Admission, picked: TargetState): string {
    return `The target ${picked.target} of ${admission.resource.name} did not answer within ${this.settings.responseTimeoutMs / 1000} s.`;
  }

  #sendHttp1(
    admission: Admission,
    res: ServerResponse,
    picked: TargetState,
    retriable: boolean,
    tls: boolean,
  ): void {
    const { req, resource } = admission;
    const route = this.#route(admission, picked);
    if (!route) return this.#fail(admission, res, 502, this.#tunnelOffline(resource));
    picked.inFlight++;
    if ('tunnel' in picked.destination) this.#reportToTunnel(admission, res);
    const { agent, ...where } = route;
    const options = {
      ...where,
      method: req.method,
      // The canonical path that was authorised, in origin-form, never the client's spelling of it.
      path: admission.facts.target,
      headers: upstreamHeaders(admission),
    };
    const upstream = (
      tls
        ? httpsRequest({ ...options, agent: this.#tls.agent, servername: tlsServerName(picked) })
        : request({ ...options, agent })
    ) as ExchangeRequest;
    // One object per exchange, read by shared listeners (no closures on the hot path).
    const exchange = new Exchange(this, admission, res, picked, retriable, upstream);
    upstream[EXCHANGE] = exchange;
    (res as ExchangeResponse)[EXCHANGE] = exchange;
    upstream.on('response', Upstream.#onResponse);
    // A new plain-HTTP connection gets its connect timeout from the agent; a TLS one (handshake
    // included) here.
    if (tls) upstream.once('socket', Upstream.#onTlsSocket);
    upstream.once('close', Upstream.#onUpstreamClose);
    res.once('close', Upstream.#onClientClose);
    upstream.on('timeout', Upstream.#onTimeout);
    upstream.on('error', Upstream.#onError);
    if (retriable) return void upstream.end();
    req.pipe(upstream);
    watchBodySize(req, maxBodyOf(resource), () => {
      if (exchange.settled) return;
      exchange.settled = true;
      req.unpipe(upstream);
      upstream.destroy();
      // Before the target answered: a 413 (and the connection closes); after: the exchange is cut.
      const refusal = bodyTooLarge(resource, req);
      admission.record.refuse('size_limit', refusal.message, admission.caller);
      if (res.headersSent) res.destroy();
      else sendRefusal(res, refusal);
    });
  }

  /** The exposing client's live view: what it served, how, and how long it took. */
  #reportToTunnel(admission: Admission, res: ServerResponse): void {
    const { req, resource } = admission;
    const started = performance.now();
    res.once('finish', () =>
      this.tunnels?.report(resource.id, {
        method: req.method ?? 'GET',
        path: admission.facts.target,
        status: res.statusCode,
        ms: Math.round(performance.now() - started),
      }),
    );
  }

  /** The target answered: its status and end-to-end headers, then its body, streamed. */
  static readonly #onResponse = function (this: ExchangeRequest, response: IncomingMessage): void {
    const exchange = this[EXCHANGE];
    const { owner, admission, res } = exchange;
    exchange.answer = response;
    owner.balancer.succeeded(exchange.picked);
    const headers = endToEndHeaders(response.headers);
    if (admission.responseHeaders) Object.assign(headers, admission.responseHeaders);
    res.writeHead(response.statusCode ?? 502, headers);
    forwardBody(response, res);
  };

  static readonly #onTlsSocket = function (this: ExchangeRequest, socket: Socket): void {
    if (!socket.connecting) return;
    const exchange = this[EXCHANGE];
    const ms = exchange.owner.settings.connectTimeoutMs;
    const timer = setTimeout(() => exchange.request.destroy(connectTimeout(ms)), ms);
    socket.once('secureConnect', () => clearTimeout(timer));
    socket.once('close', () => clearTimeout(timer));
  };

  static readonly #onUpstreamClose = function (this: ExchangeRequest): void {
    const { picked, answer, res } = this[EXCHANGE];
    picked.inFlight--;
    // The target's answer broke off midway: so does the client's, rather than looking complete.
    if (answer && !answer.complete && !res.writableEnded) res.destroy();
  };

  static readonly #onClientClose = function (this: ExchangeResponse): void {
    const exchange = this[EXCHANGE];
    if (this.writableFinished || exchange.settled) return;
    exchange.settled = true; // the client left: not the target's fault
    exchange.request.destroy();
  };

  static readonly #onTimeout = function (this: ExchangeRequest): void {
    const exchange = this[EXCHANGE];
    if (exchange.settled) return;
    exchange.settled = true;
    const { owner, admission, res, picked } = exchange;
    owner.balancer.connectFailed(picked, Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }));
    this.destroy();
    if (!res.headersSent) owner.#fail(admission, res, 504, owner.#silent(admission, picked));
    else {
      admission.record.fail('target', `the target ${picked.target} stopped answering mid-response`);
      res.destroy();
    }
  };

  static readonly #onError = function (this: ExchangeRequest, error: NodeJS.ErrnoException): void {
    const exchange = this[EXCHANGE];
    if (exchange.settled) return;
    exchange.settled = true;
    const { owner, admission, res, picked } = exchange;
    const resource = admission.resource;
    const failedToConnect = isConnectFailure(error) && !res.headersSent;
    if (failedToConnect) owner.balancer.connectFailed(picked, error);
    owner.logger.warn({ resource: resource.id, target: picked.target, err: error }, 'upstream failed');
    if (res.headersSent) {
      admission.record.fail('target', `the target ${picked.target} failed mid-response`);
      return void res.destroy();
    }
    if (failedToConnect && exchange.retriable && !res.destroyed) {
      const next = owner.balancer.pick(resource, picked);
      if (next) return owner.#send(admission, res, next, false);
    }
    owner.#fail(admission, res, 502, owner.#notAnswering(admission, picked, error));
  };

  /** One request as a stream of the target's HTTP/2 session. */
  #sendHttp2(
    admission: Admission,
    res: ServerResponse,
    picked: TargetState,
    retriable: boolean,
    session: ClientHttp2Session,
  ): void {
    const { req, resource } = admission;
    const headers = upstreamHeaders(admission);
    const authority = headers['host'];
    delete headers['host'];
    let stream: ReturnType<ClientHttp2Session['request']>;
    try {
      stream = session.request(
        {
          ...headers,
          [h2.HTTP2_HEADER_METHOD]: req.method ?? 'GET',
          [h2.HTTP2_HEADER_PATH]: admission.facts.target,
          [h2.HTTP2_HEADER_AUTHORITY]: authority,
          [h2.HTTP2_HEADER_SCHEME]: 'https',
        },
        { endStream: retriable },
      );
    } catch (error) {
      // The session went away between routing and now: like a failed connection.
      return this.#unreachable(admission, res, picked, retriable, error as Error);
    }
    picked.inFlight++;
    let settled = false;
    let answered = false;
    stream.setTimeout(this.settings.responseTimeoutMs, () => {
      if (settled) return;
      settled = true;
      stream.close(h2.NGHTTP2_CANCEL);
      if (!res.headersSent) this.#fail(admission, res, 504, this.#silent(admission, picked));
      else {
        admission.record.fail('target', `the target ${picked.target} stopped answering mid-response`);
        res.destroy();
      }
    });
    stream.once('response', (responseHeaders) => {
      answered = true;
      this.balancer.succeeded(picked);
      const status = Number(responseHeaders[h2.HTTP2_HEADER_STATUS] ?? 502);
      const out = endToEndHeaders(responseHeaders);
      if (admission.responseHeaders) Object.assign(out, admission.responseHeaders);
      res.writeHead(status, out);
      stream.pipe(res);
    });
    stream.once('close', () => {
      picked.inFlight--;
      if (answered && stream.rstCode !== h2.NGHTTP2_NO_ERROR && !res.writableEnded) res.destroy();
      if (!answered && !settled && !res.headersSent) {
        settled = true;
        this.#fail(admission, res, 502, `The target ${picked.target} of ${resource.name} reset the request.`);
      }
    });
    res.once('close', () => {
      if (res.writableFinished || settled) return;
      settled = true;
      stream.close(h2.NGHTTP2_CANCEL);
    });
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      this.logger.warn(
        { resource: resource.id, target: picked.target, err: error },
        'upstream stream failed',
      );
      if (res.headersSent) {
        admission.record.fail('target', `the target ${picked.target} failed mid-response`);
        return void res.destroy();
      }
      this.#fail(admission, res, 502, this.#notAnswering(admission, picked, error));
    });
    if (retriable) return;
    req.pipe(stream);
    watchBodySize(req, maxBodyOf(resource), () => {
      if (settled) return;
      settled = true;
      req.unpipe(stream);
      stream.close(h2.NGHTTP2_CANCEL);
      const refusal = bodyTooLarge(resource, req);
      admission.record.refuse('size_limit', refusal.message, admission.caller);
      if (res.headersSent) res.destroy();
      else sendRefusal(res, refusal);
    });
  }

  /** The gateway answers for a target that could not: the page, and the reason in the access log. */
  #fail(admission: Admission, res: ServerResponse, status: number, message: string): void {
    admission.record.fail('target', message);
    page(res, status, message);
  }

  /** A WebSocket (or any HTTP upgrade), once admitted: the two sockets are joined. */
  join(admission: Admission, socket: Duplex, head: Buffer): void {
    const { req, resource } = admission;
    const picked = this.balancer.pick(resource);
    if (!picked) {
      const message = this.balancer.noTargetMessage(resource);
      admission.record.fail('target', message);
      admission.record.status = 503;
      return writeRefusalToSocket(socket, { status: 503, message });
    }
    picked.inFlight++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      picked.inFlight--;
    };
    socket.once('close', release);
    const headers = upstreamHeaders(admission);
    headers['connection'] = 'Upgrade';
    headers['upgrade'] = req.headers.upgrade;
    const route = this.#route(admission, picked);
    if (!route) {
      release();
      const message = this.#tunnelOffline(resource);
      admission.record.fail('target', message);
      admission.record.status = 502;
      return writeRefusalToSocket(socket, { status: 502, message });
    }
    const { agent, ...where } = route;
    const options = { ...where, method: req.method, path: admission.facts.target, headers };
    // An upgraded connection is not returned to a pool: a fresh one (or a fresh tunnel stream).
    const upstream =
      picked.protocol === 'https'
        ? httpsRequest({
            ...options,
            agent: false,
            ...(this.#tls.ca ? { ca: this.#tls.ca } : {}),
            servername: tlsServerName(picked),
          })
        : request({ ...options, agent: 'tunnel' in picked.destination ? agent : undefined });
    upstream.on('upgrade', (response: IncomingMessage, upstreamSocket: Duplex, upstreamHead: Buffer) => {
      this.balancer.succeeded(picked);
      admission.record.status = response.statusCode ?? 101;
      const lines = [`HTTP/1.1 ${response.statusCode} ${response.statusMessage}`];
      for (let i = 0; i < response.rawHeaders.length; i += 2)
        lines.push(`${response.rawHeaders[i]}: ${response.rawHeaders[i + 1]}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (upstreamHead.length) socket.write(upstreamHead);
      if (head.length) upstreamSocket.write(head);
      upstreamSocket.on('error', () => socket.destroy());
      socket.on('error', () => upstreamSocket.destroy());
      socket.once('close', () => upstreamSocket.destroy());
      upstreamSocket.once('close', () => socket.destroy());
      upstreamSocket.pipe(socket).pipe(upstreamSocket);
    });
    upstream.on('response', (response) => {
      this.balancer.succeeded(picked);
      admission.record.status = response.statusCode ?? 502;
      socket.end(
        `HTTP/1.1 ${response.statusCode} ${reasonOf(response.statusCode ?? 502)}\r\nconnection: close\r\n\r\n`,
      );
    });
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (isConnectFailure(error)) this.balancer.connectFailed(picked, error);
      admission.record.fail(
        'target',
        `the target ${picked.target} is not answering (${error.code ?? error.message})`,
      );
      admission.record.status = 502;
      socket.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\n\r\n');
    });
    upstream.end();
  }
}
