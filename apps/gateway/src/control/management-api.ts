import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '@rustronaut/observability';
import { AccessMetrics } from '../access-log/access-metrics';
import { decideLocally } from './decisions';
import { servedSites, type SiteConfigs } from './site-configs';

export interface GatewayMetrics {
  registry: Registry;
  refused: Counter<'site' | 'reason'>;
  /** The data path's per-resource series and the access log's shipping. */
  access: AccessMetrics;
}

export function createGatewayMetrics(configs: SiteConfigs): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rustronaut_gateway_' });
  const revision = new Gauge({
    name: 'rustronaut_gateway_snapshot_revision',
    help: 'Revision of the applied snapshot',
    labelNames: ['site'],
    registers: [registry],
  });
  const applied = new Counter({
    name: 'rustronaut_gateway_snapshots_applied_total',
    help: 'Snapshots applied',
    labelNames: ['site'],
    registers: [registry],
  });
  const refused = new Counter({
    name: 'rustronaut_gateway_snapshots_refused_total',
    help: 'Snapshots refused (bad signature, older revision, …)',
    labelNames: ['site', 'reason'],
    registers: [registry],
  });
  configs.onRefused((site, reason) => refused.inc({ site, reason }));
  configs.onApplied((site, { snapshot }) => {
    revision.set({ site }, snapshot.revision);
    applied.inc({ site });
  });
  return { registry, refused, access: new AccessMetrics(registry) };
}

/**
 * The gateway's management API (default port 9090): `/healthz` open; `/status` and `/metrics` need
 * a console access token of an admin or owner of an organisation this gateway serves, verified here
 * against the keys in the site snapshots (no call to the console).
 */
export function startManagementApi(options: {
  host: string;
  port: number;
  gatewayId: string;
  configs: SiteConfigs;
  connected: () => boolean;
  metrics: GatewayMetrics;
  logger: Logger;
  /** What the data plane reports for /status: each resource's targets and health, its listeners. */
  dataPlane?: () => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** The /metrics text, when it is more than this process's registry (the workers' series added). */
  metricsText?: () => Promise<string>;
  /** The keys that verify this gateway's identity assertions, served open at /.rustronaut/jwks.json. */
  assertionJwks?: () => { keys: Record<string, unknown>[] };
}): Promise<Server> {
  const { configs } = options;
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  };
  const authorized = async (req: IncomingMessage): Promise<string | undefined> => {
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return 'send "Authorization: Bearer <console access token>"';
    const served = [...configs.all().values()].map((a) => a.snapshot);
    const keys = served.flatMap((s) => s.jwks);
    if (keys.length === 0) return 'no site config yet: the gateway cannot verify tokens';
    try {
      const { payload } = await jwtVerify(token, createLocalJWKSet({ keys } as JSONWebKeySet), {
        algorithms: ['EdDSA'],
        issuer: 'rustronaut',
        audience: 'rustronaut',
      });
      const orgs = new Set(served.map((s) => s.orgId));
      if (!orgs.has(String(payload['org']))) return 'this gateway serves none of your organisation’s sites';
      if (!['owner', 'admin'].includes(String(payload['role']))) return 'needs the admin or owner role';
      return undefined;
    } catch {
      return 'the access token is not valid';
    }
  };
  const server = createServer((req, res) => {
    void (async () => {
      const path: string = (req.url ?? '/').split('?')[0] ?? '/';
      if (req.method !== 'GET')
        return json(res, 405, { error: { status: 405, code: 'METHOD_NOT_ALLOWED', message: 'GET only' } });
      if (path === '/healthz') return json(res, 200, { status: 'ok' });
      if (path === '/.rustronaut/jwks.json') return json(res, 200, options.assertionJwks?.() ?? { keys: [] });
      if (!['/status', '/metrics', '/decision'].includes(path)) {
        return json(res, 404, {
          error: { status: 404, code: 'NOT_FOUND', message: 'try /healthz, /status, /metrics or /decision' },
        });
      }
      const refusal = await authorized(req);
      if (refusal)
        return json(res, 401, { error: { status: 401, code: 'AUTH_UNAUTHENTICATED', message: refusal } });
      if (path === '/decision') {
        // What this gateway would decide, e.g. /decision?resource=res_1&user=usr_2&role=member&ip=10.0.0.1&path=/admin
        const q = new URL(req.url ?? '/', 'http://gateway').searchParams;
        const decision = decideLocally(configs, {
          resourceId: q.get('resource') ?? '',
          userId: q.get('user') || null,
          role: (q.get('role') as 'owner' | 'admin' | 'member' | null) || null,
          ip: q.get('ip') ?? '0.0.0.0',
          country: q.get('country') || null,
          path: q.get('path') ?? '/',
          method: q.get('method') ?? 'GET',
          at: q.get('at') ? new Date(q.get('at')!) : new Date(),
        });
        if (!decision)
          return json(res, 404, {
            error: { status: 404, code: 'NOT_FOUND', message: 'this gateway serves no such resource' },
          });
        return json(res, 200, {
          allowed: decision.allowed,
          decided_by: decision.decidedBy && {
            policy_id: decision.decidedBy.policyId,
            name: decision.decidedBy.name,
            effect: decision.decidedBy.effect,
          },
          reason: decision.reason,
        });
      }
      if (path === '/metrics') {
        res
          .writeHead(200, { 'content-type': options.metrics.registry.contentType })
          .end(await (options.metricsText?.() ?? options.metrics.registry.metrics()));
        return;
      }
      return json(res, 200, {
        gateway_id: options.gatewayId,
        ...servedSites(configs),
        connected: options.connected(),
        ...((await options.dataPlane?.()) ?? {}),
      });
    })().catch((error: unknown) => {
      options.logger.error({ err: error }, 'management request failed');
      json(res, 500, { error: { status: 500, code: 'INTERNAL_ERROR', message: 'see the gateway log' } });
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}
