import type { Registry } from 'prom-client';
import type { Logger } from '@rustronaut/observability';
import type { SiteConfigs } from '../control/site-configs';
import type * as WireGuard from './wireguard-gateway';
import type { WireGuardGateway } from './wireguard-gateway';

/** The gateway's WireGuard flags (`--wireguard-port`, `--wireguard-interface`, `--no-wireguard`). */
export interface WireGuardFlags {
  wireguard?: boolean;
  wireguardPort?: string;
  wireguardInterface?: string;
}

/** WireGuard's default UDP port (and the console's default `wireguard_port`). */
export const DEFAULT_WIREGUARD_PORT = 51820;

/**
 * The port the interface listens on: `--wireguard-port` when given (it overrides the console),
 * else the gateway's `wireguard_port` as the console said it at enrolment or since, else 51820.
 */
export function wireGuardListenPort(flag: string | undefined, fromConsole: number | undefined): number {
  if (flag === undefined) return fromConsole ?? DEFAULT_WIREGUARD_PORT;
  const port = Number(flag);
  if (!/^\d+$/.test(flag) || port < 1 || port > 65535)
    throw new Error(`--wireguard-port must be a port number from 1 to 65535, not ${flag}`);
  return port;
}

/**
 * Starts the gateway's WireGuard interface from its flags, or nothing with `--no-wireguard`. It
 * never fails the gateway: when WireGuard cannot run, the log and /status say why. Without
 * `--wireguard-port` it listens on the port the console gives the gateway, and follows changes.
 */
export async function startWireGuard(
  flags: WireGuardFlags,
  control: {
    configs: SiteConfigs;
    dataDir: string;
    metrics: { registry: Registry };
    wireguardPort: () => number | undefined;
    onWireGuardPort(listener: (port: number) => void): void;
  },
  logger: Logger,
): Promise<WireGuardGateway | undefined> {
  if (flags.wireguard === false) return undefined;
  const port = wireGuardListenPort(flags.wireguardPort, control.wireguardPort());
  // The interface's modules load only in a gateway that runs one.
  const { WireGuardGateway } = require('./wireguard-gateway') as typeof WireGuard;
  const wireguard = new WireGuardGateway(
    { ifname: flags.wireguardInterface ?? 'rnwg0', listenPort: port, dataDir: control.dataDir },
    control.configs,
    logger.child({ component: 'wireguard' }),
    control.metrics.registry,
  );
  if (flags.wireguardPort === undefined) control.onWireGuardPort((next) => wireguard.setListenPort(next));
  await wireguard.start();
  return wireguard;
}
