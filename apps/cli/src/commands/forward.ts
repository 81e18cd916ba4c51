import { createServer, type Socket } from 'node:net';
import { dialForward } from '@rustronaut/tunnel';
import type { CommandContext } from '../context';
import { CliError, CliErrorCode, usage } from '../errors';
import { gatewayTrust } from '../gateway-trust';
import { formatLocalAddress, parseLocalAddress } from '../local-address';
import { parseHostPort } from '../tunnel-endpoint';

export interface ForwardOptions {
  gateway?: string;
  ca?: string;
}

/**
 * `rustronaut forward remote-db.company.com:5432 localhost:5432`: a local listener; each connection
 * to it goes through the gateway (TLS, an upgrade naming the target, the user's access token, so
 * the resource's policy applies) to a target of a site. Runs until Ctrl-C.
 */
export async function forward(
  ctx: CommandContext,
  remoteText: string,
  localText: string,
  options: ForwardOptions,
): Promise<void> {
  if (!parseHostPort(remoteText))
    throw usage(
      `"${remoteText}" is not host:port`,
      'name the resource as host:port, e.g. remote-db.company.com:5432',
    );
  const local = parseLocalAddress(localText);
  const client = ctx.client();
  // The gateway's address: given, or the console's public tunnel endpoint (GET /api/v1/edge); its
  // CA: --ca, else the one pinned at login.
  const trust = await gatewayTrust(ctx, client, options.ca ?? ctx.config.caFile);
  const endpoint = options.gateway ?? trust.edge.tunnel_endpoint;
  const gateway = parseHostPort(endpoint);
  if (!gateway) throw usage(`"${endpoint}" is not host:port`, 'give --gateway gw.example.com:443');
  const ca = trust.ca;
  // The gateway decides now (token, policy, name), so a refusal is said at once, not per connection.
  try {
    (
      await dialForward({ gateway, token: await client.accessToken(), to: remoteText, ...(ca ? { ca } : {}) })
    ).destroy();
  } catch (error) {
    throw forwardRefused(error, remoteText, endpoint);
  }

  const out = ctx.output;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    void join(socket);
  });
  const join = async (socket: Socket) => {
    const from = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.pause();
    socket.on('error', () => undefined);
    try {
      const upstream = await dialForward({
        gateway,
        token: await client.accessToken(),
        to: remoteText,
        ...(ca ? { ca } : {}),
      });
      if (socket.destroyed) return void upstream.destroy();
      upstream.on('error', () => socket.destroy());
      socket.once('close', () => upstream.destroy());
      upstream.once('close', () => socket.destroy());
      socket.pipe(upstream).pipe(socket);
      socket.resume();
      out.event(`→ ${from} connected to ${remoteText}`, { event: 'connected', from, to: remoteText });
    } catch (error) {
      socket.destroy();
      const reason = error instanceof CliError ? error.message : (error as Error).message;
      out.event(`✗ ${from}: ${reason}`, { event: 'refused', from, to: remoteText, reason });
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new CliError(
          CliErrorCode.LocalAddressInUse,
          `cannot listen on ${formatLocalAddress(local)} (${error.code ?? error.message})`,
          `pick another local port: rustronaut forward ${remoteText} <port>`,
        ),
      ),
    );
    server.listen(local.port, local.host, resolve);
  });
  const stop = ctx.io.interrupted();
  out.event(
    `✓ Forwarding ${formatLocalAddress(local)} → ${remoteText} through ${endpoint} (Ctrl-C to stop)`,
    { event: 'listening', local: formatLocalAddress(local), to: remoteText, gateway: endpoint },
  );
  await stop;
  server.close();
  for (const socket of sockets) socket.destroy();
  out.event('✓ Stopped forwarding', { event: 'stopped' });
}

/** Why the gateway would not let `forward` through, and what to do about it. */
function forwardRefused(error: unknown, remote: string, endpoint: string): CliError {
  if (error instanceof CliError) return error;
  const message = (error as Error).message;
  const status = /HTTP (\d{3})/.exec(message)?.[1];
  const hint =
    status === '403'
      ? 'ask an admin for access to this resource (a policy must allow you)'
      : status === '404'
        ? "check the name: it must be a TCP resource's domain and port"
        : status === '401'
          ? 'log in again with `rustronaut login`'
          : `check that the gateway at ${endpoint} is reachable (and --ca for a development CA)`;
  return new CliError(CliErrorCode.ForwardRefused, `cannot forward to ${remote}: ${message}`, hint);
}
