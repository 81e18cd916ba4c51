import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadGatewayConfig, type ConsoleConfig } from '@rustronaut/config';
import type { Principal } from '@rustronaut/contracts';
import { ServiceClient, connectNats, type PolicyClient, type RegistryClient } from '@rustronaut/messaging';
import type { Reporter } from './infrastructure';
import { PLATFORM_NODE_OPTIONS } from './node-options';
import { whenAnswered } from './readiness';
import type { ServiceSpec } from './supervisor';

/** The launcher acts for the operator of this machine: an owner of the default organisation. */
export const LAUNCHER: Principal = {
  kind: 'api_key',
  id: 'platform-launcher',
  orgId: 'org_default',
  role: 'owner',
  userId: 'platform-launcher',
};

/** Where the local gateway keeps its identity, certificates and snapshots. */
export const localGatewayDir = (dataDir: string) => join(dataDir, 'gateway');

/**
 * The local gateway's development CA (made on its first start): the console hands it to clients
 * (GET /api/v1/edge), so `rustronaut login` pins it, unless RN_EDGE_CA_FILE names another.
 */
export function withLocalGatewayCa(config: ConsoleConfig, dataDir: string): ConsoleConfig {
  if (config.exposure.developmentCaFile) return config;
  const developmentCaFile = join(localGatewayDir(dataDir), 'tls', 'ca.crt');
  return { ...config, exposure: { ...config.exposure, developmentCaFile } };
}

/**
 * One local gateway, so the platform is whole on one machine: it serves the default organisation's
 * first site (a `local` site is created when there is none) and is enrolled on its first start;
 * later starts reuse its identity in `<data dir>/gateway`.
 */
export async function localGateway(
  config: ConsoleConfig,
  dataDir: string,
  natsUrl: string | undefined,
  report: Reporter,
): Promise<{ spec: ServiceSpec; siteId: string; listening: string; healthUrl: string }> {
  const rpc = await connectNats(
    natsUrl ? { ...config, natsServers: [natsUrl] } : config,
    'platform-launcher',
  );
  try {
    const policy: PolicyClient = new ServiceClient(rpc, 'policy', 15_000);
    const registry: RegistryClient = new ServiceClient(rpc, 'gateway-registry', 15_000);
    const sites = await whenAnswered(
      'the policy service',
      () => policy.request('policy.sites.list', { principal: LAUNCHER, limit: 1 }),
      report,
    );
    const site =
      sites.items[0] ??
      (await whenAnswered(
        'the policy service',
        () =>
          policy.request('policy.sites.create', {
            principal: LAUNCHER,
            site: { name: 'local', subnet: '10.255.0.0/24', region: 'local', connectionType: 'local' },
          }),
        report,
      ));
    const gatewayDir = localGatewayDir(dataDir);
    const args = [
      '--console',
      config.api.publicUrl,
      '--data-dir',
      gatewayDir,
      ...(natsUrl ? ['--nats', natsUrl] : []),
    ];
    if (!existsSync(join(gatewayDir, 'identity.json'))) {
      const created = await whenAnswered(
        'the gateway-registry service',
        () =>
          registry.request('registry.gateways.create', {
            principal: LAUNCHER,
            gateway: { name: 'local', region: 'local', siteIds: [site.id], publicIp: '127.0.0.1' },
          }),
        report,
      );
      args.push('--enroll', created.enrollmentToken);
    }
    // The gateway reads the same RN_GATEWAY_* variables; read them here only to tell where it listens.
    const gateway = loadGatewayConfig(process.env, { dataDir: gatewayDir });
    return {
      spec: {
        name: 'gateway',
        entry: resolve(__dirname, '../../gateway/src/main.js'),
        args,
        nodeOptions: PLATFORM_NODE_OPTIONS,
        // Its memory at rest counts (issue 18: ≤ 80 MB per process): it keeps no source maps, as the
        // systemd unit's gateway does not; NODE_OPTIONS=--enable-source-maps npm start maps its stacks.
        sourceMaps: false,
      },
      siteId: site.id,
      healthUrl: `http://127.0.0.1:${gateway.management.port}/healthz`,
      listening:
        `HTTP on :${gateway.http.port}, HTTPS on :${gateway.https.port} ` +
        `(https://app.${gateway.baseDomain}:${gateway.https.port} for a resource with domain app.${gateway.baseDomain}; ` +
        `development CA to trust: ${join(gatewayDir, 'tls', 'ca.crt')}); management API on http://127.0.0.1:${gateway.management.port}`,
    };
  } finally {
    await rpc.close();
  }
}
