import { TunnelClient, type RequestReport, type StreamInfo } from '@rustronaut/tunnel';
import { data, type ConsoleClient } from '../console-client';
import type { CommandContext } from '../context';
import { CliError, CliErrorCode, ConsoleApiError, usage } from '../errors';
import { gatewayTrust } from '../gateway-trust';
import { exposureLines, publicView, PROTOCOLS, type ExposedService, type Protocol } from '../exposed-service';
import { checkListening, formatLocalAddress, parseLocalAddress, type LocalAddress } from '../local-address';
import { duration } from '../output';
import { untilRouted } from '../route-probe';
import { tunnelEndpoint } from '../tunnel-endpoint';
import { VERSION } from '../version';

export interface ExposeOptions {
  subdomain?: string;
  auth?: boolean;
  site?: string;
  console?: string;
  ca?: string;
}

/** How long the URL waits for the gateway to route it once the tunnel is up (a snapshot: ~1 s). */
const ROUTE_WAIT_MS = 15_000;
const SUBDOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const AGENT = `rustronaut-cli/${VERSION} node/${process.versions.node} ${process.platform}`;

/**
 * `rustronaut expose localhost:3000 http`: checks the local service, asks the console for a public
 * address, then carries the traffic through a tunnel to the gateway until Ctrl-C, which un-exposes.
 */
export async function expose(
  ctx: CommandContext,
  addressText: string,
  protocolText: string,
  options: ExposeOptions,
): Promise<void> {
  const protocol = protocolText.toLowerCase() as Protocol;
  if (!PROTOCOLS.includes(protocol))
    throw usage(`"${protocolText}" is not a protocol`, 'use http, tcp or udp');
  if (options.subdomain !== undefined && !SUBDOMAIN.test(options.subdomain))
    throw usage(
      `"${options.subdomain}" cannot be a subdomain`,
      'use lower-case letters, digits and dashes (1–63, not starting or ending with a dash)',
    );
  if (options.auth && protocol !== 'http')
    throw usage('--auth applies to http services', 'leave it out for tcp and udp');
  const requested = parseLocalAddress(addressText);
  let local: LocalAddress = requested;
  if (protocol === 'udp')
    ctx.output.note(
      `note: UDP cannot be checked before traffic arrives: make sure something listens on ${formatLocalAddress(requested)}/udp`,
    );
  else local = await checkListening(requested);
  const client = ctx.client(options.console);
  // The gateways' CA: --ca, else the one pinned at login (checked against what the console says now).
  const trust = await gatewayTrust(ctx, client, options.ca ?? ctx.config.caFile);
  const ca = trust.ca;

  // From here on Ctrl-C un-exposes instead of killing the process (even during the POST).
  let stopping = false;
  const stopRequested = ctx.io.interrupted().then(() => {
    stopping = true;
  });
  const service = await data(
    client.api.POST('/api/v1/services', {
      body: {
        local_address: formatLocalAddress(requested),
        protocol,
        ...(options.subdomain ? { subdomain: options.subdomain } : {}),
        ...(options.site ? { site_id: options.site } : {}),
        auth_required: Boolean(options.auth),
      },
    }),
  );
  const endpoint = service.tunnel?.endpoint ?? '';
  let tunnel: TunnelClient;
  try {
    if (!service.tunnel?.token)
      throw new CliError(
        CliErrorCode.ConsoleAnswer,
        'the console exposed the service but gave no tunnel token',
        'upgrade the console; the service was removed again',
      );
    tunnel = new TunnelClient({
      gateway: tunnelEndpoint(endpoint),
      token: service.tunnel.token,
      services: [{ name: service.name, protocol, serviceId: service.id, local }],
      agent: AGENT,
      ...(ca ? { ca } : {}),
    });
  } catch (error) {
    await removeQuietly(client, service);
    throw error;
  }

  if (stopping) {
    await removeQuietly(client, service); // Ctrl-C while the console was answering
    return;
  }
  ctx.output.note(`  connecting to the gateway at ${endpoint}…`);
  // The gateway refuses a token of a removed service; only the console can say it was removed.
  const stillExposed = () =>
    client.api.GET('/api/v1/services/{id}', { params: { path: { id: service.id } } }).then(
      () => true,
      (error: unknown) => !(error instanceof ConsoleApiError && error.status === 404),
    );
  // The public URL is printed once the tunnel is up and the gateway routes it: the first request works.
  const stopAnnouncing = new AbortController();
  const announce = async () => {
    const { signal } = stopAnnouncing;
    const routed = await untilRouted(service, { endpoint, ca, timeoutMs: ROUTE_WAIT_MS, signal });
    if (signal.aborted) return;
    ctx.output.event(exposureLines(service, requested.port).join('\n'), {
      event: 'exposed',
      ...publicView(service),
    });
    if (!routed)
      ctx.output.note(
        `  the gateway did not route ${service.public_url} within ${ROUTE_WAIT_MS / 1000} s: the first requests may fail`,
      );
  };
  const refusedForGood = follow(ctx, tunnel, requested, stillExposed, announce, trust.untrustedHint);
  tunnel.start();
  const outcome = await Promise.race([stopRequested, refusedForGood]);
  stopAnnouncing.abort();
  await tunnel.stop();
  const removed = await client.api
    .DELETE('/api/v1/services/{id}', { params: { path: { id: service.id } } })
    .then(
      () => true,
      (error: unknown) => {
        if (error instanceof ConsoleApiError && error.status === 404) return false; // un-exposed elsewhere
        throw error;
      },
    );
  if (outcome && !removed) {
    // `rustronaut unexpose` or the console removed it: the gateway then refuses its token. Done.
    ctx.output.event(`✓ Service ${service.name} was un-exposed elsewhere`, {
      event: 'unexposed',
      id: service.id,
      elsewhere: true,
    });
    return;
  }
  ctx.output.event(`✓ Service ${service.name} is no longer exposed`, { event: 'unexposed', id: service.id });
  if (outcome)
    throw new CliError(
      CliErrorCode.TunnelRefused,
      `the gateway refused the tunnel: ${outcome.message} (${outcome.code})`,
      'the service was removed; expose it again, or check the console if this repeats',
    );
}

/** Shows what the tunnel does; resolves when the gateway refuses it for good. */
function follow(
  ctx: CommandContext,
  tunnel: TunnelClient,
  local: LocalAddress,
  stillExposed: () => Promise<boolean>,
  announce: () => Promise<void>,
  untrustedHint: string,
): Promise<{ code: string; message: string }> {
  const out = ctx.output;
  let announced: Promise<void> | undefined;
  tunnel.on('connected', (welcome: { tunnelId: string }) => {
    const first = !announced;
    announced ??= announce();
    void announced.then(() =>
      out.event(
        first
          ? `✓ Tunnel connected, forwarding to ${formatLocalAddress(local)} (Ctrl-C to stop)`
          : '✓ Tunnel reconnected',
        { event: 'connected', tunnel_id: welcome.tunnelId },
      ),
    );
  });
  let caHinted = false;
  tunnel.on('disconnected', ({ reason, retryInMs }: { reason: string; retryInMs: number }) => {
    out.event(`✗ Tunnel disconnected (${reason}), reconnecting in ${duration(retryInMs)}`, {
      event: 'disconnected',
      reason,
      retry_in_ms: retryInMs,
    });
    if (!caHinted && /certificate|self.signed/i.test(reason)) {
      caHinted = true;
      out.note(`  → ${untrustedHint}`);
    }
  });
  tunnel.on('request', (r: RequestReport) =>
    out.event(`${r.method} ${r.path} ${r.status} ${Math.round(r.ms)}ms`, {
      event: 'request',
      method: r.method,
      path: r.path,
      status: r.status,
      ms: r.ms,
    }),
  );
  tunnel.on('stream', (s: StreamInfo) => {
    if (s.outcome === 'refused')
      out.event(`✗ ${s.reason ?? `a connection could not reach ${formatLocalAddress(local)}`}`, {
        event: 'local_unreachable',
        reason: s.reason ?? null,
      });
  });
  return new Promise((resolve) =>
    tunnel.on('refused', (refused: { code: string; message: string; retryAfterS: number | null }) => {
      if (refused.retryAfterS === 0) return resolve(refused);
      out.event(`✗ The gateway refused the tunnel (${refused.message}), retrying`, {
        event: 'refused',
        code: refused.code,
        message: refused.message,
        retry_after_s: refused.retryAfterS,
      });
      if (refused.code === 'TUNNEL_TOKEN_INVALID')
        void stillExposed().then((exposed) => {
          if (!exposed) resolve(refused);
        });
    }),
  );
}

async function removeQuietly(client: ConsoleClient, service: ExposedService): Promise<void> {
  await client.api
    .DELETE('/api/v1/services/{id}', { params: { path: { id: service.id } } })
    .catch(() => undefined);
}
