import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AccessRecord } from '../../access-log/access-record';
import type { TargetState } from '../upstream/balancer/balancer';
import { netAddress } from '../upstream/balancer/target-state';
import { normaliseIp } from '../client-ip';
import type { L4Context, L4Listener, L4Route } from './l4-resource';
import { Relay } from './relay';

/**
 * A TCP resource's public port: each admitted connection is joined to a connection to a balanced,
 * healthy target. Bytes are relayed both ways with backpressure (relay.ts: read into reused
 * memory, not a new buffer per read); a half-close (FIN) is passed on and
 * the other direction keeps flowing; an error on either side closes both. A connect that fails or
 * times out counts against the target and is tried once more on another one (nothing was sent yet:
 * the client is not read until the target is connected).
 */
export class TcpListener implements L4Listener {
  readonly protocol = 'tcp';
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  constructor(
    readonly port: number,
    public route: L4Route,
    private readonly context: L4Context,
  ) {
    this.#server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (client) =>
      this.#accept(client),
    );
  }

  get active(): number {
    return this.#sockets.size;
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.port, this.context.options.host, () => {
        this.#server.off('error', reject);
        this.#server.on('error', (error) =>
          this.context.logger.error({ err: error, port: this.port }, 'TCP listener failed'),
        );
        resolve();
      });
    });
  }

  stopAccepting(): void {
    if (this.#server.listening) this.#server.close();
  }

  destroyAll(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  #accept(client: Socket): void {
    const { resource, firewall, policy } = this.route;
    const ip = normaliseIp(client.remoteAddress ?? '');
    const { metrics, accessLog } = this.context.options;
    const record = accessLog?.connection('tcp', resource, ip);
    if (!firewall.admits(ip)) {
      metrics?.l4Decided(resource.id, 'tcp', 'refused', 'firewall');
      if (record && accessLog) {
        record.refuse('firewall', `Refused by the firewall of ${resource.name}.`, null);
        record.endConnection(0, 0);
        accessLog.finish(record);
      }
      this.context.logger.info(
        { resource: resource.id, ip, port: this.port },
        'TCP connection refused by the firewall',
      );
      client.destroy();
      return;
    }
    const refusal = policy.refusal(ip);
    if (refusal !== null) {
      metrics?.l4Decided(resource.id, 'tcp', 'refused', 'policy');
      if (record && accessLog) {
        record.refuse('policy', `Access denied: ${refusal}.`, null);
        record.endConnection(0, 0);
        accessLog.finish(record);
      }
      this.context.logger.info(
        { resource: resource.id, ip, port: this.port, reason: refusal },
        'TCP connection refused by policy',
      );
      client.destroy();
      return;
    }
    this.#sockets.add(client);
    metrics?.l4Opened(resource.id, 'tcp');
    client.once('close', () => {
      this.#sockets.delete(client);
      metrics?.l4Closed(resource.id, 'tcp', client.bytesRead, client.bytesWritten);
      if (record && accessLog) {
        record.endConnection(client.bytesRead, client.bytesWritten);
        accessLog.finish(record);
      }
    });
    client.on('error', () => client.destroy());
    joinTcp(this.context, client, this.route, undefined, record);
  }
}

/**
 * Joins an admitted TCP connection (a public port's, or one forwarded by `rustronaut forward`) to a
 * balanced, healthy target: relayed both ways with backpressure once the target is connected; a
 * connect that fails is tried once more on another target.
 */
export function joinTcp(
  context: L4Context,
  client: Socket,
  route: L4Route,
  failed: TargetState | undefined,
  record: AccessRecord | undefined,
): void {
  const picked = context.balancer.choose(route.resource, failed);
  // Least connections with several workers: the primary picks (see Balancer.choose).
  if (picked instanceof Promise)
    return void picked.then((target) => joinTarget(context, client, route, failed, record, target));
  joinTarget(context, client, route, failed, record, picked);
}

function joinTarget(
  context: L4Context,
  client: Socket,
  route: L4Route,
  failed: TargetState | undefined,
  record: AccessRecord | undefined,
  target: TargetState | undefined,
): void {
  const { balancer, options, logger } = context;
  if (!target) {
    options.metrics?.l4Decided(route.resource.id, 'tcp', 'failed', 'target');
    record?.fail('target', balancer.noTargetMessage(route.resource));
    logger.warn(
      { resource: route.resource.id, port: route.resource.publicPort },
      `TCP connection closed: ${balancer.noTargetMessage(route.resource)}`,
    );
    client.destroy();
    return;
  }
  if (client.destroyed) return;
  const destination = target.destination;
  if ('tunnel' in destination) return joinTunnel(context, client, route, target);
  balancer.started(target);
  // The target's bytes reach the client through a relay from the start; the client's are read
  // (relayed, or piped when it is not a fresh accepted socket) once the target is connected.
  const back = new Relay(client);
  const upstream = connect({
    ...netAddress(destination),
    allowHalfOpen: true,
    noDelay: true,
    onread: back.onread,
  });
  back.from(upstream);
  let connected = false;
  // A plain timer, not socket.setTimeout: a socket timeout set back to 0 stays attached and is
  // re-armed on every read and write of the connection's life.
  const connectTimer = setTimeout(
    () => upstream.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })),
    options.connectTimeoutMs,
  );
  upstream.once('connect', () => {
    connected = true;
    clearTimeout(connectTimer);
    balancer.succeeded(target);
    options.metrics?.l4Decided(
      route.resource.id,
      'tcp',
      'allowed',
      route.policy.isPublic ? 'public' : 'policy',
    );
    record?.admit(null);
    if (!Relay.accepted(client, upstream)) client.pipe(upstream);
  });
  upstream.on('error', (error) => {
    if (connected || client.destroyed) return void client.destroy();
    balancer.connectFailed(target, error);
    logger.warn(
      { resource: route.resource.id, target: target.target, err: error },
      'TCP target not answering',
    );
    if (failed === undefined) joinTcp(context, client, route, target, record);
    else {
      options.metrics?.l4Decided(route.resource.id, 'tcp', 'failed', 'target');
      record?.fail(
        'target',
        `The target ${target.target} of ${route.resource.name} is not answering (${(error as NodeJS.ErrnoException).code ?? error.message}).`,
      );
      client.destroy();
    }
  });
  upstream.once('close', (hadError) => {
    clearTimeout(connectTimer);
    balancer.ended(target);
    if (hadError && connected) client.destroy();
  });
  // The client left (reset, or an error): the target's side goes too. A clean close has
  // already passed its FIN on.
  client.once('close', (hadError) => {
    if (hadError || !connected) upstream.destroy();
  });
}

/** An exposed TCP service: one stream through its client's tunnel; refused while it is offline. */
function joinTunnel(context: L4Context, client: Socket, route: L4Route, target: TargetState): void {
  const { options, logger } = context;
  const stream =
    'tunnel' in target.destination
      ? options.tunnels?.openStream(route.resource.id, target.destination)
      : undefined;
  if (!stream) {
    options.metrics?.l4Decided(route.resource.id, 'tcp', 'failed', 'target');
    logger.info({ resource: route.resource.id }, 'TCP connection refused: the tunnel is offline');
    client.destroy();
    return;
  }
  context.balancer.started(target);
  options.metrics?.l4Decided(
    route.resource.id,
    'tcp',
    'allowed',
    route.policy.isPublic ? 'public' : 'policy',
  );
  stream.on('error', () => client.destroy());
  client.on('error', () => stream.destroy());
  stream.once('close', () => {
    context.balancer.ended(target);
    client.destroy();
  });
  client.once('close', () => stream.destroy());
  if (!Relay.accepted(client, stream)) client.pipe(stream);
  stream.pipe(client);
}
