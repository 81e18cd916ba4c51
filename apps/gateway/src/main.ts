import cluster from 'node:cluster';
import { createLogger } from '@rustronaut/observability';
import type * as CommandLine from './command-line';
import type * as ControlPlane from './control/control-plane';
import type * as Primary from './cores/primary';
import type * as SingleProcess from './cores/single-process';
import type * as Worker from './cores/worker';
import type * as WireGuard from './wireguard/start-wireguard';

/**
 * The gateway: its control plane and its data plane, in one process (RN_GATEWAY_WORKERS=1), or a
 * primary with the control plane and that many data-plane workers on shared sockets.
 */
async function main(): Promise<void> {
  // A data-plane worker takes its settings from the primary, which parsed and checked them: it loads
  // neither the command line parser nor the settings' schemas (zod), about 6 MB a worker.
  if (cluster.isWorker) return (require('./cores/worker') as typeof Worker).runWorker();
  const { flags, settings } = (require('./command-line') as typeof CommandLine).readCommandLine();
  const config = settings();
  const logger = createLogger('gateway', config.logLevel);
  // Each way of running loads only its own modules: a single process never loads the primary's, and
  // a data-plane worker neither the control plane (NATS watchers, management API) nor WireGuard.
  const { startControlPlane } = require('./control/control-plane') as typeof ControlPlane;
  const control = await startControlPlane(config, logger);
  // One interface per gateway, owned by the process that keeps the control plane.
  const { startWireGuard } = require('./wireguard/start-wireguard') as typeof WireGuard;
  const wireguard = await startWireGuard(flags, control, logger);
  if (wireguard) control.reportWireGuard(() => wireguard.report());
  if (config.workers > 1)
    return (require('./cores/primary') as typeof Primary).runPrimary(control, config.workers, settings);
  return (require('./cores/single-process') as typeof SingleProcess).runSingleProcess(
    config,
    logger,
    control,
    wireguard,
  );
}

main().catch((error: unknown) => {
  const invalid = (require('./command-line') as typeof CommandLine).isConfigError(error);
  process.stderr.write(`rustronaut-gateway: ${(error as Error).message}\n`);
  process.exit(invalid ? 2 : 1);
});
