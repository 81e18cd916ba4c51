import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Server } from 'node:http';
import type { NatsConnection } from 'nats';
import type { GatewayConfig } from '@rustronaut/config';
import type { GatewayAssignment, GatewayReport } from '@rustronaut/contracts';
import type { Logger } from '@rustronaut/observability';
import type { AccessShipper } from '../access-log/access-log';
import { accessShipperOf } from '../access-log/shippers';
import { AssertionKey } from '../data-path/admission/auth/identity-assertion';
import { RouteTable } from '../data-path/http/route-table';
import { AcmeCertificates } from '../data-path/tls/acme-certificates';
import type { CertificateStore } from '../data-path/tls/certificate-store';
import { LocalCa } from '../data-path/tls/local-ca';
import { AssignmentSync, assignmentChanges } from './assignment-sync';
import { loadConfigKeys } from './config-keys';
import { ConfigWatcher } from './config-watcher';
import { enroll, readIdentity, saveIdentity, type GatewayIdentity } from './enrollment';
import { createGatewayMetrics, startManagementApi, type GatewayMetrics } from './management-api';
import { Reports } from './reports';
import { SiteConfigs, soleOrg } from './site-configs';
import { SnapshotFiles } from './snapshot-file';

/**
 * The gateway's control plane, one per gateway: its identity (enrolment), the signed snapshots it
 * follows on NATS and keeps on disk, its reports and assignment, the development CA and the
 * identity-assertion key (created here once, read by every data-plane process), ACME orders, the
 * access log's destination and the management API. The data plane runs beside it in the same
 * process (RN_GATEWAY_WORKERS=1) or in worker processes (see ../workers).
 */
export interface ControlPlane {
  config: GatewayConfig;
  logger: Logger;
  dataDir: string;
  gatewayId: string;
  siteIds: () => string[];
  configs: SiteConfigs;
  metrics: GatewayMetrics;
  assertions: AssertionKey;
  localCa: LocalCa;
  /** Where access records go (the console over NATS, a file, stdout), or nowhere. */
  shipper: AccessShipper | undefined;
  /** The org a record without a resource is filed under. */
  defaultOrg: () => string | undefined;
  connected: () => boolean;
  /** ACME orders and renewals (when RN_ACME_DIRECTORY_URL is set), into `store`. */
  startAcme(
    store: CertificateStore,
    onChallenge?: (token: string, keyAuthorization: string | undefined) => Promise<void>,
  ): AcmeCertificates | undefined;
  /** The UDP port the console gave this gateway's WireGuard (enrolment, then each assignment). */
  wireguardPort: () => number | undefined;
  /** Called when the console changes this gateway's WireGuard port. */
  onWireGuardPort(listener: (port: number) => void): void;
  /** Heartbeats carry the WireGuard interface's key and peer counters from this source. */
  reportWireGuard(report: () => Promise<GatewayReport['wireguard']>): void;
  /** Reports carry what the data path serves (targets' health, tunnels, certificates) from this source. */
  reportRuntime(report: () => Promise<GatewayReport['runtime']>): void;
  /** What the data path serves changed: the console is told within a moment, not at the next heartbeat. */
  runtimeChanged(): void;
  serveManagement(options: {
    dataPlane: () => Record<string, unknown> | Promise<Record<string, unknown>>;
    metricsText?: () => Promise<string>;
  }): Promise<Server>;
  stop(): Promise<void>;
}

export async function startControlPlane(config: GatewayConfig, logger: Logger): Promise<ControlPlane> {
  const dataDir = resolve(config.dataDir);
  let identity = await readIdentity(dataDir);
  if (!identity && config.enrollmentToken) {
    identity = await enroll(dataDir, config.consoleUrl, config.enrollmentToken);
    logger.info({ gatewayId: identity.gatewayId, sites: identity.siteIds }, 'enrolled');
  }
  let siteIds = config.siteIds.length ? config.siteIds : (identity?.siteIds ?? []);
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
  /** What the heartbeats say of the WireGuard interface, once main.ts started one. */
  let wireguardReport: () => Promise<GatewayReport['wireguard']> = () => Promise.resolve(undefined);
  /** What the heartbeats say the data path serves, once main.ts or the primary set its source. */
  let runtimeReport: () => Promise<GatewayReport['runtime']> = () => Promise.resolve(undefined);
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
    const reports = who
      ? new Reports(
          who,
          configs,
          () => watcher.connection,
          () => wireguardReport(),
          () => runtimeReport(),
        )
      : undefined;
    const assignment = who
      ? new AssignmentSync(
          () => identity ?? who,
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
      reports,
      async stop() {
        reports?.stop();
        assignment?.stop();
        await watcher.stop();
      },
    };
  };
  let current = follow(identity, siteIds);
  const portListeners: ((port: number) => void)[] = [];
  /**
   * The console changed this gateway's sites or WireGuard port: keep the new identity; for new
   * sites, drop the old ones and follow the new ones; for a new port, tell the interface.
   */
  const reassign = async (next: GatewayAssignment) => {
    if (!identity) return;
    const changes = assignmentChanges(identity, next);
    const previous = identity.siteIds;
    identity = await saveIdentity(dataDir, {
      ...identity,
      siteIds: next.siteIds,
      natsJwt: next.natsJwt,
      ...(changes.wireguardPort ? { wireguardPort: next.wireguardPort } : {}),
    });
    if (changes.wireguardPort) {
      logger.warn({ wireguardPort: next.wireguardPort }, 'the console changed this gateway’s WireGuard port');
      for (const listener of portListeners) listener(next.wireguardPort);
    }
    if (!changes.sites) return;
    siteIds = next.siteIds;
    for (const siteId of previous.filter((s) => !next.siteIds.includes(s))) configs.withdraw(siteId);
    for (const siteId of next.siteIds.filter((s) => !previous.includes(s)))
      await configs.loadFromDisk(siteId);
    logger.warn({ from: previous, to: next.siteIds }, 'the console changed the sites this gateway serves');
    await current.stop();
    current = follow(identity, next.siteIds);
  };
  const connection = (): NatsConnection | undefined => current.watcher.connection;
  // Made here once, before any data-plane process reads them.
  const assertions = await AssertionKey.load(dataDir, gatewayId);
  const localCa = await LocalCa.open(dataDir);
  const shipper = accessShipperOf(config.accessLog.destination, gatewayId, connection);
  return {
    config,
    logger,
    dataDir,
    gatewayId,
    siteIds: () => siteIds,
    configs,
    metrics,
    assertions,
    localCa,
    shipper,
    defaultOrg: () => identity?.orgId ?? soleOrg(configs),
    connected: () => current.watcher.connected,
    wireguardPort: () => identity?.wireguardPort,
    onWireGuardPort(listener) {
      portListeners.push(listener);
    },
    reportWireGuard(report) {
      wireguardReport = report;
    },
    reportRuntime(report) {
      runtimeReport = report;
    },
    runtimeChanged() {
      current.reports?.changed();
    },
    startAcme(store, onChallenge) {
      if (!config.tls.acme) return undefined;
      const acme = new AcmeCertificates({
        ...config.tls.acme,
        dataDir,
        store,
        logger: logger.child({ component: 'acme' }),
        ...(onChallenge ? { onChallenge } : {}),
      });
      const domains = () => new RouteTable([...configs.all().values()].map((a) => a.snapshot)).exactDomains();
      configs.onChanged(() => acme.follow(domains()));
      acme.follow(domains());
      return acme;
    },
    serveManagement: ({ dataPlane, metricsText }) =>
      startManagementApi({
        host: config.management.host,
        port: config.management.port,
        gatewayId,
        configs,
        connected: () => current.watcher.connected,
        metrics,
        logger,
        dataPlane,
        ...(metricsText ? { metricsText } : {}),
        assertionJwks: () => assertions.jwks(),
      }),
    async stop() {
      await Promise.race([
        (async () => {
          await shipper?.close?.();
          await current.stop();
        })(),
        new Promise((done) => setTimeout(done, 5_000)),
      ]);
    },
  };
}
