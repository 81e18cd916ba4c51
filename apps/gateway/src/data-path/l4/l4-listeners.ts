import type { SiteSnapshot } from '@rustronaut/contracts';
import type { Logger } from '@rustronaut/observability';
import type { Balancer } from '../upstream/balancer/balancer';
import type { SnapshotSource } from '../model';
import type { L4Listener, L4Options, L4Route } from './l4-resource';
import { PortPolicy } from './port-policy';
import { SourceFirewall } from './source-firewall';
import { TcpListener } from './tcp-listener';
import { UdpListener } from './udp-listener';

interface Slot {
  resourceId: string;
  name: string;
  protocol: 'tcp' | 'udp';
  port: number;
  listener: L4Listener | undefined;
  state: 'opening' | 'listening' | 'failed';
  error?: string;
}

/**
 * The public ports of the TCP and UDP resources, following the snapshots: a new port is opened, a
 * removed one closed (its TCP connections go on until they end), a changed resource is served from
 * its next connection on. A port that cannot be bound is logged and reported in /status, and tried
 * again with the next snapshot; it does not stop the gateway.
 */
export class L4Listeners {
  readonly #slots = new Map<string, Slot>();
  /** Listeners no longer serving a port whose connections are still open (waited for by a drain). */
  readonly #retired = new Set<L4Listener>();
  #stopped = false;
  /** Resources whose closed port was already logged (once per change, not per snapshot). */
  readonly #closedWarned = new Set<string>();
  #syncing: Promise<void> = Promise.resolve();

  constructor(
    private readonly balancer: Balancer,
    private readonly options: L4Options,
    private readonly logger: Logger,
    source?: SnapshotSource,
  ) {
    if (source) {
      source.onChanged(() => void this.sync([...source.all().values()].map((a) => a.snapshot)));
      void this.sync([...source.all().values()].map((a) => a.snapshot));
    }
  }

  /** Resolves once the listeners match these snapshots (opened or failed). Calls are serialised. */
  sync(snapshots: SiteSnapshot[]): Promise<void> {
    this.#syncing = this.#syncing.then(() => this.#apply(snapshots));
    return this.#syncing;
  }

  async #apply(snapshots: SiteSnapshot[]): Promise<void> {
    if (this.#stopped) return;
    const wanted = new Map<string, L4Route>();
    const conflicts: Slot[] = [];
    for (const snapshot of snapshots) {
      for (const resource of snapshot.resources) {
        if (resource.protocol === 'http' || resource.publicPort === null) continue;
        const key = `${resource.protocol}:${resource.publicPort}`;
        const holder = wanted.get(key);
        if (holder) {
          conflicts.push({
            resourceId: resource.id,
            name: resource.name,
            protocol: resource.protocol,
            port: resource.publicPort,
            listener: undefined,
            state: 'failed',
            error: `port taken by resource ${holder.resource.id} on this gateway`,
          });
          continue;
        }
        const routed = { ...resource, orgId: snapshot.orgId, siteId: snapshot.siteId };
        const policy = PortPolicy.of(routed, snapshot.policies, this.options.countries);
        if (!policy.opensToSomeone && !this.#closedWarned.has(routed.id)) {
          this.#closedWarned.add(routed.id);
          this.logger.warn(
            { resource: routed.id, port: routed.publicPort, protocol: routed.protocol },
            `public port ${routed.publicPort} of ${routed.name} admits no connection: it requires sign-in and no policy opens it by source address or country`,
          );
        } else if (policy.opensToSomeone) this.#closedWarned.delete(routed.id);
        wanted.set(key, {
          resource: routed,
          firewall: SourceFirewall.of(routed, this.options.countries, this.logger),
          policy,
        });
      }
    }
    for (const [key, slot] of this.#slots) {
      const route = wanted.get(key);
      if (route && slot.resourceId === route.resource.id && slot.state === 'listening') continue;
      this.#slots.delete(key);
      if (slot.listener) this.#retire(slot.listener);
      if (slot.state === 'listening')
        this.logger.info(
          { resource: slot.resourceId, port: slot.port, protocol: slot.protocol },
          'public port closed',
        );
    }
    const opening: Promise<void>[] = [];
    for (const [key, route] of wanted) {
      const slot = this.#slots.get(key);
      if (slot) {
        slot.listener!.route = route; // new connections use the new targets and rules
        slot.name = route.resource.name;
        continue;
      }
      opening.push(this.#open(key, route));
    }
    await Promise.all(opening);
    for (const conflict of conflicts) {
      this.logger.error(
        { resource: conflict.resourceId, port: conflict.port },
        `public port not opened: ${conflict.error}`,
      );
      this.#slots.set(`${conflict.protocol}:${conflict.port}:${conflict.resourceId}`, conflict);
    }
  }

  async #open(key: string, route: L4Route): Promise<void> {
    const { resource } = route;
    const protocol = resource.protocol as 'tcp' | 'udp';
    const port = resource.publicPort!;
    const context = { balancer: this.balancer, options: this.options, logger: this.logger };
    const listener =
      protocol === 'tcp' ? new TcpListener(port, route, context) : new UdpListener(port, route, context);
    const slot: Slot = {
      resourceId: resource.id,
      name: resource.name,
      protocol,
      port,
      listener,
      state: 'opening',
    };
    this.#slots.set(key, slot);
    try {
      await listener.open();
      slot.state = 'listening';
      this.logger.info(
        { resource: resource.id, port, protocol, host: this.options.host },
        'public port open',
      );
    } catch (error) {
      slot.state = 'failed';
      slot.listener = undefined;
      slot.error = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      listener.destroyAll();
      this.logger.error(
        { resource: resource.id, port, protocol, err: error },
        `public port ${protocol}/${port} could not be opened (${slot.error}); tried again with the next snapshot`,
      );
    }
  }

  #retire(listener: L4Listener): void {
    listener.stopAccepting(); // a UDP port closes at once, freeing it for whoever comes next
    if (listener.active > 0) this.#retired.add(listener);
  }

  /** Connections and flows open now, over every listener. */
  get active(): number {
    let count = 0;
    for (const slot of this.#slots.values()) count += slot.listener?.active ?? 0;
    for (const listener of this.#retired) {
      if (listener.active === 0) this.#retired.delete(listener);
      else count += listener.active;
    }
    return count;
  }

  /** Stops taking connections on every port (a drain); open TCP connections go on, UDP ports close. */
  stopAccepting(): void {
    this.#stopped = true;
    for (const slot of this.#slots.values()) slot.listener?.stopAccepting();
  }

  /** Ends everything now. */
  destroyAll(): void {
    this.#stopped = true;
    for (const slot of this.#slots.values()) slot.listener?.destroyAll();
    for (const listener of this.#retired) listener.destroyAll();
    this.#retired.clear();
  }

  status() {
    return [...this.#slots.values()].map((slot) => ({
      resource_id: slot.resourceId,
      name: slot.name,
      protocol: slot.protocol,
      port: slot.port,
      state: slot.state,
      // Who the port admits: everyone the firewall lets in, sources a policy opens it to, or nobody.
      access: !slot.listener
        ? 'closed'
        : slot.listener.route.policy.isPublic
          ? 'public'
          : slot.listener.route.policy.opensToSomeone
            ? 'by_policy'
            : 'closed',
      ...(slot.error ? { error: slot.error } : {}),
      active: slot.listener?.active ?? 0,
    }));
  }
}
