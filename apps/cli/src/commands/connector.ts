import { isIP } from 'node:net';
import { ipInCidr, isCidr } from '@rustronaut/contracts';
import { TunnelClient, type StreamInfo } from '@rustronaut/tunnel';
import { readCa } from '../ca-file';
import type { CommandContext } from '../context';
import { CliError, CliErrorCode, usage } from '../errors';
import { gatewayTrust } from '../gateway-trust';
import { duration } from '../output';
import { tunnelEndpoint } from '../tunnel-endpoint';
import { VERSION } from '../version';

export interface ConnectorOptions {
  token?: string;
  gateway?: string;
  ca?: string;
  allow?: string[];
}

/**
 * `rustronaut connector --token T`: serves a whole site's targets through one outbound tunnel, for
 * a private network with no inbound ports (the site's `connection_type: "tunnel"`). The gateway
 * names each target it needs (`10.1.0.100:5432`); `--allow` limits what may be reached.
 */
export async function connector(ctx: CommandContext, options: ConnectorOptions): Promise<void> {
  const token = options.token ?? '';
  if (!/^rnc_/.test(token))
    throw usage(
      'a connector needs its site token (rnc_…)',
      'issue one with `POST /api/v1/sites/{id}/connector` and pass it with --token',
    );
  const allow = options.allow ?? [];
  for (const cidr of allow)
    if (!isCidr(cidr)) throw usage(`"${cidr}" is not a CIDR`, 'e.g. --allow 10.1.0.0/24');
  // Logged in: the console's tunnel endpoint and the CA pinned at login; else --gateway and --ca.
  const caFile = options.ca ?? ctx.config.caFile;
  const trust = ctx.store.load() ? await gatewayTrust(ctx, ctx.client(), caFile) : undefined;
  const endpointText = options.gateway ?? trust?.edge.tunnel_endpoint;
  if (!endpointText)
    throw usage(
      'where is the gateway?',
      'give its tunnel endpoint with --gateway host:port (the connector token came with it)',
    );
  const ca = trust ? trust.ca : readCa(caFile);
  const tunnel = new TunnelClient({
    gateway: tunnelEndpoint(endpointText),
    token,
    services: [],
    agent: `rustronaut-connector/${VERSION} node/${process.versions.node}`,
    ...(ca ? { ca } : {}),
    resolve: (authority) => {
      const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(authority);
      if (!match) return undefined;
      const host = match[1]!;
      if (allow.length && !(isIP(host) && allow.some((cidr) => ipInCidr(host, cidr)))) return undefined;
      return { host, port: Number(match[2]) };
    },
  });
  const out = ctx.output;
  let connectedBefore = false;
  tunnel.on('connected', () => {
    out.event(
      connectedBefore
        ? '✓ Connector reconnected'
        : `✓ Connector connected to ${endpointText} (Ctrl-C to stop)`,
      { event: 'connected', gateway: endpointText },
    );
    connectedBefore = true;
  });
  tunnel.on('disconnected', ({ reason, retryInMs }: { reason: string; retryInMs: number }) =>
    out.event(`✗ Disconnected (${reason}), reconnecting in ${duration(retryInMs)}`, {
      event: 'disconnected',
      reason,
      retry_in_ms: retryInMs,
    }),
  );
  tunnel.on('stream', (s: StreamInfo) =>
    out.event(
      s.outcome === 'connected' ? `→ ${s.kind} to ${s.service}` : `✗ ${s.service}: ${s.reason ?? 'refused'}`,
      { event: s.outcome === 'connected' ? 'stream' : 'stream_refused', target: s.service, kind: s.kind },
    ),
  );
  const refused = new Promise<{ code: string; message: string }>((resolve) =>
    tunnel.on('refused', (r: { code: string; message: string; retryAfterS: number | null }) => {
      if (r.retryAfterS === 0) resolve(r);
      else out.event(`✗ Refused (${r.message}), retrying`, { event: 'refused', code: r.code });
    }),
  );
  tunnel.start();
  const outcome = await Promise.race([ctx.io.interrupted().then(() => undefined), refused]);
  await tunnel.stop();
  if (outcome)
    throw new CliError(
      CliErrorCode.TunnelRefused,
      `the gateway refused the connector: ${outcome.message} (${outcome.code})`,
      'issue a new connector token for the site and start again',
    );
  out.event('✓ Connector stopped', { event: 'stopped' });
}
