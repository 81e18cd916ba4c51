import cluster from 'node:cluster';
import { Command } from 'commander';
import { ConfigError, loadGatewayConfig } from '@rustronaut/config';
import { createLogger } from '@rustronaut/observability';
import type * as ControlPlane from './control/control-plane';
import type * as Primary from './cores/primary';
import type * as SingleProcess from './cores/single-process';
import type * as Worker from './cores/worker';
import type * as WireGuard from './wireguard/start-wireguard';

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
  .option('--enroll <token>', 'enrolment token (RN_ENROLLMENT_TOKEN)')
  .option(
    '--wireguard-port <port>',
    'WireGuard listen port (default: the gateway’s wireguard_port in the console, told at enrolment)',
  )
  .option('--wireguard-interface <name>', 'the WireGuard interface this gateway owns', 'rnwg0')
  .option('--no-wireguard', 'do not run a WireGuard interface')
  .showHelpAfterError();

/**
 * The gateway: its control plane and its data plane, in one process (RN_GATEWAY_WORKERS=1), or a
 * primary with the control plane and that many data-plane workers on shared sockets.
 */
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
    wireguard: boolean;
    wireguardPort?: string;
    wireguardInterface: string;
  }>();
  const config = loadGatewayConfig(process.env, { ...flags, managementPort: flags.managementPort });
  const logger = createLogger('gateway', config.logLevel);
  // Each way of running loads only its own modules: a single process never loads the primary's, and
  // a data-plane worker neither the control plane (NATS watchers, management API) nor WireGuard.
  if (cluster.isWorker) return (require('./cores/worker') as typeof Worker).runWorker(config, logger);
  const { startControlPlane } = require('./control/control-plane') as typeof ControlPlane;
  const control = await startControlPlane(config, logger);
  // One interface per gateway, owned by the process that keeps the control plane.
  const { startWireGuard } = require('./wireguard/start-wireguard') as typeof WireGuard;
  const wireguard = await startWireGuard(flags, control, logger);
  if (wireguard) control.reportWireGuard(() => wireguard.report());
  if (config.workers > 1)
    return (require('./cores/primary') as typeof Primary).runPrimary(control, config.workers);
  return (require('./cores/single-process') as typeof SingleProcess).runSingleProcess(
    config,
    logger,
    control,
    wireguard,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `rustronaut-gateway: ${error instanceof ConfigError ? error.message : (error as Error).message}\n`,
  );
  process.exit(error instanceof ConfigError ? 2 : 1);
});
