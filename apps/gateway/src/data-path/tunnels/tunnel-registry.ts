import type { Agent } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { parseSecret, secretMatches } from '@rustronaut/contracts/edge';
import type { Logger } from '@rustronaut/observability';
import {
  TunnelServer,
  datagramFlowOver,
  type DatagramFlow,
  type Hello,
  type RequestReport,
  type Tunnel,
  type TunnelAdmission,
} from '@rustronaut/tunnel';
import type { TunnelDestination } from '../upstream/balancer/target-state';
import type { RoutedResource, SnapshotSource } from '../model';

interface Connected {
  tunnel: Tunnel;
  agent: Agent;
  resource: RoutedResource;
}

/** A site's connector: one tunnel, a keep-alive pool per target address it is asked to reach. */
interface Connector {
  tunnel: Tunnel;
  agents: Map<string, Agent>;
}

const CONNECTOR_PREFIX = 'connector:';

/**
 * The tunnels held by the gateway's other data-plane processes (a tunnel is bound to the one
 * connection its client opened, which one worker accepted). Keys: `res:<resource id>` for an
 * exposed service, `site:<site id>` for a site connector.
 */
export interface RemoteTunnels {
  /** This process now holds (or no longer holds) the tunnel under `key`. */
  announce(key: string, up: boolean): void;
  /** Resolves once every worker knows this process holds the tunnel under `key` (before its client is welcomed). */
  claim(key: string): Promise<void>;
  agentFor(key: string, resourceId: string, destination: TunnelDestination): Agent | undefined;
  openStream(
    key: string,
    resourceId: string,
    destination: TunnelDestination,
    kind: 'tcp' | 'udp',
  ): Duplex | undefined;
  report(resourceId: string, report: Omit<RequestReport, 'service'>): void;
}

/** The key a tunnel is known by across the gateway's processes. */
export function tunnelKeyOf(resourceId: string, destination: TunnelDestination): string {
  return destination.connector ? `site:${destination.connector}` : `res:${resourceId}`;
}

/** How long a tunnel whose token names a service unknown here waits for newer snapshots before its refusal. */
const UNKNOWN_SERVICE_WAIT_MS = 3_000;

/**
 * The tunnels of exposed services, by resource id. A `rustronaut expose` client proves which
 * service it serves with the token the services API gave it (checked against the hash in the
 * snapshot: no call to the console); its resource's target `tunnel:<name>` is then reached through
 * it. A new tunnel for the same service replaces the old one; an un-exposed service's tunnel is
 * closed when the snapshot drops it.
 */
export class TunnelRegistry {
  readonly server: TunnelServer;
  readonly #connected = new Map<string, Connected>();
  readonly #connectors = new Map<string, Connector>();
  /** Tunnels waiting for the next snapshot (their service is not known here yet). */
  readonly #awaitingSnapshot = new Set<() => void>();

  constructor(
    private readonly configs: SnapshotSource,
    private readonly publicUrlOf: (resource: RoutedResource) => string,
    private readonly logger: Logger,
    private readonly remote?: RemoteTunnels,
  ) {
    this.server = new TunnelServer({ authenticate: (hello) => this.#admitEverywhere(hello) });
    this.server.on('rejected', (r: { code: string; reason: string }) =>
      this.logger.info({ code: r.code, reason: r.reason }, 'tunnel refused'),
    );
    this.server.on('tunnel', (tunnel: Tunnel) => this.#register(tunnel));
    configs.onChanged(() => {
      this.#closeUnexposed();
      for (const wake of this.#awaitingSnapshot) wake();
      this.#awaitingSnapshot.clear();
    });
  }

  /** An HTTP upgrade to the tunnel protocol on the gateway's HTTPS port. */
  accept(socket: Socket, head: Buffer): void {
    void this.server.acceptUpgrade(socket, head);
  }

  /**
   * The keep-alive pool of HTTP connections to a target through a tunnel: the exposed service's
   * own, or the site connector's (one pool per target address); undefined while it is offline.
   */
  agentFor(resourceId: string, destination: TunnelDestination): Agent | undefined {
    return (
      this.#localAgent(resourceId, destination) ??
      this.remote?.agentFor(tunnelKeyOf(resourceId, destination), resourceId, destination)
    );
  }

  #localAgent(resourceId: string, destination: TunnelDestination): Agent | undefined {
    if (destination.connector) {
      const connector = this.#connectors.get(destination.connector);
      if (!connector?.tunnel.open) return undefined;
      let agent = connector.agents.get(destination.tunnel);
      if (!agent) {
        agent = connector.tunnel.httpAgent(destination.tunnel);
        connector.agents.set(destination.tunnel, agent);
      }
      return agent;
    }
    const connected = this.#connected.get(resourceId);
    return connected?.tunnel.open ? connected.agent : undefined;
  }

  openStream(resourceId: string, destination: TunnelDestination): Duplex | undefined {
    return (
      this.localStream(resourceId, destination, 'tcp') ??
      this.remote?.openStream(tunnelKeyOf(resourceId, destination), resourceId, destination, 'tcp')
    );
  }

  /** A stream through a tunnel this process holds (what another worker's relayed request reaches). */
  localStream(resourceId: string, destination: TunnelDestination, kind: 'tcp' | 'udp'): Duplex | undefined {
    const [tunnel, name] = this.#via(resourceId, destination);
    return tunnel?.open ? tunnel.openStream(name, kind) : undefined;
  }

  openDatagramFlow(resourceId: string, destination: TunnelDestination): DatagramFlow | undefined {
    const [tunnel, name] = this.#via(resourceId, destination);
    if (tunnel?.open) return tunnel.openDatagramFlow(name);
    const stream = this.remote?.openStream(
      tunnelKeyOf(resourceId, destination),
      resourceId,
      destination,
      'udp',
    );
    return stream && datagramFlowOver(stream, () => stream.end());
  }

  /** The tunnel to use and the name the client knows the target by. */
  #via(resourceId: string, destination: TunnelDestination): [Tunnel | undefined, string] {
    if (destination.connector)
      return [this.#connectors.get(destination.connector)?.tunnel, destination.tunnel];
    const connected = this.#connected.get(resourceId);
    return [connected?.tunnel, connected?.resource.name ?? destination.tunnel];
  }

  report(resourceId: string, report: Omit<RequestReport, 'service'>): void {
    const connected = this.#connected.get(resourceId);
    if (connected) connected.tunnel.reportRequest({ service: connected.resource.name, ...report });
    else this.remote?.report(resourceId, report);
  }

  /** Another process took over the tunnel under `key` (its client reconnected there): close ours. */
  release(key: string): void {
    if (key.startsWith('site:')) {
      const connector = this.#connectors.get(key.slice(5));
      connector?.tunnel.close();
      return;
    }
    this.#connected.get(key.slice(4))?.tunnel.close();
  }

  /** For /status: which exposed services and site connectors have their tunnel up. */
  status(): { resource_id?: string; site_id?: string; name?: string; tunnel_id: string; streams: number }[] {
    return [
      ...[...this.#connected.entries()].map(([resourceId, c]) => ({
        resource_id: resourceId,
        name: c.resource.name,
        tunnel_id: c.tunnel.id,
        streams: c.tunnel.activeStreams,
      })),
      ...[...this.#connectors.entries()].map(([siteId, c]) => ({
        site_id: siteId,
        tunnel_id: c.tunnel.id,
        streams: c.tunnel.activeStreams,
      })),
    ];
  }

  #resource(resourceId: string): RoutedResource | undefined {
    for (const { snapshot } of this.configs.all().values()) {
      const resource = snapshot.resources.find((r) => r.id === resourceId);
      if (resource) return { ...resource, orgId: snapshot.orgId, siteId: snapshot.siteId };
    }
    return undefined;
  }

  /**
   * Admitted here, and (with other workers) claimed in the gateway's directory before the client is
   * welcomed: once it is told it is connected, a request on any worker finds its tunnel.
   */
  async #admitEverywhere(hello: Hello): Promise<TunnelAdmission> {
    let admission = this.#admit(hello);
    // A service exposed a moment ago: the snapshot that has it may still be on its way (from the
    // console, or from the primary to this worker). It is given a little time before the refusal.
    const deadline = Date.now() + UNKNOWN_SERVICE_WAIT_MS;
    while (!admission.ok && admission.code === 'TUNNEL_TOKEN_INVALID' && admission.retryAfterS) {
      const left = deadline - Date.now();
      if (left <= 0 || !(await this.#nextSnapshot(left))) break;
      admission = this.#admit(hello);
    }
    if (!admission.ok || !this.remote) return admission;
    const [owner] = admission.tunnelId.split(':');
    const key = admission.tunnelId.startsWith(CONNECTOR_PREFIX)
      ? `site:${admission.tunnelId.slice(CONNECTOR_PREFIX.length).split(':')[0] ?? ''}`
      : `res:${owner ?? ''}`;
    await this.remote.claim(key);
    return admission;
  }

  /** Resolves true when a new snapshot applies within `ms`, else false. */
  #nextSnapshot(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#awaitingSnapshot.delete(wake);
        resolve(false);
      }, ms);
      this.#awaitingSnapshot.add(wake);
    });
  }

  #admit(hello: Hello): TunnelAdmission {
    if (hello.token.startsWith('rnc_')) return this.#admitConnector(hello);
    const parsed = parseSecret('rnt', hello.token);
    const resource = parsed && this.#resource(parsed.id);
    if (!parsed || !resource?.tunnel || !secretMatches(parsed.secret, resource.tunnel.tokenHash)) {
      return {
        ok: false,
        code: 'TUNNEL_TOKEN_INVALID',
        message:
          'this tunnel token is not valid on this gateway (the service was un-exposed, or the gateway has not received it yet): expose it again',
        retryAfterS: parsed && !resource ? 5 : 0,
      };
    }
    const offered = hello.services.find((s) => s.name === resource.name);
    if (!offered || offered.protocol !== resource.protocol) {
      return {
        ok: false,
        code: 'TUNNEL_SERVICE_MISMATCH',
        message: `this token is for the ${resource.protocol} service "${resource.name}", which the client does not offer`,
        retryAfterS: 0,
      };
    }
    return {
      ok: true,
      tunnelId: `${resource.id}:${Date.now().toString(36)}`,
      services: [{ name: resource.name, protocol: resource.protocol, publicUrl: this.publicUrlOf(resource) }],
    };
  }

  /** A site connector: its token against the hash in the site's snapshot. */
  #admitConnector(hello: Hello): TunnelAdmission {
    const parsed = parseSecret('rnc', hello.token);
    const snapshot = parsed && this.configs.get(parsed.id)?.snapshot;
    const hash = snapshot?.connector?.tokenHash;
    if (!parsed || !snapshot || !hash || !secretMatches(parsed.secret, hash)) {
      return {
        ok: false,
        code: 'TUNNEL_TOKEN_INVALID',
        message:
          'this connector token is not valid on this gateway (replaced by a newer one, or for a site this gateway does not serve): issue one with POST /api/v1/sites/{id}/connector',
        retryAfterS: parsed && !snapshot ? 5 : 0,
      };
    }
    return {
      ok: true,
      tunnelId: `${CONNECTOR_PREFIX}${snapshot.siteId}:${Date.now().toString(36)}`,
      services: [],
    };
  }

  #registerConnector(tunnel: Tunnel, siteId: string): void {
    const previous = this.#connectors.get(siteId);
    const connector: Connector = { tunnel, agents: new Map() };
    this.#connectors.set(siteId, connector);
    if (previous) {
      for (const agent of previous.agents.values()) agent.destroy();
      previous.tunnel.close();
    }
    this.logger.info({ site: siteId, agent: tunnel.hello.agent }, 'site connector connected');
    this.remote?.announce(`site:${siteId}`, true);
    tunnel.once('close', () => {
      if (this.#connectors.get(siteId)?.tunnel !== tunnel) return;
      this.#connectors.delete(siteId);
      this.remote?.announce(`site:${siteId}`, false);
      for (const agent of connector.agents.values()) agent.destroy();
      this.logger.warn({ site: siteId }, 'site connector disconnected');
    });
  }

  #register(tunnel: Tunnel): void {
    if (tunnel.id.startsWith(CONNECTOR_PREFIX))
      return this.#registerConnector(tunnel, tunnel.id.slice(CONNECTOR_PREFIX.length).split(':')[0] ?? '');
    const resourceId = tunnel.id.split(':')[0] ?? '';
    const resource = this.#resource(resourceId);
    if (!resource) {
      this.remote?.announce(`res:${resourceId}`, false);
      return tunnel.close();
    }
    const previous = this.#connected.get(resourceId);
    const agent = tunnel.httpAgent(resource.name);
    this.#connected.set(resourceId, { tunnel, agent, resource });
    if (previous) {
      previous.agent.destroy();
      previous.tunnel.close();
    }
    this.logger.info(
      { resource: resourceId, name: resource.name, agent: tunnel.hello.agent },
      'tunnel connected',
    );
    this.remote?.announce(`res:${resourceId}`, true);
    tunnel.once('close', () => {
      if (this.#connected.get(resourceId)?.tunnel !== tunnel) return;
      this.#connected.delete(resourceId);
      this.remote?.announce(`res:${resourceId}`, false);
      agent.destroy();
      this.logger.warn({ resource: resourceId, name: resource.name }, 'tunnel disconnected');
    });
  }

  #closeUnexposed(): void {
    for (const [resourceId, connected] of this.#connected) {
      if (this.#resource(resourceId)?.tunnel) continue;
      this.#connected.delete(resourceId);
      this.remote?.announce(`res:${resourceId}`, false);
      connected.agent.destroy();
      connected.tunnel.destroy(); // the service is gone: nothing in flight should continue
      this.logger.info({ resource: resourceId }, 'tunnel closed: the service is no longer exposed');
    }
  }

  /** Asks every tunnel to close: streams in flight finish, no new ones start (HTTP/2 GOAWAY). */
  close(): void {
    for (const connected of this.#connected.values()) connected.tunnel.close();
    for (const connector of this.#connectors.values()) connector.tunnel.close();
  }
}
