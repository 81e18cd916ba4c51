import { data, type ConsoleClient } from './console-client';
import { readCa } from './ca-file';
import type { CommandContext } from './context';
import type { Credentials } from './credentials';
import { CliError, CliErrorCode } from './errors';

/** What the console says about its gateways (GET /api/v1/edge), as `rustronaut login` stores it. */
export type Edge = NonNullable<Credentials['edge']>;
type PinnedCa = NonNullable<Edge['development_ca']>;

/** Where the gateways are and the development CA they serve, as the console says now. */
export async function edgeOf(client: ConsoleClient): Promise<Edge> {
  const edge = await data(client.api.GET('/api/v1/edge'));
  return { tunnel_endpoint: edge.tunnel_endpoint, development_ca: edge.development_ca };
}

/** A fingerprint short enough to read, long enough to tell two apart: `AB:CD:EF:01…89:AB`. */
export const shortFingerprint = (sha256: string) => `${sha256.slice(0, 11)}…${sha256.slice(-5)}`;

/** What login says about the CA it pinned. */
export function pinnedLines(edge: Edge): string[] {
  const ca = edge.development_ca;
  return ca
    ? [`✓ Gateways' development CA pinned (sha256 ${shortFingerprint(ca.sha256)}): no --ca needed`]
    : [];
}

/** The TLS trust for the gateways, and what to say when a gateway's certificate does not verify. */
export interface GatewayTrust {
  /** CA certificates (PEM) to trust besides the system's; undefined: the system's roots only. */
  ca: Buffer | undefined;
  /** The console's edge as it is now. */
  edge: Edge;
  /** A hint for a certificate the gateway showed that this trust does not accept. */
  untrustedHint: string;
}

/**
 * The CA to trust for this console's gateways: `--ca FILE` (or RN_CA_FILE) when given, else the
 * development CA pinned at `rustronaut login`. The console is asked again each time: a CA that
 * differs from the pinned one is a hard error that says what changed, never a silent switch.
 * Credentials stored before pinning existed take the console's CA now (as login would).
 */
export async function gatewayTrust(
  ctx: CommandContext,
  client: ConsoleClient,
  caFile: string | undefined,
): Promise<GatewayTrust> {
  const edge = await edgeOf(client);
  if (caFile)
    return {
      ca: readCa(caFile),
      edge,
      untrustedHint: `the gateway's certificate is not signed by a CA in ${caFile}`,
    };
  const credentials = ctx.credentials();
  let pinned: PinnedCa | null;
  if (credentials.edge) {
    pinned = credentials.edge.development_ca;
    const now = edge.development_ca;
    if (now && now.sha256 !== pinned?.sha256) throw caChanged(client.url, pinned, now);
  } else {
    pinned = edge.development_ca;
    ctx.store.save({ ...credentials, edge });
    for (const line of pinnedLines(edge)) ctx.output.note(line);
  }
  return {
    ca: pinned ? Buffer.from(pinned.pem) : undefined,
    edge,
    untrustedHint: pinned
      ? `the gateway's certificate is not signed by the development CA pinned at login (sha256 ${shortFingerprint(pinned.sha256)}); if the gateway was reinstalled, ask its console and log in again`
      : "the gateway's certificate is not trusted by this machine: give its CA with --ca FILE (or RN_CA_FILE)",
  };
}

function caChanged(url: string, pinned: PinnedCa | null, now: PinnedCa): CliError {
  const was = pinned ? `sha256 ${pinned.sha256}` : 'none';
  return new CliError(
    CliErrorCode.GatewayCaChanged,
    `the gateways' development CA at ${url} changed since you logged in: pinned ${was}, the console now names sha256 ${now.sha256}`,
    'if this console was reinstalled (a new data directory), log in again to pin the new CA; if not, do not trust it: something else may be answering',
  );
}
