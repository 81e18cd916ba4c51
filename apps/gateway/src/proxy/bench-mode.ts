import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { jwtVerify } from 'jose';
import { Registry } from 'prom-client';
import { loadBenchConfig, loadGatewayConfig } from '@rustronaut/config';
import { PolicyDataSchema, ResourceDataSchema, type SiteSnapshot } from '@rustronaut/contracts';
import type { Logger } from '@rustronaut/observability';
import { AccessLog } from '../access-log/access-log';
import { AccessMetrics } from '../access-log/access-metrics';
import { accessShipperOf } from '../access-log/shippers';
import type { AppliedSnapshot } from '../control/site-configs';
import { AssertionKey } from './auth/identity-assertion';
import { Balancer } from './balancer';
import { HttpProxy, type SnapshotSource, type TokenVerifier } from './http-proxy';
import { L4Listeners } from './l4/l4-listeners';
import { startBenchTunnel } from './bench-tunnel';

/** A fixed snapshot: one resource on 127.0.0.1 to the bench upstream, with or without auth. */
function staticSource(upstream: string, authRequired: boolean): SnapshotSource {
  return sourceOf(benchSnapshot(upstream, authRequired));
}

function sourceOf(snapshot: SiteSnapshot): SnapshotSource {
  const applied = new Map<string, AppliedSnapshot>([['st_bench', { snapshot, appliedAt: new Date() }]]);
  return { all: () => applied, get: (id) => applied.get(id), onChanged: () => undefined };
}

/** A TCP or UDP resource on a public port, to the bench upstream. */
function portResource(
  protocol: 'tcp' | 'udp',
  port: number,
  upstream: string,
): SiteSnapshot['resources'][number] {
  return {
    ...ResourceDataSchema.parse({
      siteId: 'st_bench',
      name: `bench-${protocol}`,
      protocol,
      publicPort: port,
    }),
    id: `res_bench_${protocol}`,
    targets: [
      {
        id: `tgt_bench_${protocol}`,
        address: upstream,
        protocol,
        weight: 1,
        region: null,
        healthCheck: null,
      },
    ],
  };
}

function benchSnapshot(upstream: string, authRequired: boolean): SiteSnapshot {
  return {
    format: 1,
    siteId: 'st_bench',
    orgId: 'org_bench',
    revision: 1,
    issuedAt: new Date().toISOString(),
    site: { name: 'bench', subnet: '127.0.0.0/8', region: 'local', connectionType: 'local' },
    resources: [
      {
        ...ResourceDataSchema.parse({
          siteId: 'st_bench',
          name: 'bench',
          protocol: 'http',
          domains: ['127.0.0.1', 'localhost'],
          authRequired,
        }),
        id: 'res_bench',
        targets: [
          {
            id: 'tgt_bench',
            address: upstream,
            protocol: 'http',
            weight: 1,
            region: null,
            healthCheck: null,
          },
        ],
      },
    ],
    policies: [
      {
        ...PolicyDataSchema.parse({
          name: 'any signed-in user',
          effect: 'allow',
          subjects: { anyAuthenticated: true },
        }),
        id: 'pol_bench',
      },
    ],
    groups: {},
    jwks: [],
  };
}

/**
 * `rustronaut-gateway --bench`: the gateway's own pipeline (route, authenticate, decide, forward)
 * on the peer harness's ports, so its numbers sit beside nginx, HAProxy and Caddy. Only the token
 * check differs: the harness signs HS256 tokens with a shared secret.
 *
 * The HTTP, TCP and UDP ports are served by `RN_BENCH_WORKERS` data-plane processes (node:cluster,
 * one per core by default; the primary hands each new connection to a worker in turn). The reverse
 * tunnel's ports stay in the primary, as tunnels are bound to their one connection.
 */
export async function runBenchMode(logger: Logger): Promise<void> {
  const bench = loadBenchConfig();
  const workers = bench.RN_BENCH_WORKERS ?? availableParallelism();
  // A signal ends the process normally (so `node --cpu-prof` writes its profile); workers follow.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0));
  if (cluster.isPrimary) {
    if (workers > 1) {
      for (let i = 0; i < workers; i++) cluster.fork();
      cluster.on('exit', (worker, code, signal) => {
        logger.error({ pid: worker.process.pid, code, signal }, 'bench mode: a data-plane worker stopped');
        process.exit(1);
      });
    } else {
      await runDataPlane(bench, logger);
    }
    const { client } = await startBenchTunnel(
      {
        upstreamHttp: bench.BENCH_UPSTREAM_HTTP,
        upstreamTcp: bench.BENCH_UPSTREAM_TCP,
        httpPort: bench.BENCH_TUNNEL_HTTP_PORT,
        tcpPort: bench.BENCH_TUNNEL_TCP_PORT,
        workdir: bench.BENCH_WORKDIR,
      },
      accessLogOf(logger),
      logger,
    );
    client.once('exit', (code) => {
      logger.error({ code }, 'bench mode: the tunnel client stopped');
      process.exit(1);
    });
    return;
  }
  await runDataPlane(bench, logger);
}

/** Records are kept as in production (metrics, and RN_GATEWAY_ACCESS_LOG=stdout|<file> to write them); no NATS here. */
function accessLogOf(logger: Logger): AccessLog {
  const { destination, queueCapacity } = loadGatewayConfig(process.env).accessLog;
  return new AccessLog({
    shipper: destination === 'nats' ? undefined : accessShipperOf(destination, 'gw_bench', () => undefined),
    metrics: new AccessMetrics(new Registry()),
    logger,
    defaultOrg: () => 'org_bench',
    capacity: queueCapacity,
  });
}

/** The plain and authenticated HTTP proxies and the TCP and UDP port proxies. */
async function runDataPlane(bench: ReturnType<typeof loadBenchConfig>, logger: Logger): Promise<void> {
  const secret = new TextEncoder().encode(bench.BENCH_JWT_SECRET);
  const verifier: TokenVerifier = {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, secret, {
          algorithms: ['HS256'],
          issuer: bench.BENCH_JWT_ISS,
          audience: bench.BENCH_JWT_AUD,
        });
        return {
          userId: String(payload.sub),
          email: '',
          role: 'member',
          orgId: 'org_bench',
          expiresAt: payload.exp ? payload.exp * 1000 : Number.POSITIVE_INFINITY,
        };
      } catch {
        return { refusal: 'invalid token' };
      }
    },
  };
  const accessLog = accessLogOf(logger);
  await new HttpProxy(staticSource(bench.BENCH_UPSTREAM_HTTP, false), logger, { accessLog }).listen(
    bench.BENCH_HTTP_PORT,
    '127.0.0.1',
  );
  await new HttpProxy(staticSource(bench.BENCH_UPSTREAM_HTTP, true), logger, {
    accessLog,
    verifier,
    assertions: AssertionKey.ephemeral('gw_bench'),
  }).listen(bench.BENCH_HTTP_AUTH_PORT, '127.0.0.1');
  // The TCP and UDP port proxies, when the harness gives their upstreams.
  const ports = [
    ...(bench.BENCH_UPSTREAM_TCP
      ? [portResource('tcp', bench.BENCH_TCP_PORT, bench.BENCH_UPSTREAM_TCP)]
      : []),
    ...(bench.BENCH_UPSTREAM_UDP
      ? [portResource('udp', bench.BENCH_UDP_PORT, bench.BENCH_UPSTREAM_UDP)]
      : []),
  ];
  const l4Snapshot = { ...benchSnapshot(bench.BENCH_UPSTREAM_HTTP, false), resources: ports };
  const listeners = new L4Listeners(
    new Balancer(sourceOf(l4Snapshot)),
    { host: '127.0.0.1', connectTimeoutMs: 10_000, udpIdleMs: 60_000, udpMaxFlows: 10_000 },
    logger,
  );
  await listeners.sync([l4Snapshot]);
  const failed = listeners.status().filter((l) => l.state !== 'listening');
  if (failed.length)
    throw new Error(`bench mode: ${failed.map((l) => `${l.protocol}/${l.port}: ${l.error}`).join(', ')}`);
  logger.info(
    {
      plain: bench.BENCH_HTTP_PORT,
      auth: bench.BENCH_HTTP_AUTH_PORT,
      ports: listeners.status().map((l) => `${l.protocol}/${l.port}`),
    },
    'bench mode: proxies listening',
  );
}
