import type { GatewayConfig } from '@rustronaut/config';
import type { Logger } from '@rustronaut/observability';
import type { Tunnel } from '@rustronaut/tunnel';
import type { ControlPlane } from '../control/control-plane';
import { runtimeReport } from '../control/runtime-report';
import { SharedBuckets } from '../data-path/admission/limits/shared-buckets';
import { startDataPlane } from '../data-path/data-plane';
import { registerBalancerMetrics } from '../data-path/upstream/balancer/balancer-metrics';
import type { WireGuardGateway } from '../wireguard/wireguard-gateway';

/**
 * The gateway in one process (RN_GATEWAY_WORKERS=1): the data plane beside the control plane,
 * what it serves in the reports, ACME's HTTP-01 answers, the management API, and a graceful stop
 * on SIGTERM or SIGINT. With more workers, see primary.ts and worker.ts.
 */
export async function runSingleProcess(
  config: GatewayConfig,
  logger: Logger,
  control: ControlPlane,
  wireguard: WireGuardGateway | undefined,
): Promise<void> {
  const dataPlane = await startDataPlane({
    config,
    logger,
    configs: control.configs,
    access: control.metrics.access,
    shipper: control.shipper,
    defaultOrg: control.defaultOrg,
    assertions: control.assertions,
    localCa: control.localCa,
    buckets: config.sharedLimits
      ? new SharedBuckets(config.sharedLimits.redisUrl, config.sharedLimits.prefix)
      : undefined,
    healthChecks: true,
    udp: true,
  });
  registerBalancerMetrics(control.metrics.registry, dataPlane.balancer);
  // The console is told what this gateway serves: with each heartbeat, and soon after a change.
  control.reportRuntime(() =>
    Promise.resolve(
      runtimeReport(
        { balancing: dataPlane.balancer.status(), tunnels: dataPlane.tunnels.status() },
        dataPlane.certificates.store.served(),
      ),
    ),
  );
  dataPlane.balancer.health.onResult((_, changed) => changed && control.runtimeChanged());
  dataPlane.balancer.onEjected(() => control.runtimeChanged());
  dataPlane.tunnels.server.on('tunnel', (tunnel: Tunnel) => {
    control.runtimeChanged();
    tunnel.once('close', () => control.runtimeChanged());
  });
  const acme = control.startAcme(dataPlane.certificates.store);
  if (acme) dataPlane.httpProxy.answerAcmeChallenges((token) => acme.answer(token));
  const server = await control.serveManagement({
    dataPlane: async () => ({
      ...(await dataPlane.status()),
      wireguard: wireguard?.status() ?? { state: 'disabled' },
    }),
  });
  logger.info(
    {
      http: `${config.http.host}:${config.http.port}`,
      https: `${config.https.host}:${config.https.port}`,
      localCa: control.localCa.certPath,
      gatewayId: control.gatewayId,
      sites: config.siteIds,
      management: `http://${config.management.host}:${config.management.port}`,
    },
    'gateway started',
  );
  logger.info(
    { caCert: control.localCa.certPath, example: `https://app.${config.baseDomain}:${config.https.port}/` },
    'hosts without another certificate get one from the development CA: trust its certificate to browse without warnings',
  );
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
    await dataPlane.drain();
    server.close();
    acme?.stop();
    await wireguard?.stop();
    await control.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
