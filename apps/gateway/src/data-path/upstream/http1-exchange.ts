import {
  request,
  type Agent,
  type ClientRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createConnection, type NetConnectOpts, type Socket } from 'node:net';
import { isConnectFailure, type TargetState } from './balancer/balancer';
import { endToEndHeaders, upstreamHeaders } from './header-filter';
import { bodyTooLarge, maxBodyOf, watchBodySize } from '../admission/limits/body-limit';
import { sendRefusal } from '../http/pages';
import { connectTimeout } from './upstream-tls';
import { tlsServerName, type UpstreamContext } from './exchange-context';
import type { Admission } from '../model';

const EXCHANGE = Symbol('exchange');
type ExchangeRequest = ClientRequest & { [EXCHANGE]: Exchange };
type ExchangeResponse = ServerResponse & { [EXCHANGE]: Exchange };

/** One request to a target over HTTP/1.1: what its listeners need, in one object. */
class Exchange {
  /** Answered (or abandoned) for good: later events change nothing. */
  settled = false;
  answer: IncomingMessage | undefined = undefined;
  constructor(
    readonly owner: UpstreamContext,
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
export function connectingWithin(ms: number): Agent['createConnection'] {
  return (options) => {
    const socket = createConnection({ ...(options as NetConnectOpts), noDelay: true });
    const timer = setTimeout(() => socket.destroy(connectTimeout(ms)), ms);
    socket.once('connect', () => clearTimeout(timer));
    socket.once('close', () => clearTimeout(timer));
    return socket;
  };
}

/** One request over HTTP/1.1: plain, through a tunnel's stream pool, or over verified TLS. */
export function sendHttp1(
  owner: UpstreamContext,
  admission: Admission,
  res: ServerResponse,
  picked: TargetState,
  retriable: boolean,
  tls: boolean,
): void {
  const { req, resource } = admission;
  const route = owner.route(admission, picked);
  if (!route) return owner.fail(admission, res, 502, owner.tunnelOffline(resource));
  owner.balancer.started(picked);
  if ('tunnel' in picked.destination) reportToTunnel(owner, admission, res);
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
      ? httpsRequest({ ...options, agent: owner.tls.agent, servername: tlsServerName(picked) })
      : request({ ...options, agent })
  ) as ExchangeRequest;
  // One object per exchange, read by shared listeners (no closures on the hot path).
  const exchange = new Exchange(owner, admission, res, picked, retriable, upstream);
  upstream[EXCHANGE] = exchange;
  (res as ExchangeResponse)[EXCHANGE] = exchange;
  upstream.on('response', onResponse);
  // A new plain-HTTP connection gets its connect timeout from the agent; a TLS one (handshake
  // included) here.
  if (tls) upstream.once('socket', onTlsSocket);
  upstream.once('close', onUpstreamClose);
  res.once('close', onClientClose);
  upstream.on('timeout', onTimeout);
  upstream.on('error', onError);
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
function reportToTunnel(owner: UpstreamContext, admission: Admission, res: ServerResponse): void {
  const { req, resource } = admission;
  const started = performance.now();
  res.once('finish', () =>
    owner.tunnels?.report(resource.id, {
      method: req.method ?? 'GET',
      path: admission.facts.target,
      status: res.statusCode,
      ms: Math.round(performance.now() - started),
    }),
  );
}

/** The target answered: its status and end-to-end headers, then its body, streamed. */
function onResponse(this: ExchangeRequest, response: IncomingMessage): void {
  const exchange = this[EXCHANGE];
  const { owner, admission, res } = exchange;
  exchange.answer = response;
  owner.balancer.succeeded(exchange.picked);
  const headers = endToEndHeaders(response.headers);
  if (admission.responseHeaders) Object.assign(headers, admission.responseHeaders);
  res.writeHead(response.statusCode ?? 502, headers);
  forwardBody(response, res);
}

function onTlsSocket(this: ExchangeRequest, socket: Socket): void {
  if (!socket.connecting) return;
  const exchange = this[EXCHANGE];
  const ms = exchange.owner.settings.connectTimeoutMs;
  const timer = setTimeout(() => exchange.request.destroy(connectTimeout(ms)), ms);
  socket.once('secureConnect', () => clearTimeout(timer));
  socket.once('close', () => clearTimeout(timer));
}

function onUpstreamClose(this: ExchangeRequest): void {
  const { owner, picked, answer, res } = this[EXCHANGE];
  owner.balancer.ended(picked);
  // The target's answer broke off midway: so does the client's, rather than looking complete.
  if (answer && !answer.complete && !res.writableEnded) res.destroy();
}

function onClientClose(this: ExchangeResponse): void {
  const exchange = this[EXCHANGE];
  if (this.writableFinished || exchange.settled) return;
  exchange.settled = true; // the client left: not the target's fault
  exchange.request.destroy();
}

function onTimeout(this: ExchangeRequest): void {
  const exchange = this[EXCHANGE];
  if (exchange.settled) return;
  exchange.settled = true;
  const { owner, admission, res, picked } = exchange;
  owner.balancer.connectFailed(picked, Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }));
  this.destroy();
  if (!res.headersSent) owner.fail(admission, res, 504, owner.silent(admission, picked));
  else {
    admission.record.fail('target', `the target ${picked.target} stopped answering mid-response`);
    res.destroy();
  }
}

function onError(this: ExchangeRequest, error: NodeJS.ErrnoException): void {
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
  if (failedToConnect && exchange.retriable && !res.destroyed)
    return owner.retry(admission, res, picked, error);
  owner.fail(admission, res, 502, owner.notAnswering(admission, picked, error));
}
