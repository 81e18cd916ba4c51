import { Command } from 'commander';
import { ConfigError, loadGatewayConfig, type GatewayConfig } from '@rustronaut/config';

export interface GatewayFlags {
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
}

/**
 * The gateway's command line and settings, read by the primary or the one process. A data-plane
 * worker gets its settings from the primary, which read and checked them, so it loads neither the
 * command line parser nor the settings' schemas (zod): about 6 MB a worker.
 */
export function readCommandLine(argv: string[] = process.argv): {
  flags: GatewayFlags;
  /** The settings from the environment and the flags; read again for each generation of workers (a reload). */
  settings: () => GatewayConfig;
} {
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
  program.parse(argv);
  const flags = program.opts<GatewayFlags>();
  return {
    flags,
    settings: () => loadGatewayConfig(process.env, { ...flags, managementPort: flags.managementPort }),
  };
}

export const isConfigError = (error: unknown): boolean => error instanceof ConfigError;
