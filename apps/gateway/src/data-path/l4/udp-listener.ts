import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { isIPv6 } from 'node:net';
import type { AccessRecord } from '../../access-log/access-record';
import type { DatagramFlow } from '@rustronaut/tunnel';
import type { TargetState } from '../upstream/balancer/balancer';
import { normaliseIp } from '../client-ip';
import type { L4Context, L4Listener, L4Route } from './l4-resource';

/** What a flow sends its datagrams through: a UDP socket, or an exposed service's tunnel. */
interface FlowUpstream {
  send(datagram: Buffer): void;
  close(): void;
  on(event: 'message', listener: (datagram: Buffer) => void): unknown;
  on(event: 'error', listener: (error: NodeJS.ErrnoException) => void): unknown;
  connect(port: number, host: string, connected: () => void): void;
}

/** A flow through a tunnel: datagrams framed on one stream (no connect step to wait for). */
function tunnelUpstream(flow: DatagramFlow): FlowUpstream {
  const events = new EventEmitter();
  flow.onDatagram((datagram) => events.emit('message', datagram));
  void flow.closed.then(() =>
    events.emit('error', Object.assign(new Error('tunnel flow closed'), { code: 'EPIPE' })),
  );
  return {
    send: (datagram) => flow.send(datagram),
    close: () => flow.close(),
    on: (event: string, listener: (value: never) => void) =>
      events.on(event, listener as (value: unknown) => void),
    connect: (_port, _host, connected) => queueMicrotask(connected),
  };
}

/** One client address and port, with its own socket to the target it was given. */
interface Flow {
  key: string;
  client: RemoteInfo;
  target: TargetState;
  upstream: FlowUpstream;
  connected: boolean;
  /** Datagrams that arrived before the upstream socket was connected. */
  pending: Buffer[];
  lastSeen: number;
  /** The resource the flow was let in for (counted under it until it ends). */
  resourceId: string;
  bytesIn: number;
  bytesOut: number;
  record: AccessRecord | undefined;
}

const MAX_PENDING = 64;

/**
 * A UDP resource's public port. A flow is one client ip:port; its first datagram (if the firewall
 * admits the source) picks a healthy target and opens a socket connected to it, so the target's
 * answers come back to that client only. A flow ends after `udpIdleMs` without a datagram either
 * way; at most `udpMaxFlows` flows at once, datagrams of further new clients are dropped.
 */
export class UdpListener implements L4Listener {
  readonly protocol = 'udp';
  readonly #socket: Socket;
  readonly #flows = new Map<string, Flow>();
  #sweeper: NodeJS.Timeout | undefined;
  #closed = false;
  #dropped = 0;

  constructor(
    readonly port: number,
    public route: L4Route,
    private readonly context: L4Context,
  ) {
    this.#socket = createSocket(isIPv6(context.options.host) ? 'udp6' : 'udp4');
    this.#socket.on('message', (message, client) => this.#received(message, client));
  }

  get active(): number {
    return this.#flows.size;
  }

  get dropped(): number {
    return this.#dropped;
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#socket.once('error', reject);
      this.#socket.bind(this.port, this.context.options.host, () => {
        this.#socket.off('error', reject);
        this.#socket.on('error', (error) =>
          this.context.logger.error({ err: error, port: this.port }, 'UDP listener failed'),
        );
        const every = Math.min(Math.max(Math.floor(this.context.options.udpIdleMs / 4), 100), 5_000);
        this.#sweeper = setInterval(() => this.#sweep(Date.now()), every);
        this.#sweeper.unref();
        resolve();
      });
    });
  }

  /** UDP has no connection to let finish: the port and its flows close now (clients resend). */
  stopAccepting(): void {
    this.destroyAll();
  }

  destroyAll(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const flow of [...this.#flows.values()]) this.#end(flow);
    clearInterval(this.#sweeper);
    try {
      this.#socket.close();
    } catch {
      // not bound, or closed already
    }
  }

  #received(message: Buffer, client: RemoteInfo): void {
    const key = `${client.address}:${client.port}`;
    const now = Date.now();
    let flow = this.#flows.get(key);
    if (!flow) {
      if (this.#closed) return;
      flow = this.#open(key, client, now);
      if (!flow) return;
    }
    flow.lastSeen = now;
    flow.bytesIn += message.length;
    if (flow.connected) flow.upstream.send(message);
    else if (flow.pending.length < MAX_PENDING) flow.pending.push(message);
  }

  #open(key: string, client: RemoteInfo, now: number): Flow | undefined {
    const { balancer, options, logger } = this.context;
    const { resource, firewall, policy } = this.route;
    const metrics = options.metrics;
    const ip = normaliseIp(client.address);
    if (!firewall.admits(ip)) {
      this.#dropped++;
      metrics?.l4Decided(resource.id, 'udp', 'refused', 'firewall');
      return undefined;
    }
    if (policy.refusal(ip) !== null) {
      this.#dropped++;
      metrics?.l4Decided(resource.id, 'udp', 'refused', 'policy');
      return undefined;
    }
    if (this.#flows.size >= options.udpMaxFlows) {
      metrics?.l4Decided(resource.id, 'udp', 'refused', 'flow_limit');
      if (this.#dropped++ % 1000 === 0)
        logger.warn(
          { resource: resource.id, port: this.port, flows: this.#flows.size },
          'UDP flow limit reached: datagrams of new clients dropped',
        );
      return undefined;
    }
    // Picked here, also for least connections: one worker of a gateway serves the UDP ports, so its
    // own count of flows is the gateway's (Balancer.choose would wait for the primary per flow).
    const target = balancer.pick(resource);
    const destination = target?.destination;
    const tunnelFlow =
      destination && 'tunnel' in destination
        ? options.tunnels?.openDatagramFlow(resource.id, destination)
        : undefined;
    if (!target || !destination || !('host' in destination || tunnelFlow)) {
      this.#dropped++;
      metrics?.l4Decided(resource.id, 'udp', 'failed', 'target');
      return undefined;
    }
    // Datagrams refused (firewall, flow limit, no target) are only counted: a record each would let
    // one spoofed source fill the log.
    const record = options.accessLog?.connection('udp', resource, normaliseIp(client.address));
    record?.admit(null);
    metrics?.l4Decided(resource.id, 'udp', 'allowed', policy.isPublic ? 'public' : 'policy');
    metrics?.l4Opened(resource.id, 'udp');
    const { host, port } = 'host' in destination ? destination : { host: '', port: 0 };
    const upstream: FlowUpstream = tunnelFlow
      ? tunnelUpstream(tunnelFlow)
      : createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    const flow: Flow = {
      key,
      client,
      target,
      upstream,
      connected: false,
      pending: [],
      lastSeen: now,
      resourceId: resource.id,
      bytesIn: 0,
      bytesOut: 0,
      record,
    };
    balancer.started(target);
    this.#flows.set(key, flow);
    upstream.on('message', (reply) => {
      flow.lastSeen = Date.now();
      flow.bytesOut += reply.length;
      this.#socket.send(reply, client.port, client.address);
    });
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      // A connected UDP socket hears ICMP port unreachable as ECONNREFUSED: the target is not there.
      if (error.code === 'ECONNREFUSED') balancer.connectFailed(target, error);
      logger.debug({ resource: resource.id, target: target.target, err: error }, 'UDP flow failed');
      this.#end(flow);
    });
    upstream.connect(port, host, () => {
      flow.connected = true;
      for (const datagram of flow.pending.splice(0)) upstream.send(datagram);
    });
    return flow;
  }

  #end(flow: Flow): void {
    if (this.#flows.get(flow.key) !== flow) return;
    this.#flows.delete(flow.key);
    this.context.balancer.ended(flow.target);
    const { metrics, accessLog } = this.context.options;
    metrics?.l4Closed(flow.resourceId, 'udp', flow.bytesIn, flow.bytesOut);
    if (flow.record && accessLog) {
      flow.record.endConnection(flow.bytesIn, flow.bytesOut);
      accessLog.finish(flow.record);
    }
    try {
      flow.upstream.close();
    } catch {
      // closed already
    }
  }

  #sweep(now: number): void {
    const idle = this.context.options.udpIdleMs;
    for (const flow of this.#flows.values()) if (now - flow.lastSeen >= idle) this.#end(flow);
  }
}
