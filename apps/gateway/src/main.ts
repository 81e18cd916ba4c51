import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { ConfigError, loadGatewayConfig } from '@rustronaut/config';
import { createLogger } from '@rustronaut/observability';
import { loadConfigKeys } from './control/config-keys';
import { ConfigWatcher } from './control/config-watcher';
import { createGatewayMetrics, startManagementApi } from './control/management-api';
import { SiteConfigs } from './control/site-configs';
import { SnapshotFiles } from './control/snapshot-file';
import { enroll, readIdentity, saveIdentity, type GatewayIdentity } from './control/enrollment';
import { AssignmentSync } from './control/assignment-sync';
import { runBenchMode } from './proxy/bench-mode';
import { Balancer } from './proxy/balancer';
import { registerBalancerMetrics } from './proxy/balancer/balancer-metrics';
import { AssertionKey } from './proxy/auth/identity-assertion';
import { drainGateway } from './proxy/graceful-stop';
import { HttpConnections } from './proxy/http-connections';
import { HttpProxy } from './proxy/http-proxy';
import { TunnelRegistry } from './proxy/tunnels/tunnel-registry';
import { Forwarding } from './proxy/l4/forwarding';
import { countryLookup } from './proxy/firewall/geoip';
import { TlsCertificates } from './proxy/tls/certificates';
import { LocalCa } from './proxy/tls/local-ca';
import { SharedBuckets } from './proxy/firewall/shared-buckets';
import { L4Listeners } from './proxy/l4/l4-listeners';
import { AcmeCertificates } from './proxy/tls/acme-certificates';
import { TrustedProxies } from './proxy/trusted-proxies';
import type { GatewayAssignment } from '@rustronaut/contracts';
import { Reports } from './control/reports';
import { AccessLog } from './access-log/access-log';
import { accessShipperOf } from './access-log/shippers';

const program = new Command()
  .name('rustronaut-gateway')
  .description('The Rustronaut edge gateway: serves its sites from a signed config it keeps on disk.')
  .option('--sites <ids>', 'site ids to serve, comma-separated (RN_GATEWAY_SITES)')
  .option('--nats <url>', 'NATS servers (RN_NATS_URL)')
  .option('--console <url>', 'console URL, for the config keys on first start (RN_CONSOLE_URL)')
  .option('--data-dir <dir>', 'where identity, keys and snapshots live (RN_GATEWAY_DATA_DIR)')
  .option('--management-port <port>', 'management API port (RN_GATEWAY_MANAGEMENT_PORT, default 9090)')
  .option('--http-port <port>', 'public HTTP port of the data path (RN_GATEWAY_HTTP_PORT, default 8080)')
  .option('--https-port <port>', 'public HTTPS port of the data path (RN_GATEWAY_HTTPS_PORT, default 8443)')
  .option('--gateway-id <id>', 'this gateway’s id (RN_GATEWAY_ID)')
  .option('--bench', 'serve the peer benchmark harness’s ports (BENCH_* variables) and nothing else')
  .option('--enroll <token>', 'enrolment token (RN_ENROLLMENT_TOKEN)')
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const flags = program.opts<{
    sites?: string;
    nats?: string;
    console?: string;
    dataDir?: string;
    managementPort?: string;
    httpPort?: string;
    httpsPort?: string;
    gatewayId?: string;
    enroll?: string;
    bench?: boolean;
  }>();
  if (flags.bench) return runBenchMode(createLogger('gateway', 'warn'));
  const config = loadGatewayConfig(process.env, { ...flags, managementPort: flags.managementPort });
  const logger = createLogger('gateway', config.logLevel);
  const dataDir = resolve(config.dataDir);
  let identity = await readIdentity(dataDir);
  if (!identity && config.enrollmentToken) {
    identity = await enroll(dataDir, config.consoleUrl, config.enrollmentToken);
    logger.info({ gatewayId: identity.gatewayId, sites: identity.siteIds }, 'enrolled');
  }
  const siteIds = config.siteIds.length ? config.siteIds : (identity?.siteIds ?? []);
  if (siteIds.length === 0) {
    throw new Error(
      'no site to serve: enrol with --enroll <token> (from POST /api/v1/gateways), or pass --sites <ids>',
    );
  }
  const gatewayId =
    identity?.gatewayId ?? config.gatewayId ?? `gw_${hostname().replace(/[^A-Za-z0-9_-]/g, '-')}`;
  const keys = await loadConfigKeys(dataDir, config.consoleUrl);
  const configs = new SiteConfigs(keys, new SnapshotFiles(dataDir), logger);
  const metrics = createGatewayMetrics(configs);
  for (const siteId of siteIds) await configs.loadFromDisk(siteId);
  /** Following the console: the config watcher, the reports and the assignment, for one identity. */
  const follow = (who: GatewayIdentity | undefined, sites: string[]) => {
    const watcher = new ConfigWatcher({
      servers: config.natsServers,
      siteIds: sites,
      configs,
      logger,
      name: gatewayId,
      inboxPrefix: `_INBOX_${gatewayId}`,
      ...(who?.natsJwt && who.natsSeed ? { credentials: { jwt: who.natsJwt, seed: who.natsSeed } } : {}),
    });
    const reports = who ? new Reports(who, configs, () => watcher.connection) : undefined;
    const assignment = who
      ? new AssignmentSync(
          who,
          () => watcher.connection,
          (next) => void reassign(next),
          logger,
        )
      : undefined;
    watcher.whenConnected(() => {
      reports?.start();
      assignment?.start();
    });
    watcher.start();
    return {
      watcher,
      async stop() {
        reports?.stop();
        assignment?.stop();
        await watcher.stop();
      },
    };
  };
  let current = follow(identity, siteIds);
  /** The console changed this gateway's sites: keep the new identity, drop old sites, follow the new ones. */
  const reassign = async (next: GatewayAssignment) => {
    if (!identity) return;
    const previous = identity.siteIds;
    identity = await saveIdentity(dataDir, { ...identity, siteIds: next.siteIds, natsJwt: next.natsJwt });
    for (const siteId of previous.filter((s) => !next.siteIds.includes(s))) configs.withdraw(siteId);
    for (const siteId of next.siteIds.filter((s) => !previous.includes(s)))
      await configs.loadFromDisk(siteId);
    logger.warn({ from: previous, to: next.siteIds }, 'the console changed the sites this gateway serves');
    await current.stop();
    current = follow(identity, next.siteIds);
  };
  const balancer = new Balancer(configs, {
    region: config.region,
    logger: logger.child({ component: 'balancer' }),
  });
  registerBalancerMetrics(metrics.registry, balancer);
  const assertions = await AssertionKey.load(dataDir, gatewayId);
  const countries = countryLookup(config.geoipDb);
  const accessLog = new AccessLog({
    shipper: accessShipperOf(config.accessLog.destination, gatewayId, () => current.watcher.connection),
    metrics: metrics.access,
    logger: logger.child({ component: 'access-log' }),
    // A request that matched no resource is filed under the gateway's org (when it serves one).
    defaultOrg: () => identity?.orgId ?? soleOrg(configs),
    capacity: config.accessLog.queueCapacity,
  });
  const sharedBuckets = config.sharedLimits
    ? new SharedBuckets(config.sharedLimits.redisUrl, config.sharedLimits.prefix)
    : undefined;
  const httpsPortSuffix = config.https.port === 443 ? '' : `:${config.https.port}`;
  const tunnels = new TunnelRegistry(
    configs,
    (resource) =>
      resource.protocol === 'http'
        ? `https://${resource.domains[0] ?? config.baseDomain}${httpsPortSuffix}`
        : `${resource.protocol}://${config.baseDomain}:${resource.publicPort ?? 0}`,
    logger.child({ component: 'tunnels' }),
  );
  const l4Options = {
    host: config.http.host,
    connectTimeoutMs: config.l4.connectTimeoutSeconds * 1000,
    udpIdleMs: config.l4.udpIdleTimeoutSeconds * 1000,
    udpMaxFlows: config.l4.udpMaxFlows,
    countries,
    metrics: metrics.access,
    accessLog,
    tunnels,
  };
  const httpProxy = new HttpProxy(configs, logger.child({ component: 'http' }), {
    tunnels,
    forwarding: new Forwarding(balancer, l4Options, logger.child({ component: 'forward' }), configs),
    accessLog,
    countries,
    balancer,
    assertions,
    consoleUrl: config.consoleUrl,
    maxHeaderBytes: config.maxHeaderBytes,
    trustedProxies: new TrustedProxies(config.trustedProxies),
    upstream: config.upstream,
    sharedBuckets,
  });
  const proxy = await httpProxy.listen(config.http.port, config.http.host, config.timeouts);
  const localCa = await LocalCa.open(dataDir);
  const certificates = await TlsCertificates.create({
    localCa,
    baseDomain: config.baseDomain,
    serves: (host) => httpProxy.serves(host),
    files: config.tls.files,
    logger: logger.child({ component: 'tls' }),
  });
  const acme = config.tls.acme
    ? new AcmeCertificates({
        ...config.tls.acme,
        dataDir,
        store: certificates.store,
        logger: logger.child({ component: 'acme' }),
      })
    : undefined;
  if (acme) {
    httpProxy.answerAcmeChallenges((token) => acme.answer(token));
    configs.onChanged(() => acme.follow(httpProxy.exactDomains()));
    acme.follow(httpProxy.exactDomains());
  }
  const secureProxy = await httpProxy.listenHttps(
    config.https.port,
    config.https.host,
    certificates,
    config.timeouts,
  );
  const l4 = new L4Listeners(balancer, l4Options, logger.child({ component: 'l4' }), configs);
  const server = await startManagementApi({
    host: config.management.host,
    port: config.management.port,
    gatewayId,
    configs,
    connected: () => current.watcher.connected,
    metrics,
    logger,
    dataPlane: () => ({ balancing: balancer.status(), listeners: l4.status(), tunnels: tunnels.status() }),
    assertionJwks: () => assertions.jwks(),
  });
  logger.info(
    {
      http: `${config.http.host}:${config.http.port}`,
      https: `${config.https.host}:${config.https.port}`,
      localCa: localCa.certPath,
      gatewayId,
      sites: config.siteIds,
      management: `http://${config.management.host}:${config.management.port}`,
    },
    'gateway started',
  );
  logger.info(
    { caCert: localCa.certPath, example: `https://app.${config.baseDomain}:${config.https.port}/` },
    'hosts without another certificate get one from the development CA: trust its certificate to browse without warnings',
  );
  const connections = new HttpConnections();
  connections.track(proxy, false);
  connections.track(secureProxy, true);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: stopping without waiting');
      process.exit(1);
    }
    stopping = true;
    logger.info(
      { signal, drain_timeout_s: config.drainTimeoutSeconds },
      'stopping: no new connections, draining',
    );
    tunnels.close(); // GOAWAY: streams in flight finish, clients reconnect elsewhere or after restart
    await drainGateway({
      servers: [proxy, secureProxy],
      connections,
      l4,
      timeoutMs: config.drainTimeoutSeconds * 1000,
      logger,
    });
    server.close();
    balancer.stop();
    acme?.stop();
    sharedBuckets?.close();
    await Promise.race([
      accessLog.close().then(() => current.stop()),
      new Promise((resolve) => setTimeout(resolve, 5_000)),
    ]);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** The org of the sites served, when they all belong to one. */
function soleOrg(configs: SiteConfigs): string | undefined {
  const orgs = new Set([...configs.all().values()].map((a) => a.snapshot.orgId));
  return orgs.size === 1 ? [...orgs][0] : undefined;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `rustronaut-gateway: ${error instanceof ConfigError ? error.message : (error as Error).message}\n`,
  );
  process.exit(error instanceof ConfigError ? 2 : 1);
});
