import {
  Agent,
  createServer,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
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
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 256 });

  constructor(
    private readonly configs: SnapshotSource,
    private readonly logger: Logger,
    private readonly verifier: TokenVerifier = new SnapshotJwksVerifier(configs),
  ) {
    configs.onChanged(() => this.#rebuild());
    this.#rebuild();
  }

  listen(port: number, host: string): Promise<Server> {
    const server = createServer((req, res) => void this.#handle(req, res));
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

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const resource = this.#routes.match(req.headers.host, path);
    if (!resource) return page(res, 404, 'No resource is published at this address on this gateway.');
    let caller: Caller | null = null;
    if (resource.authRequired) {
      const outcome = await this.#authenticate(req, resource);
      if ('refusal' in outcome) return page(res, 401, outcome.refusal);
      caller = outcome.caller;
    }
    const snapshot = this.configs.get(resource.siteId)?.snapshot;
    if (resource.authRequired && snapshot) {
      const decision = decide(snapshot.policies, resource.id, {
        user: caller,
        ip: req.socket.remoteAddress ?? '',
        country: null,
        path,
        method: req.method ?? 'GET',
        at: new Date(),
      });
      if (!decision.allowed) return page(res, 403, `Access denied: ${decision.reason}.`);
    }
    this.#forward(req, res, resource, caller);
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

  #forward(req: IncomingMessage, res: ServerResponse, resource: RoutedResource, caller: Caller | null): void {
    const targets = resource.targets.filter((t) => t.weight > 0);
    if (targets.length === 0) return page(res, 503, `No target is configured for ${resource.name}.`);
    const index = (this.#next.get(resource.id) ?? 0) % targets.length;
    this.#next.set(resource.id, index + 1);
    const target = targets[index]!;
    const address = parseTargetAddress(target.address);
    if (!address) return page(res, 502, `The target address of ${resource.name} is not usable.`);
    const headers = { ...req.headers };
    for (const name of IDENTITY_HEADERS) delete headers[name];
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    headers['x-forwarded-proto'] = 'http';
    headers['x-forwarded-host'] = req.headers.host ?? '';
    if (caller) {
      headers['x-rustronaut-user'] = caller.id;
      headers['x-rustronaut-email'] = caller.email;
      headers['x-rustronaut-groups'] = caller.groups.join(',');
    }
    const upstream = request(
      {
        ...(address.kind === 'unix'
          ? { socketPath: address.path }
          : { host: address.host, port: address.port }),
        method: req.method,
        path: req.url,
        headers,
        agent: this.#agent,
        timeout: 30_000,
      },
      (response) => {
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
      },
    );
    upstream.on('timeout', () => {
      upstream.destroy();
      if (!res.headersSent)
        page(res, 504, `The target ${target.address} of ${resource.name} did not answer in time.`);
    });
    upstream.on('error', (error) => {
      this.logger.warn({ resource: resource.id, target: target.address, err: error }, 'upstream failed');
      if (!res.headersSent)
        page(
          res,
          502,
          `The target ${target.address} of ${resource.name} is not answering (${(error as NodeJS.ErrnoException).code ?? error.message}).`,
        );
      else res.destroy();
    });
    req.pipe(upstream);
  }
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
