import {
  Agent,
  createServer,
  request,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { parseTargetAddress, type Role } from '@rustronaut/contracts';
import type { Logger } from '@rustronaut/observability';
import { decide } from '@rustronaut/policy-engine';
import type { AppliedSnapshot } from '../control/site-configs';
import { RouteTable, type RoutedResource } from './route-table';

const IDENTITY_HEADERS = [
  'x-rustronaut-user',
  'x-rustronaut-email',
  'x-rustronaut-groups',
  'x-rustronaut-assertion',
];

export interface Caller {
  id: string;
  email: string;
  role: Role;
  groups: string[];
}

/** Where the proxy reads what to serve: the applied site snapshots (SiteConfigs in the gateway). */
export interface SnapshotSource {
  all(): Map<string, AppliedSnapshot>;
  get(siteId: string): AppliedSnapshot | undefined;
  onChanged(listener: () => void): void;
}

/** Turns a bearer token into a caller, or says why not. */
export interface TokenVerifier {
  verify(token: string, resource: RoutedResource): Promise<Caller | { refusal: string }>;
}

/** The console's access tokens, checked against the JWKS carried by the snapshots. */
export class SnapshotJwksVerifier implements TokenVerifier {
  #keys: JWTVerifyGetKey | undefined;

  constructor(private readonly source: SnapshotSource) {
    source.onChanged(() => this.#reload());
    this.#reload();
  }

  #reload(): void {
    const keys = [...this.source.all().values()].flatMap((a) => a.snapshot.jwks);
    this.#keys = keys.length ? createLocalJWKSet({ keys } as JSONWebKeySet) : undefined;
  }

  async verify(token: string, resource: RoutedResource): Promise<Caller | { refusal: string }> {
    if (!this.#keys) return { refusal: 'This gateway has no keys to check sign-ins yet.' };
    try {
      const { payload } = await jwtVerify(token, this.#keys, {
        issuer: 'rustronaut',
        audience: 'rustronaut',
      });
      if (payload['org'] !== resource.orgId) return { refusal: 'Your token is for another organisation.' };
      const id = String(payload.sub);
      const groups = Object.entries(this.source.get(resource.siteId)?.snapshot.groups ?? {})
        .filter(([, members]) => members.includes(id))
        .map(([group]) => group);
      return { id, email: String(payload['email'] ?? ''), role: payload['role'] as Role, groups };
    } catch {
      return { refusal: 'Your sign-in is not valid or has expired: sign in again.' };
    }
  }
}

/**
 * The HTTP data path (first slice): route by host and path from the snapshots, authenticate a bearer
 * access token locally against the snapshot's JWKS, decide with the policy engine, and proxy to a
 * target (round robin) with the caller's identity in headers; bodies stream both ways.
 */
export class HttpProxy {
  #routes = new RouteTable([]);
  readonly #next = new Map<string, number>();
  /** Upstream connections: kept alive; an idle or stuck one times out after 30 s (→ 504). */
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 256, timeout: 30_000 });

  constructor(
    private readonly configs: SnapshotSource,
    private readonly logger: Logger,
    private readonly verifier: TokenVerifier = new SnapshotJwksVerifier(configs),
  ) {
    configs.onChanged(() => this.#rebuild());
    this.#rebuild();
  }

  listen(port: number, host: string): Promise<Server> {
    const server = createServer((req, res) => this.#handle(req, res));
    server.on(
      'upgrade',
      (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.#upgrade(req, socket, head),
    );
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.requestTimeout = 0; // long uploads and downloads stream; idle sockets are timed out instead
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve(server));
    });
  }

  #rebuild(): void {
    const snapshots = [...this.configs.all().values()].map((a) => a.snapshot);
    this.#routes = new RouteTable(snapshots);
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    // A public resource needs no await: route and forward in the same tick (the hot path).
    const resource = this.#routes.match(req.headers.host, pathOf(req));
    if (resource && !resource.authRequired) return this.#forward(req, res, resource, null);
    void this.#admit(req).then((admitted) =>
      'status' in admitted
        ? page(res, admitted.status, admitted.message)
        : this.#forward(req, res, admitted.resource, admitted.caller),
    );
  }

  /** Route, authenticate, decide: the same for a request and for a WebSocket upgrade. */
  async #admit(
    req: IncomingMessage,
  ): Promise<{ resource: RoutedResource; caller: Caller | null } | { status: number; message: string }> {
    const path = pathOf(req);
    const resource = this.#routes.match(req.headers.host, path);
    if (!resource)
      return { status: 404, message: 'No resource is published at this address on this gateway.' };
    if (!resource.authRequired) return { resource, caller: null };
    const outcome = await this.#authenticate(req, resource);
    if ('refusal' in outcome) return { status: 401, message: outcome.refusal };
    const snapshot = this.configs.get(resource.siteId)?.snapshot;
    const decision = decide(snapshot?.policies ?? [], resource.id, {
      user: outcome.caller,
      ip: req.socket.remoteAddress ?? '',
      country: null,
      path,
      method: req.method ?? 'GET',
      at: new Date(),
    });
    if (!decision.allowed) return { status: 403, message: `Access denied: ${decision.reason}.` };
    return { resource, caller: outcome.caller };
  }

  /** A WebSocket (or any HTTP upgrade): admitted like a request, then the two sockets are joined. */
  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const admitted = await this.#admit(req);
    if ('status' in admitted) {
      socket.end(
        `HTTP/1.1 ${admitted.status} ${admitted.status === 404 ? 'Not Found' : admitted.status === 401 ? 'Unauthorized' : 'Forbidden'}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${admitted.message}\n`,
      );
      return;
    }
    const picked = this.#pick(admitted.resource);
    if (!picked) return void socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\n\r\n');
    const upstream = request({
      ...picked.destination,
      method: req.method,
      path: req.url,
      headers: this.#headersFor(req, admitted.caller),
    });
    upstream.on('upgrade', (response, upstreamSocket, upstreamHead) => {
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
      socket.end(`HTTP/1.1 ${response.statusCode} ${response.statusMessage}\r\nconnection: close\r\n\r\n`);
    });
    upstream.on('error', () => socket.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\n\r\n'));
    upstream.end();
  }

  async #authenticate(
    req: IncomingMessage,
    resource: RoutedResource,
  ): Promise<{ caller: Caller } | { refusal: string }> {
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token)
      return { refusal: 'This resource needs you to sign in: send "Authorization: Bearer <access token>".' };
    const outcome = await this.verifier.verify(token, resource);
    return 'refusal' in outcome ? outcome : { caller: outcome };
  }

  #pick(
    resource: RoutedResource,
  ): { target: string; destination: { host: string; port: number } | { socketPath: string } } | undefined {
    const targets = resource.targets.filter((t) => t.weight > 0);
    if (targets.length === 0) return undefined;
    const index = (this.#next.get(resource.id) ?? 0) % targets.length;
    this.#next.set(resource.id, index + 1);
    const target = targets[index];
    const address = target && parseTargetAddress(target.address);
    if (!target || !address) return undefined;
    return {
      target: target.address,
      destination:
        address.kind === 'unix' ? { socketPath: address.path } : { host: address.host, port: address.port },
    };
  }

  #headersFor(req: IncomingMessage, caller: Caller | null): OutgoingHttpHeaders {
    const headers: OutgoingHttpHeaders = { ...req.headers };
    for (const name of IDENTITY_HEADERS) delete headers[name];
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    headers['x-forwarded-proto'] = 'http';
    headers['x-forwarded-host'] = req.headers.host ?? '';
    if (caller) {
      headers['x-rustronaut-user'] = caller.id;
      headers['x-rustronaut-email'] = caller.email;
      headers['x-rustronaut-groups'] = caller.groups.join(',');
    }
    return headers;
  }

  #forward(req: IncomingMessage, res: ServerResponse, resource: RoutedResource, caller: Caller | null): void {
    const picked = this.#pick(resource);
    if (!picked) return page(res, 503, `No usable target is configured for ${resource.name}.`);
    const upstream = request(
      {
        ...picked.destination,
        method: req.method,
        path: req.url,
        headers: this.#headersFor(req, caller),
        agent: this.#agent,
      },
      (response) => {
        res.writeHead(response.statusCode ?? 502, response.headers);
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
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function page(res: ServerResponse, status: number, message: string): void {
  const body = `${status} ${message}\n`;
  res
    .writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    })
    .end(body);
}
