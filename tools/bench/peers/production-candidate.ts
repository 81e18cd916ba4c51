/**
 * The peer harness's candidate, as production runs: the gateway's own entry point
 * (dist/apps/gateway/src/main.js, the one `npm start` supervises) with production settings, its
 * resources from snapshots signed with a console key and written to its data directory as the
 * gateway itself writes them (the fixed-snapshot start: `--sites` with the snapshot on disk, no
 * console needed), and its access records shipped to NATS JetStream (a private nats-server with
 * the console's access stream) — nothing of it is special to the benchmark.
 *
 *   CANDIDATE_CMD="exec npx tsx tools/bench/peers/production-candidate.ts [gateway main.js]"   (run.sh sets it)
 *
 * The gateway is this checkout's dist/apps/gateway/src/main.js unless another build's main.js is
 * named (run.sh --baseline: an older commit's gateway, started the same way with the same settings).
 * It runs with the Node options the platform's supervisor gives it under npm start.
 *
 * A production gateway serves HTTP on one port and routes by Host, while the harness puts each
 * candidate on a port of its own (all with Host 127.0.0.1): so one gateway serves the plain port
 * (18020) with the TCP (18105) and UDP (18205) ports, another the authenticated port (18021), and a
 * third the exposed services of a tunnel (18022, 18108), whose client (a child process) dials it as
 * `rustronaut expose` does. The authenticated port is a resource that requires authentication and
 * trusts the harness's token issuer as an admin declares one (POST /resources/{id}/token-issuers:
 * iss BENCH_JWT_ISS, aud BENCH_JWT_AUD, HS256 with BENCH_JWT_SECRET as its `oct` key, checked by
 * the same schema the API uses), with a policy admitting the sub `bench-user`: the gateway verifies
 * the bearer JWT in-process and caches it, as it does for any machine token.
 * Every setting of the gateways comes from the environment as for `npm start` (RN_GATEWAY_WORKERS…).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect } from 'nats';
import {
  PolicyDataSchema,
  ResourceDataSchema,
  TokenIssuerSettingsSchema,
  checkIssuerKey,
  issueSecret,
  signSnapshot,
  type SiteSnapshot,
  type SnapshotTokenIssuer,
} from '@rustronaut/contracts';
import { ensureAccessStream } from '@rustronaut/eventstore';
import { TunnelClient } from '@rustronaut/tunnel';
import { loadBenchConfig } from '@rustronaut/config';
import { PLATFORM_NODE_OPTIONS } from '../../../apps/platform/src/node-options';

const ROOT = resolve(__dirname, '../../..');
const GATEWAY = resolve(process.argv[2] ?? join(ROOT, 'dist/apps/gateway/src/main.js'));
/** As the supervisor starts it under npm start (apps/platform/src/supervisor.ts: no source maps). */
const NODE_OPTIONS = PLATFORM_NODE_OPTIONS;
const ORG = 'org_bench';

type Resource = SiteSnapshot['resources'][number];

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

function hostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

function resource(
  siteId: string,
  id: string,
  data: Record<string, unknown>,
  target: string,
  protocol: string,
): Resource {
  return {
    ...ResourceDataSchema.parse({ siteId, ...data }),
    id,
    targets: [{ id: `tgt_${id}`, address: target, protocol, weight: 1, region: null, healthCheck: null }],
  } as Resource;
}

/**
 * A trusted token issuer as the console puts it in a snapshot after POST /resources/{id}/token-issuers:
 * the settings checked by the API's schema, the keys as the API keeps them.
 */
function trustedIssuer(id: string, settings: unknown): SnapshotTokenIssuer {
  const { keys, ...checked } = TokenIssuerSettingsSchema.parse(settings);
  return {
    id,
    ...checked,
    keys: keys.map((jwk) => {
      const key = checkIssuerKey(jwk, checked.algorithms);
      if ('problem' in key) throw new Error(key.problem);
      return key.key;
    }),
  };
}

function snapshotOf(
  siteId: string,
  resources: Resource[],
  connectionType: 'local' | 'tunnel',
  policies: SiteSnapshot['policies'] = [],
): SiteSnapshot {
  return {
    format: 1,
    siteId,
    orgId: ORG,
    revision: 1,
    issuedAt: new Date().toISOString(),
    site: { name: siteId, subnet: '127.0.0.0/8', region: 'local', connectionType },
    resources,
    policies,
    groups: {},
    jwks: [],
  };
}

/** A data directory as a gateway leaves it after its first start: the console's key and the signed snapshot. */
function dataDirWith(
  dir: string,
  snapshot: SiteSnapshot,
  key: { id: string; privateKey: string; publicKey: string },
): string {
  mkdirSync(join(dir, 'sites'), { recursive: true });
  writeFileSync(join(dir, 'config-keys.json'), JSON.stringify({ [key.id]: key.publicKey }), { mode: 0o600 });
  writeFileSync(join(dir, 'sites', `${snapshot.siteId}.json`), JSON.stringify(signSnapshot(snapshot, key)));
  return dir;
}

async function main(): Promise<void> {
  const bench = loadBenchConfig();
  const work = bench.BENCH_WORKDIR ?? mkdtempSync(join(tmpdir(), 'rn-bench-'));
  const children: ChildProcess[] = [];
  const stop = () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);

  // NATS with JetStream, and the console's access stream, as the gateways ship to.
  const natsPort = await freePort();
  mkdirSync(join(work, 'nats'), { recursive: true });
  const nats = spawn(
    'nats-server',
    ['-js', '-a', '127.0.0.1', '-p', String(natsPort), '-sd', join(work, 'nats')],
    {
      stdio: 'ignore',
    },
  );
  children.push(nats);
  const natsUrl = `nats://127.0.0.1:${natsPort}`;
  for (let i = 0; ; i++) {
    try {
      const nc = await connect({ servers: natsUrl });
      await ensureAccessStream(await nc.jetstreamManager());
      await nc.close();
      break;
    } catch (error) {
      if (i > 50) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const key = {
    id: 'ck_bench',
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };

  const start = async (name: string, snapshot: SiteSnapshot, httpPort: number) => {
    const dataDir = dataDirWith(join(work, name), snapshot, key);
    const httpsPort = await freePort();
    const child = spawn(
      process.execPath,
      [
        ...NODE_OPTIONS,
        GATEWAY,
        '--sites',
        snapshot.siteId,
        '--data-dir',
        dataDir,
        '--nats',
        natsUrl,
        '--gateway-id',
        `gw_bench_${name}`,
      ],
      {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: {
          ...process.env,
          RN_GATEWAY_HTTP_HOST: '127.0.0.1',
          RN_GATEWAY_HTTP_PORT: String(httpPort),
          RN_GATEWAY_HTTPS_PORT: String(httpsPort),
          RN_GATEWAY_MANAGEMENT_PORT: String(await freePort()),
        },
      },
    );
    child.once('exit', (code) => {
      process.stderr.write(`production candidate: gateway ${name} exited (${code})\n`);
      stop();
    });
    children.push(child);
    return { dataDir, httpsPort };
  };

  // The plain HTTP port, with the TCP and UDP port resources.
  const edge = 'st_bench';
  await start(
    'edge',
    snapshotOf(
      edge,
      [
        resource(
          edge,
          'res_bench',
          { name: 'bench', protocol: 'http', domains: ['127.0.0.1', 'localhost'], authRequired: false },
          bench.BENCH_UPSTREAM_HTTP,
          'http',
        ),
        ...(bench.BENCH_UPSTREAM_TCP
          ? [
              resource(
                edge,
                'res_bench_tcp',
                { name: 'bench-tcp', protocol: 'tcp', publicPort: bench.BENCH_TCP_PORT, authRequired: false },
                bench.BENCH_UPSTREAM_TCP,
                'tcp',
              ),
            ]
          : []),
        ...(bench.BENCH_UPSTREAM_UDP
          ? [
              resource(
                edge,
                'res_bench_udp',
                { name: 'bench-udp', protocol: 'udp', publicPort: bench.BENCH_UDP_PORT, authRequired: false },
                bench.BENCH_UPSTREAM_UDP,
                'udp',
              ),
            ]
          : []),
      ],
      'local',
    ),
    bench.BENCH_HTTP_PORT,
  );

  // The authenticated port: a resource that requires authentication and trusts the harness's token
  // issuer, and a policy that lets its sub in.
  const authSite = 'st_benchauth';
  const issuer = trustedIssuer('tis_bench', {
    name: 'bench',
    issuer: bench.BENCH_JWT_ISS,
    audience: bench.BENCH_JWT_AUD,
    algorithms: ['HS256'],
    keys: [{ kty: 'oct', k: Buffer.from(bench.BENCH_JWT_SECRET).toString('base64url') }],
  });
  await start(
    'auth',
    snapshotOf(
      authSite,
      [
        {
          ...resource(
            authSite,
            'res_benchauth',
            { name: 'bench-auth', protocol: 'http', domains: ['127.0.0.1', 'localhost'], authRequired: true },
            bench.BENCH_UPSTREAM_HTTP,
            'http',
          ),
          tokenIssuers: [issuer],
        },
      ],
      'local',
      [
        {
          ...PolicyDataSchema.parse({
            name: 'the bench service',
            effect: 'allow',
            resourceIds: ['res_benchauth'],
            subjects: { tokens: [{ issuerId: issuer.id, subs: ['bench-user'] }] },
          }),
          id: 'pol_benchauth',
        },
      ],
    ),
    bench.BENCH_HTTP_AUTH_PORT,
  );

  // Exposed services, as the services API makes them, reached through a tunnel client.
  const tunnelSite = 'st_benchtunnel';
  const http = issueSecret('rnt', 'res_benchhttp');
  const tcp = issueSecret('rnt', 'res_benchtcp');
  const exposed = (
    id: string,
    name: string,
    protocol: 'http' | 'tcp',
    local: string,
    hash: string,
    publicPort: number | null,
  ) =>
    resource(
      tunnelSite,
      id,
      {
        name,
        protocol,
        domains: protocol === 'http' ? ['127.0.0.1', 'localhost'] : [],
        publicPort,
        authRequired: false,
        tunnel: { localAddress: local, tokenHash: hash, exposedBy: 'usr_bench' },
      },
      `tunnel:${name}`,
      protocol,
    );
  const tunnel = await start(
    'tunnel',
    snapshotOf(
      tunnelSite,
      [
        exposed('res_benchhttp', 'bench-http', 'http', bench.BENCH_UPSTREAM_HTTP, http.hash, null),
        ...(bench.BENCH_UPSTREAM_TCP
          ? [
              exposed(
                'res_benchtcp',
                'bench-tcp',
                'tcp',
                bench.BENCH_UPSTREAM_TCP,
                tcp.hash,
                bench.BENCH_TUNNEL_TCP_PORT,
              ),
            ]
          : []),
      ],
      'tunnel',
    ),
    bench.BENCH_TUNNEL_HTTP_PORT,
  );
  // The tunnel client dials once the gateway made its development CA.
  const caPath = join(tunnel.dataDir, 'tls', 'ca.crt');
  for (let i = 0; ; i++) {
    try {
      readFileSync(caPath);
      break;
    } catch (error) {
      if (i > 300) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const ca = readFileSync(caPath, 'utf8');
  const services = [
    {
      token: http.token,
      service: { name: 'bench-http', protocol: 'http' as const, local: hostPort(bench.BENCH_UPSTREAM_HTTP) },
    },
    ...(bench.BENCH_UPSTREAM_TCP
      ? [
          {
            token: tcp.token,
            service: {
              name: 'bench-tcp',
              protocol: 'tcp' as const,
              local: hostPort(bench.BENCH_UPSTREAM_TCP),
            },
          },
        ]
      : []),
  ];
  for (const { token, service } of services) {
    const client = new TunnelClient({
      gateway: { host: '127.0.0.1', port: tunnel.httpsPort, servername: 'localhost' },
      token,
      services: [service],
      ca,
      agent: 'rustronaut-bench',
      backoffMs: { min: 100, max: 1000 },
    });
    client.on('refused', (r: { code: string; message: string }) =>
      process.stderr.write(`production candidate: tunnel refused: ${r.code} ${r.message}\n`),
    );
    client.start();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`production candidate: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
