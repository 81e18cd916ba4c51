import type { Server } from 'node:http';
import type { Http2SecureServer } from 'node:http2';
import type { GatewayConfig } from '@rustronaut/config';
import type { Logger } from '@rustronaut/observability';
import { AccessLog, type AccessShipper } from '../access-log/access-log';
import type { AccessMetrics } from '../access-log/access-metrics';
import type { SiteConfigs } from '../control/site-configs';
import type { AssertionKey } from './admission/auth/identity-assertion';
import { Balancer } from './upstream/balancer/balancer';
import type { BucketStore } from './admission/limits/shared-buckets';
import { countryLookup } from './admission/firewall/geoip';
import { drainGateway } from './http/graceful-stop';
import { HttpConnections } from './http/http-connections';
import { HttpProxy } from './http/http-proxy';
import { Forwarding } from './l4/forwarding';
import { L4Listeners } from './l4/l4-listeners';
import type { SnapshotSource } from './model';
import { TlsCertificates } from './tls/certificates';
import type { LocalCa } from './tls/local-ca';
import { TrustedProxies } from './http/trusted-proxies';
import { TunnelRegistry, type RemoteTunnels } from './tunnels/tunnel-registry';

export interface DataPlaneOptions {
  config: GatewayConfig;
  logger: Logger;
  configs: SiteConfigs;
  access: AccessMetrics;
  /** Where finished access records go; closing it is the caller's (the control plane's) business. */
  shipper: AccessShipper | undefined;
  defaultOrg: () => string | undefined;
  assertions: AssertionKey;
  localCa: LocalCa;
  /** Where rate limits are counted beyond this process (Redis, the primary), if anywhere. */
  buckets: BucketStore | undefined;
  /** Tunnels held by the gateway's other workers. */
  remoteTunnels?: RemoteTunnels;
  /** Whether this process runs the active health checks (else it is told their results). */
  healthChecks: boolean;
  /** Whether this process serves the UDP ports (one process per gateway does: a flow keeps its state). */
  udp: boolean;
}

/**
 * The gateway's data path in one process: the HTTP and HTTPS listeners with their pipeline, the
 * TCP/UDP ports, the tunnels' gateway side, the balancer and the access log. It reads the snapshots
 * it is given and makes every decision locally.
 */
export interface DataPlane {
  httpProxy: HttpProxy;
  balancer: Balancer;
  tunnels: TunnelRegistry;
  certificates: TlsCertificates;
  accessLog: AccessLog;
  /** What /status shows of this process: balancing, listeners, tunnels. */
  status(): Record<string, unknown>;
  /** A graceful stop: no new connections, those in flight finish up to the drain deadline. */
  drain(): Promise<void>;
}

export async function startDataPlane(options: DataPlaneOptions): Promise<DataPlane> {
  const { config, logger, configs } = options;
  const balancer = new Balancer(configs, {
    region: config.region,
    logger: logger.child({ component: 'balancer' }),
  });
  if (!options.healthChecks) balancer.health.stop();
  const countries = countryLookup(config.geoipDb);
  const shipper = options.shipper;
  const accessLog = new AccessLog({
    // The shipper is closed by its owner, after every process's last records.
    shipper: shipper && { ship: (batch) => shipper.ship(batch) },
    metrics: options.access,
    logger: logger.child({ component: 'access-log' }),
    // A request that matched no resource is filed under the gateway's org (when it serves one).
    defaultOrg: options.defaultOrg,
    capacity: config.accessLog.queueCapacity,
  });
  const httpsPortSuffix = config.https.port === 443 ? '' : `:${config.https.port}`;
  const tunnels = new TunnelRegistry(
    configs,
    (resource) =>
      resource.protocol === 'http'
        ? `https://${resource.domains[0] ?? config.baseDomain}${httpsPortSuffix}`
        : `${resource.protocol}://${config.baseDomain}:${resource.publicPort ?? 0}`,
    logger.child({ component: 'tunnels' }),
    options.remoteTunnels,
  );
  const l4Options = {
    host: config.http.host,
    connectTimeoutMs: config.l4.connectTimeoutSeconds * 1000,
    udpIdleMs: config.l4.udpIdleTimeoutSeconds * 1000,
    udpMaxFlows: config.l4.udpMaxFlows,
    countries,
    metrics: options.access,
    accessLog,
    tunnels,
  };
  const httpProxy = new HttpProxy(configs, logger.child({ component: 'http' }), {
    tunnels,
    forwarding: new Forwarding(balancer, l4Options, logger.child({ component: 'forward' }), configs),
    accessLog,
    countries,
    balancer,
    assertions: options.assertions,
    consoleUrl: config.consoleUrl,
    maxHeaderBytes: config.maxHeaderBytes,
    maxHeaderCount: config.maxHeaderCount,
    trustedProxies: new TrustedProxies(config.trustedProxies),
    upstream: config.upstream,
    ...(options.buckets ? { sharedBuckets: options.buckets } : {}),
  });
  const proxy = await httpProxy.listen(config.http.port, config.http.host, config.timeouts);
  const certificates = await TlsCertificates.create({
    localCa: options.localCa,
    baseDomain: config.baseDomain,
    serves: (host) => httpProxy.serves(host),
    files: config.tls.files,
    logger: logger.child({ component: 'tls' }),
  });
  const secureProxy = await httpProxy.listenHttps(
    config.https.port,
    config.https.host,
    certificates,
    config.timeouts,
  );
  const l4 = new L4Listeners(
    balancer,
    l4Options,
    logger.child({ component: 'l4' }),
    options.udp ? configs : withoutUdp(configs),
  );
  const connections = new HttpConnections();
  connections.track(proxy, false);
  connections.track(secureProxy, true);
  return {
    httpProxy,
    balancer,
    tunnels,
    certificates,
    accessLog,
    status: () => ({ balancing: balancer.status(), listeners: l4.status(), tunnels: tunnels.status() }),
    async drain() {
      tunnels.close(); // GOAWAY: streams in flight finish, clients reconnect elsewhere or after restart
      await drainGateway({
        servers: [proxy, secureProxy] as (Server | Http2SecureServer)[],
        connections,
        l4,
        timeoutMs: config.drainTimeoutSeconds * 1000,
        logger,
      });
      balancer.stop();
      options.buckets?.close();
      await Promise.race([accessLog.close(), new Promise((done) => setTimeout(done, 5_000))]);
    },
  };
}

/** The snapshots without their UDP resources: for the workers that leave the UDP ports to one of them. */
function withoutUdp(configs: SnapshotSource): SnapshotSource {
  const strip = (applied: ReturnType<SnapshotSource['all']>) =>
    new Map(
      [...applied].map(([siteId, a]) => [
        siteId,
        {
          ...a,
          snapshot: { ...a.snapshot, resources: a.snapshot.resources.filter((r) => r.protocol !== 'udp') },
        },
      ]),
    );
  return {
    all: () => strip(configs.all()),
    get: (siteId) => {
      const applied = configs.get(siteId);
      return applied && strip(new Map([[siteId, applied]])).get(siteId);
    },
    onChanged: (listener) => configs.onChanged(listener),
  };
}
