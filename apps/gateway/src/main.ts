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
import { enroll, readIdentity } from './control/enrollment';
import { Reports } from './control/reports';

const program = new Command()
  .name('rustronaut-gateway')
  .description('The Rustronaut edge gateway: serves its sites from a signed config it keeps on disk.')
  .option('--sites <ids>', 'site ids to serve, comma-separated (RN_GATEWAY_SITES)')
  .option('--nats <url>', 'NATS servers (RN_NATS_URL)')
  .option('--console <url>', 'console URL, for the config keys on first start (RN_CONSOLE_URL)')
  .option('--data-dir <dir>', 'where identity, keys and snapshots live (RN_GATEWAY_DATA_DIR)')
  .option('--management-port <port>', 'management API port (RN_GATEWAY_MANAGEMENT_PORT, default 9090)')
  .option('--gateway-id <id>', 'this gateway’s id (RN_GATEWAY_ID)')
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
    gatewayId?: string;
    enroll?: string;
  }>();
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
  const watcher = new ConfigWatcher({
    servers: config.natsServers,
    siteIds,
    configs,
    logger,
    name: gatewayId,
    inboxPrefix: `_INBOX_${gatewayId}`,
    ...(identity?.natsJwt && identity.natsSeed
      ? { credentials: { jwt: identity.natsJwt, seed: identity.natsSeed } }
      : {}),
  });
  const reports = identity ? new Reports(identity, configs, () => watcher.connection) : undefined;
  if (reports) watcher.whenConnected(() => reports.start());
  watcher.start();
  const server = await startManagementApi({
    host: config.management.host,
    port: config.management.port,
    gatewayId,
    configs,
    connected: () => watcher.connected,
    metrics,
    logger,
  });
  logger.info(
    {
      gatewayId,
      sites: config.siteIds,
      management: `http://${config.management.host}:${config.management.port}`,
    },
    'gateway started',
  );
  const stop = (signal: string) => {
    logger.info({ signal }, 'stopping');
    server.close();
    reports?.stop();
    void watcher.stop().finally(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `rustronaut-gateway: ${error instanceof ConfigError ? error.message : (error as Error).message}\n`,
  );
  process.exit(error instanceof ConfigError ? 2 : 1);
});
