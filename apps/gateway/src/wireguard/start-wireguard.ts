import type { Registry } from 'prom-client';
import type { Logger } from '@rustronaut/observability';
import type { SiteConfigs } from '../control/site-configs';
import { WireGuardGateway } from './wireguard-gateway';

/** The gateway's WireGuard flags (`--wireguard-port`, `--wireguard-interface`, `--no-wireguard`). */
export interface WireGuardFlags {
  wireguard?: boolean;
  wireguardPort?: string;
  wireguardInterface?: string;
}

/**
 * Starts the gateway's WireGuard interface from its flags, or nothing with `--no-wireguard`. It
 * never fails the gateway: when WireGuard cannot run, the log and /status say why.
 */
export async function startWireGuard(
  flags: WireGuardFlags,
  control: { configs: SiteConfigs; dataDir: string; metrics: { registry: Registry } },
  logger: Logger,
): Promise<WireGuardGateway | undefined> {
  if (flags.wireguard === false) return undefined;
  const port = Number(flags.wireguardPort ?? 51820);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`--wireguard-port must be a port number from 1 to 65535, not ${flags.wireguardPort}`);
  const wireguard = new WireGuardGateway(
    { ifname: flags.wireguardInterface ?? 'rnwg0', listenPort: port, dataDir: control.dataDir },
    control.configs,
    logger.child({ component: 'wireguard' }),
    control.metrics.registry,
  );
  await wireguard.start();
  return wireguard;
}
