import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueSecret, ResourceDataSchema, type SiteSnapshot } from '@rustronaut/contracts';
import type { Logger } from '@rustronaut/observability';
import type { LocalService } from '@rustronaut/tunnel';
import type { AccessLog } from '../access-log/access-log';
import type { AppliedSnapshot } from '../control/site-configs';
import { Balancer } from './balancer';
import { HttpProxy, type SnapshotSource } from './http-proxy';
import { L4Listeners } from './l4/l4-listeners';
import { TlsCertificates } from './tls/certificates';
import { LocalCa } from './tls/local-ca';
import { TunnelRegistry } from './tunnels/tunnel-registry';

/** What the bench tunnel client process is told: where the gateway is, and what to expose with which token. */
export interface BenchTunnelClientOrder {
  gatewayPort: number;
  ca: string;
  tunnels: { token: string; service: LocalService }[];
}

export interface BenchTunnelSettings {
  upstreamHttp: string;
  upstreamTcp: string | undefined;
  httpPort: number;
  tcpPort: number;
  workdir: string | undefined;
}

const SITE = 'st_benchtunnel';

/** An exposed service, as the services API makes it: a resource whose one target is its tunnel. */
function exposedService(
  id: string,
  name: string,
  protocol: 'http' | 'tcp',
  localAddress: string,
  tokenHash: string,
  publicPort: number | null,
): SiteSnapshot['resources'][number] {
  return {
    ...ResourceDataSchema.parse({
      siteId: SITE,
      name,
      protocol,
      domains: protocol === 'http' ? ['127.0.0.1', 'localhost'] : [],
      publicPort,
      authRequired: false,
      tunnel: { localAddress, tokenHash, exposedBy: 'usr_bench' },
    }),
    id,
    targets: [
      {
        id: `tgt_${name.replace(/-/g, '')}`,
        address: `tunnel:${name}`,
        protocol,
        weight: 1,
        region: null,
        healthCheck: null,
      },
    ],
  };
}

function hostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

/**
 * The tunnel candidate of the peer harness: the gateway side of `rustronaut expose` (tunnel server on
 * an HTTPS port with a development certificate, the exposed services' public ports, routed,
 * firewalled and logged like any resource) in this process, and a tunnel client in a child process
 * that exposes the harness's HTTP and TCP upstreams through it, as `rustronaut expose` would.
 * Tunnels are bound to one connection, so this part lives in one process.
 */
export async function startBenchTunnel(
  settings: BenchTunnelSettings,
  accessLog: AccessLog,
  logger: Logger,
): Promise<{ client: ChildProcess }> {
  const http = issueSecret('rnt', 'res_benchhttp');
  const tcp = issueSecret('rnt', 'res_benchtcp');
  const resources = [
    exposedService('res_benchhttp', 'bench-http', 'http', settings.upstreamHttp, http.hash, null),
    ...(settings.upstreamTcp
      ? [exposedService('res_benchtcp', 'bench-tcp', 'tcp', settings.upstreamTcp, tcp.hash, settings.tcpPort)]
      : []),
  ];
  const snapshot: SiteSnapshot = {
    format: 1,
    siteId: SITE,
    orgId: 'org_bench',
    revision: 1,
    issuedAt: new Date().toISOString(),
    site: { name: 'bench-tunnel', subnet: '127.0.0.0/8', region: 'local', connectionType: 'tunnel' },
    resources,
    policies: [],
    groups: {},
    jwks: [],
  };
  const applied = new Map<string, AppliedSnapshot>([[SITE, { snapshot, appliedAt: new Date() }]]);
  const source: SnapshotSource = {
    all: () => applied,
    get: (id) => applied.get(id),
    onChanged: () => undefined,
  };

  const tunnels = new TunnelRegistry(
    source,
    (resource) =>
      resource.protocol === 'http'
        ? `http://127.0.0.1:${settings.httpPort}`
        : `tcp://127.0.0.1:${resource.publicPort ?? 0}`,
    logger,
  );
  const proxy = new HttpProxy(source, logger, { accessLog, tunnels });
  await proxy.listen(settings.httpPort, '127.0.0.1');
  const workdir = settings.workdir ?? (await mkdtemp(join(tmpdir(), 'rn-bench-')));
  const localCa = await LocalCa.open(workdir);
  const certificates = await TlsCertificates.create({
    localCa,
    baseDomain: 'localhost',
    serves: (host) => proxy.serves(host),
    logger,
  });
  const secure = await proxy.listenHttps(0, '127.0.0.1', certificates);
  const l4 = new L4Listeners(
    new Balancer(source),
    {
      host: '127.0.0.1',
      connectTimeoutMs: 10_000,
      udpIdleMs: 60_000,
      udpMaxFlows: 10_000,
      tunnels,
      accessLog,
    },
    logger,
  );
  await l4.sync([snapshot]);

  const order: BenchTunnelClientOrder = {
    gatewayPort: (secure.address() as AddressInfo).port,
    ca: await readFile(localCa.certPath, 'utf8'),
    tunnels: [
      {
        token: http.token,
        service: { name: 'bench-http', protocol: 'http', local: hostPort(settings.upstreamHttp) },
      },
      ...(settings.upstreamTcp
        ? [
            {
              token: tcp.token,
              service: { name: 'bench-tcp', protocol: 'tcp' as const, local: hostPort(settings.upstreamTcp) },
            },
          ]
        : []),
    ],
  };
  const client = fork(join(__dirname, 'bench-tunnel-client.js'), [], { stdio: 'inherit' });
  client.send(order);
  return { client };
}
