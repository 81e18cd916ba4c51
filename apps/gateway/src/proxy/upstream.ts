import {
  Agent,
  request,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@rustronaut/observability';
import type { Admission } from './admission';
import { withoutSessionCookies } from './auth/session-cookie';
import { isConnectFailure, type Balancer, type TargetState } from './balancer';
import { authorityOf, endToEndHeaders } from './header-filter';
import { bodyTooLarge, maxBodyOf, watchBodySize } from './firewall/body-limit';
import { page, reasonOf, sendRefusal, writeRefusalToSocket } from './pages';

/** Headers only the gateway may set: whatever a client sends under these names is dropped. */
export const IDENTITY_HEADERS = [
  'x-rustronaut-user',
  'x-rustronaut-email',
  'x-rustronaut-groups',
  'x-rustronaut-assertion',
];

/**
 * The request headers the target gets: the client's end-to-end ones (no hop-by-hop or HTTP/2
 * pseudo-headers; `host` from `:authority` for a request that came over HTTP/2), minus forged
 * identity and the gateway's own session cookies, plus what the gateway saw and who the caller is
 * (with a signed assertion).
 */
export function upstreamHeaders(admission: Admission): OutgoingHttpHeaders {
  const { req, facts, caller } = admission;
  const headers = endToEndHeaders(req.headers);
  const authority = authorityOf(req.headers) ?? '';
  headers['host'] = authority;
  for (const name of IDENTITY_HEADERS) delete headers[name];
  if (headers.cookie !== undefined) {
    const cookie = withoutSessionCookies(headers.cookie as string);
    if (cookie === undefined) delete headers.cookie;
    else headers.cookie = cookie;
  }
  headers['x-forwarded-for'] = facts.ip;
  headers['x-forwarded-proto'] = facts.scheme;
  headers['x-forwarded-host'] = authority;
  if (caller && caller.id) {
    headers['x-rustronaut-user'] = caller.id;
    headers['x-rustronaut-email'] = caller.email;
    headers['x-rustronaut-groups'] = caller.groups.join(',');
    if (admission.assertion !== undefined) headers['x-rustronaut-assertion'] = admission.assertion;
  }
  return headers;
}

/** Methods a request of which may be sent again to another target when the first one refused it. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);

/** No body at all (so nothing of it can have been sent). */
function bodiless(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length === undefined || length === '0') && req.headers['transfer-encoding'] === undefined;
}

/**
 * Sends admitted requests to a target the balancer picks: keep-alive pool, bodies streamed both
 * ways, 502/503/504 pages. A connection failure counts against the target (repeated ones eject
 * it), and an idempotent request without a body is sent once more, to another target.
 */
export class Upstream {
  /** Upstream connections: kept alive; an idle or stuck one times out after 30 s (→ 504). */
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 256, timeout: 30_000 });

  constructor(
    private readonly balancer: Balancer,
    private readonly logger: Logger,
  ) {}

  forward(admission: Admission, res: ServerResponse): void {
    const picked = this.balancer.pick(admission.resource);
    if (!picked) return this.#fail(admission, res, 503, this.balancer.noTargetMessage(admission.resource));
    const retriable = IDEMPOTENT.has(admission.req.method ?? '') && bodiless(admission.req);
    this.#send(admission, res, picked, retriable);
  }

  #send(admission: Admission, res: ServerResponse, picked: TargetState, retriable: boolean): void {
    const { req, resource } = admission;
    picked.inFlight++;
    let settled = false;
    let answer: IncomingMessage | undefined;
    const upstream = request(
      {
        ...picked.destination,
        method: req.method,
        path: req.url,
        headers: upstreamHeaders(admission),
        agent: this.#agent,
      },
      (response) => {
        answer = response;
        this.balancer.succeeded(picked);
        const headers = endToEndHeaders(response.headers);
        if (admission.responseHeaders) Object.assign(headers, admission.responseHeaders);
        res.writeHead(response.statusCode ?? 502, headers);
        response.pipe(res);
      },
    );
    upstream.once('close', () => {
      picked.inFlight--;
      // The target's answer broke off midway: so does the client's, rather than looking complete.
      if (answer && !answer.complete && !res.writableEnded) res.destroy();
    });
    res.once('close', () => {
      if (res.writableFinished || settled) return;
      settled = true; // the client left: not the target's fault
      upstream.destroy();
    });
    upstream.on('timeout', () => {
      if (settled) return;
      settled = true;
      this.balancer.connectFailed(picked, Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }));
      upstream.destroy();
      if (!res.headersSent)
        this.#fail(
          admission,
          res,
          504,
          `The target ${picked.target} of ${resource.name} did not answer in time.`,
        );
      else {
        admission.record.fail('target', `the target ${picked.target} stopped answering mid-response`);
        res.destroy();
      }
    });
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      const failedToConnect = isConnectFailure(error) && !res.headersSent;
      if (failedToConnect) this.balancer.connectFailed(picked, error);
      this.logger.warn({ resource: resource.id, target: picked.target, err: error }, 'upstream failed');
      if (res.headersSent) {
        admission.record.fail('target', `the target ${picked.target} failed mid-response`);
        return void res.destroy();
      }
      if (failedToConnect && retriable && !res.destroyed) {
        const next = this.balancer.pick(resource, picked);
        if (next) return this.#send(admission, res, next, false);
      }
      this.#fail(
        admission,
        res,
        502,
        `The target ${picked.target} of ${resource.name} is not answering (${error.code ?? error.message}).`,
      );
    });
    if (retriable) return void upstream.end();
    req.pipe(upstream);
    watchBodySize(req, maxBodyOf(resource), () => {
      if (settled) return;
      settled = true;
      req.unpipe(upstream);
      upstream.destroy();
      // Before the target answered: a 413 (and the connection closes); after: the exchange is cut.
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
    const upstream = request({ ...picked.destination, method: req.method, path: req.url, headers });
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
