import { Agent, request, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@rustronaut/observability';
import type { Admission } from './admission';
import type { Balancer } from './balancer';
import { page, reasonOf } from './pages';

/** Headers only the gateway may set: whatever a client sends under these names is dropped. */
export const IDENTITY_HEADERS = [
  'x-rustronaut-user',
  'x-rustronaut-email',
  'x-rustronaut-groups',
  'x-rustronaut-assertion',
];

/** The request headers the target gets: the client's, minus forged identity, plus what the gateway saw. */
export function upstreamHeaders(admission: Admission): OutgoingHttpHeaders {
  const { req, facts, caller } = admission;
  const headers: OutgoingHttpHeaders = { ...req.headers };
  for (const name of IDENTITY_HEADERS) delete headers[name];
  headers['x-forwarded-for'] = facts.ip;
  headers['x-forwarded-proto'] = facts.scheme;
  headers['x-forwarded-host'] = req.headers.host ?? '';
  if (caller) {
    headers['x-rustronaut-user'] = caller.id;
    headers['x-rustronaut-email'] = caller.email;
    headers['x-rustronaut-groups'] = caller.groups.join(',');
  }
  return headers;
}

/** Sends admitted requests to a target: keep-alive pool, bodies streamed both ways, 502/503/504 pages. */
export class Upstream {
  /** Upstream connections: kept alive; an idle or stuck one times out after 30 s (→ 504). */
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 256, timeout: 30_000 });

  constructor(
    private readonly balancer: Balancer,
    private readonly logger: Logger,
  ) {}

  forward(admission: Admission, res: ServerResponse): void {
    const { req, resource } = admission;
    const picked = this.balancer.pick(resource);
    if (!picked) return page(res, 503, `No usable target is configured for ${resource.name}.`);
    const upstream = request(
      {
        ...picked.destination,
        method: req.method,
        path: req.url,
        headers: upstreamHeaders(admission),
        agent: this.#agent,
      },
      (response) => {
        const headers = admission.responseHeaders
          ? { ...response.headers, ...admission.responseHeaders }
          : response.headers;
        res.writeHead(response.statusCode ?? 502, headers);
        response.pipe(res);
      },
    );
    upstream.on('timeout', () => {
      upstream.destroy();
      if (!res.headersSent)
        page(res, 504, `The target ${picked.target} of ${resource.name} did not answer in time.`);
    });
    upstream.on('error', (error) => {
      this.logger.warn({ resource: resource.id, target: picked.target, err: error }, 'upstream failed');
      if (!res.headersSent) {
        page(
          res,
          502,
          `The target ${picked.target} of ${resource.name} is not answering (${(error as NodeJS.ErrnoException).code ?? error.message}).`,
        );
      } else res.destroy();
    });
    req.pipe(upstream);
  }

  /** A WebSocket (or any HTTP upgrade), once admitted: the two sockets are joined. */
  join(admission: Admission, socket: Duplex, head: Buffer): void {
    const { req } = admission;
    const picked = this.balancer.pick(admission.resource);
    if (!picked) return void socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\n\r\n');
    const upstream = request({
      ...picked.destination,
      method: req.method,
      path: req.url,
      headers: upstreamHeaders(admission),
    });
    upstream.on('upgrade', (response: IncomingMessage, upstreamSocket: Duplex, upstreamHead: Buffer) => {
      const lines = [`HTTP/1.1 ${response.statusCode} ${response.statusMessage}`];
      for (let i = 0; i < response.rawHeaders.length; i += 2)
        lines.push(`${response.rawHeaders[i]}: ${response.rawHeaders[i + 1]}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (upstreamHead.length) socket.write(upstreamHead);
      if (head.length) upstreamSocket.write(head);
      upstreamSocket.on('error', () => socket.destroy());
      socket.on('error', () => upstreamSocket.destroy());
      upstreamSocket.pipe(socket).pipe(upstreamSocket);
    });
    upstream.on('response', (response) => {
      socket.end(
        `HTTP/1.1 ${response.statusCode} ${reasonOf(response.statusCode ?? 502)}\r\nconnection: close\r\n\r\n`,
      );
    });
    upstream.on('error', () => socket.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\n\r\n'));
    upstream.end();
  }
}
