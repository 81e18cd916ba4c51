import { Agent } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { RequestReport } from '@rustronaut/tunnel';
import type { Logger } from '@rustronaut/observability';
import type { TunnelDestination } from '../data-path/upstream/balancer/target-state';
import type { RemoteTunnels, TunnelRegistry } from '../data-path/tunnels/tunnel-registry';

/** The first line a relayed connection carries: which tunnel stream it wants. */
interface RelayRequest {
  resourceId: string;
  destination: TunnelDestination;
  kind: 'tcp' | 'udp';
}

const MAX_PREAMBLE = 4096;

/** Where worker `id` takes relayed streams: a unix socket in the gateway's private directory. */
export function relaySocketPath(relayDir: string, id: number): string {
  return join(relayDir, `${id}.sock`);
}

/**
 * Tunnels across the gateway's data-plane workers. A tunnel lives in the worker that accepted its
 * client's connection; the primary keeps the directory (which worker holds which tunnel) and tells
 * every worker. A request for a tunnel held elsewhere goes to the owner's relay socket: one line
 * naming the tunnel stream, then the bytes (an HTTP exchange, a TCP connection, framed datagrams),
 * which the owner joins to a stream of its tunnel. The sockets are in a directory only the
 * gateway's user can open.
 */
export class TunnelRelay implements RemoteTunnels {
  #owners = new Map<string, number>();
  readonly #agents = new Map<string, Agent>();
  #server: Server | undefined;

  constructor(
    private readonly relayDir: string,
    private readonly self: number,
    private readonly tell: (
      message:
        | { rn: 'tunnel'; key: string; up: boolean }
        | { rn: 'report'; resourceId: string; report: Omit<RequestReport, 'service'> },
    ) => void,
    private readonly logger: Logger,
    private readonly ask: (key: string) => Promise<void>,
  ) {}

  /** Serves this worker's tunnels to the other workers. */
  listen(registry: TunnelRegistry): Promise<void> {
    const server = createServer((socket) => this.#accept(socket, registry));
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(relaySocketPath(this.relayDir, this.self), () => resolve());
    });
  }

  close(): void {
    this.#server?.close();
    for (const agent of this.#agents.values()) agent.destroy();
    this.#agents.clear();
  }

  /** The directory changed: pools to workers that no longer hold a tunnel are dropped. */
  setOwners(owners: Record<string, number>, registry: TunnelRegistry): void {
    const previous = this.#owners;
    this.#owners = new Map(Object.entries(owners));
    for (const [key, owner] of this.#owners)
      if (owner !== this.self && previous.get(key) === this.self) registry.release(key);
    for (const [name, agent] of this.#agents) {
      const [owner, key] = name.split('|');
      if (this.#owners.get(key ?? '') !== Number(owner)) {
        agent.destroy();
        this.#agents.delete(name);
      }
    }
  }

  claim(key: string): Promise<void> {
    return this.ask(key);
  }

  announce(key: string, up: boolean): void {
    this.tell({ rn: 'tunnel', key, up });
  }

  report(resourceId: string, report: Omit<RequestReport, 'service'>): void {
    if (this.#ownerOf(`res:${resourceId}`) !== undefined) this.tell({ rn: 'report', resourceId, report });
  }

  agentFor(key: string, resourceId: string, destination: TunnelDestination): Agent | undefined {
    const owner = this.#ownerOf(key);
    if (owner === undefined) return undefined;
    const name = `${owner}|${key}|${destination.tunnel}`;
    let agent = this.#agents.get(name);
    if (!agent) {
      agent = new Agent({ keepAlive: true, maxSockets: 256 });
      const open = () => this.#dial(owner, { resourceId, destination, kind: 'tcp' });
      (agent as unknown as { createConnection: typeof open }).createConnection = open;
      this.#agents.set(name, agent);
    }
    return agent;
  }

  openStream(
    key: string,
    resourceId: string,
    destination: TunnelDestination,
    kind: 'tcp' | 'udp',
  ): Duplex | undefined {
    const owner = this.#ownerOf(key);
    return owner === undefined ? undefined : this.#dial(owner, { resourceId, destination, kind });
  }

  #ownerOf(key: string): number | undefined {
    const owner = this.#owners.get(key);
    return owner === undefined || owner === this.self ? undefined : owner;
  }

  #dial(owner: number, request: RelayRequest): Socket {
    const socket = connect(relaySocketPath(this.relayDir, owner));
    socket.write(`${JSON.stringify(request)}\n`);
    return socket;
  }

  #accept(socket: Socket, registry: TunnelRegistry): void {
    let head = Buffer.alloc(0);
    socket.on('error', () => socket.destroy());
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf(10);
      if (end < 0) {
        if (head.length > MAX_PREAMBLE) socket.destroy();
        return;
      }
      socket.off('data', onData);
      socket.pause();
      let request: RelayRequest;
      try {
        request = JSON.parse(head.subarray(0, end).toString('utf8')) as RelayRequest;
      } catch {
        return void socket.destroy();
      }
      const stream = registry.localStream(request.resourceId, request.destination, request.kind);
      if (!stream) {
        this.logger.info({ resource: request.resourceId }, 'relayed stream refused: the tunnel is not here');
        return void socket.destroy();
      }
      const rest = head.subarray(end + 1);
      if (rest.length) stream.write(rest);
      stream.on('error', () => socket.destroy());
      socket.once('close', () => stream.destroy());
      stream.once('close', () => socket.destroy());
      socket.pipe(stream).pipe(socket);
      socket.resume();
    };
    socket.on('data', onData);
  }
}
