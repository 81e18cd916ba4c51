import { jwtVerify } from 'jose';
import { loadBenchConfig } from '@rustronaut/config';
import { PolicyDataSchema, ResourceDataSchema, type SiteSnapshot } from '@rustronaut/contracts';
import type { Logger } from '@rustronaut/observability';
import type { AppliedSnapshot } from '../control/site-configs';
import { AssertionKey } from './auth/identity-assertion';
import { HttpProxy, type SnapshotSource, type TokenVerifier } from './http-proxy';

/** A fixed snapshot: one resource on 127.0.0.1 to the bench upstream, with or without auth. */
function staticSource(upstream: string, authRequired: boolean): SnapshotSource {
  const snapshot: SiteSnapshot = {
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
  const applied = new Map<string, AppliedSnapshot>([['st_bench', { snapshot, appliedAt: new Date() }]]);
  return { all: () => applied, get: (id) => applied.get(id), onChanged: () => undefined };
}

/**
 * `rustronaut-gateway --bench`: the gateway's own HTTP pipeline (route, authenticate, decide,
 * forward) on the peer harness's ports, so its numbers sit beside nginx, HAProxy and Caddy. Only the
 * token check differs: the harness signs HS256 tokens with a shared secret.
 */
export async function runBenchMode(logger: Logger): Promise<void> {
  const bench = loadBenchConfig();
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
  await new HttpProxy(staticSource(bench.BENCH_UPSTREAM_HTTP, false), logger).listen(
    bench.BENCH_HTTP_PORT,
    '127.0.0.1',
  );
  await new HttpProxy(staticSource(bench.BENCH_UPSTREAM_HTTP, true), logger, {
    verifier,
    assertions: AssertionKey.ephemeral('gw_bench'),
  }).listen(bench.BENCH_HTTP_AUTH_PORT, '127.0.0.1');
  logger.info(
    { plain: bench.BENCH_HTTP_PORT, auth: bench.BENCH_HTTP_AUTH_PORT },
    'bench mode: proxies listening',
  );
}
