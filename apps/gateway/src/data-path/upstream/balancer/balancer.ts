import type { SiteSnapshot } from '@rustronaut/contracts';
import type { Logger } from '@rustronaut/observability';
import { HealthMonitor } from './health-monitor';
import { TargetPool, type InFlight } from './target-pool';
import { DEFAULT_EJECTION, TargetState, type EjectionPolicy } from './target-state';
import type { RoutedResource, SnapshotSource } from '../../model';

export { TargetState } from './target-state';
export type PickedTarget = TargetState;
/** A target now, or once the primary has picked it (least connections in a gateway with several workers). */
export type Choice = TargetState | undefined | Promise<TargetState | undefined>;

/**
 * How a worker's balancer reaches the gateway-wide count of least connections: its primary, which
 * picks by the requests in flight on every worker and counts the pick as one of them.
 */
export interface ConnectionCounter {
  /**
   * The primary's pick for a least-connections resource, counted there as in flight for this
   * worker: a target id, null when none is usable, undefined when the primary does not know the
   * resource. Rejects when the primary does not answer in time.
   */
  pick(resourceId: string, excludeId: string | undefined): Promise<string | null | undefined>;
  /** A request started that no pick counted (+1), or a counted one ended, or a pick went unused (-1). */
  count(targetId: string, delta: 1 | -1): void;
}

/** How long a pick the primary counted may wait for its request to start before it is given back. */
export const LEASE_MS = 2_000;

/** Which resource a pick is for: an HTTP route or an L4 listener's resource. */
export type BalancedResource = Pick<RoutedResource, 'id' | 'name' | 'loadBalancing' | 'targets'>;

export interface BalancerOptions {
  /** The gateway's own region (RN_GATEWAY_REGION); region-aware resources prefer it, else their site's. */
  region?: string | undefined;
  ejection?: EjectionPolicy;
  logger?: Logger;
}

/** Connection errors that say the target is not there (not that it answered badly). */
const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENOENT', // a unix socket that is gone
]);

/** One target's health as one worker saw it, for the others: a check's result, or an ejection. */
export interface SharedTargetHealth {
  checked?: {
    healthy: boolean;
    passed: number;
    failed: number;
    last: { at: string; ok: boolean; detail: string } | undefined;
    /** This check brought it back: ejections seen by real traffic no longer hold. */
    cleared: boolean;
  };
  ejectedUntil?: number;
  ejections?: number;
}

/** What a worker tells the others about a target after a check or an ejection. */
export function sharedHealthOf(state: TargetState, kind: 'checked' | 'back' | 'ejected'): SharedTargetHealth {
  if (kind === 'ejected') return { ejectedUntil: state.ejectedUntil, ejections: state.ejections };
  return {
    checked: {
      healthy: state.healthy,
      passed: state.checksPassed,
      failed: state.checksFailed,
      last: state.lastCheck && { ...state.lastCheck, at: state.lastCheck.at.toISOString() },
      cleared: kind === 'back',
    },
  };
}

export function isConnectFailure(error: unknown): boolean {
  return CONNECT_FAILURES.has((error as NodeJS.ErrnoException).code ?? '');
}

/**
 * Which target serves the next request or connection of a resource. Target state (health,
 * ejection, in-flight count) is kept by target id and survives new snapshots of unchanged targets;
 * the active health checks follow the snapshots through one HealthMonitor.
 */
export class Balancer {
  #states = new Map<string, TargetState>();
  #pools = new Map<string, TargetPool>();
  readonly #region: string | undefined;
  readonly #ejection: EjectionPolicy;
  readonly #logger: Logger | undefined;
  readonly health: HealthMonitor;
  readonly #ejectionListeners: ((target: TargetState) => void)[] = [];
  #counter: ConnectionCounter | undefined;

  constructor(source?: SnapshotSource, options: BalancerOptions = {}) {
    this.#region = options.region;
    this.#ejection = options.ejection ?? DEFAULT_EJECTION;
    this.#logger = options.logger;
    this.health = new HealthMonitor(options.logger);
    if (source) {
      source.onChanged(() => this.sync([...source.all().values()].map((a) => a.snapshot)));
      this.sync([...source.all().values()].map((a) => a.snapshot));
    }
  }

  /** A new set of snapshots: pools rebuilt, unchanged targets keep their state, checks follow. */
  sync(snapshots: Iterable<SiteSnapshot>): void {
    const states = new Map<string, TargetState>();
    const pools = new Map<string, TargetPool>();
    for (const snapshot of snapshots) {
      const region = this.#region ?? snapshot.site.region;
      // A `tunnel` site's targets are on a private network, reached through its connector.
      const connector = snapshot.site.connectionType === 'tunnel' ? snapshot.siteId : undefined;
      for (const resource of snapshot.resources) {
        pools.set(resource.id, this.#poolFor(resource, region, states, connector));
      }
    }
    this.#states = states;
    this.#pools = pools;
    this.health.sync(states.values());
  }

  #poolFor(
    resource: BalancedResource,
    region: string | null,
    into: Map<string, TargetState>,
    connector: string | undefined,
  ): TargetPool {
    const targets: TargetState[] = [];
    for (const data of resource.targets) {
      let state = this.#states.get(data.id);
      if (state && state.sameAs(data) && state.connector === connector) {
        state.weight = data.weight;
        state.region = data.region;
      } else {
        state = TargetState.of(data, connector);
      }
      if (!state) continue;
      state.leastConnections = resource.loadBalancing === 'least_connections';
      into.set(data.id, state);
      targets.push(state);
    }
    return new TargetPool(
      resource.id,
      resource.name,
      resource.loadBalancing,
      targets,
      region,
      this.#pools.get(resource.id),
    );
  }

  /** The pool serving a resource (one built on the fly for a resource no longer in the snapshots). */
  poolOf(resource: BalancedResource): TargetPool {
    return (
      this.#pools.get(resource.id) ?? this.#poolFor(resource, this.#region ?? null, new Map(), undefined)
    );
  }

  /** The next target, or undefined when none is usable; `exclude` is one that just failed. */
  pick(resource: BalancedResource, exclude?: TargetState): TargetState | undefined {
    return this.poolOf(resource).pick(Date.now(), exclude);
  }

  /**
   * The next target, as `pick`; but in a worker of a gateway with several (a counter is set), a
   * least-connections resource's target is picked by the primary from the gateway-wide count, and
   * the promise resolves with it. If the primary does not answer in time, this worker picks on its
   * own count (it never waits longer than the counter's timeout).
   */
  choose(resource: BalancedResource, exclude?: TargetState): Choice {
    const counter = this.#counter;
    if (!counter || resource.loadBalancing !== 'least_connections' || !this.#pools.has(resource.id))
      return this.pick(resource, exclude);
    return counter.pick(resource.id, exclude?.id).then(
      (id) => {
        const target = typeof id === 'string' ? this.#states.get(id) : undefined;
        if (target) {
          this.#lease(target, counter);
          return target;
        }
        // A target this worker does not serve (a snapshot in between): given back, picked here.
        if (typeof id === 'string') counter.count(id, -1);
        return this.pick(resource, exclude);
      },
      () => this.pick(resource, exclude),
    );
  }

  /** The primary counted this pick: the next request started on the target is that one. */
  #lease(target: TargetState, counter: ConnectionCounter): void {
    target.leases++;
    // Unused (the client left, the tunnel is offline, a TLS route failed): given back.
    setTimeout(() => {
      if (target.leases === 0) return;
      target.leases--;
      counter.count(target.id, -1);
    }, LEASE_MS).unref();
  }

  /** A request or connection starts on the target (counted gateway-wide for least connections). */
  started(target: TargetState): void {
    target.inFlight++;
    if (target.leases > 0) {
      target.leases--;
      target.counted++;
    } else if (this.#counter && target.leastConnections) {
      target.counted++;
      this.#counter.count(target.id, 1);
    }
  }

  /** A request or connection on the target ended. */
  ended(target: TargetState): void {
    target.inFlight--;
    if (target.counted > 0) {
      target.counted--;
      this.#counter?.count(target.id, -1);
    }
  }

  /** In a worker of several: least connections counts gateway-wide, through this counter. */
  countLeastConnectionsWith(counter: ConnectionCounter): void {
    this.#counter = counter;
  }

  /**
   * The primary's pick for a worker: among a served resource's usable targets by `inFlight` (the
   * gateway-wide count); null when none is usable, undefined when the resource is not served.
   */
  pickServed(
    resourceId: string,
    excludeId: string | undefined,
    inFlight: InFlight,
  ): TargetState | null | undefined {
    const pool = this.#pools.get(resourceId);
    if (!pool) return undefined;
    const exclude = excludeId === undefined ? undefined : this.#states.get(excludeId);
    return pool.pick(Date.now(), exclude, inFlight) ?? null;
  }

  /** Why there is no target: none configured, or all of them down. */
  noTargetMessage(resource: BalancedResource): string {
    const count = resource.targets.length;
    if (count === 0) return `No target is configured for ${resource.name}.`;
    const usable = resource.targets.filter((t) => t.weight > 0).length;
    if (usable === 0) return `All targets of ${resource.name} are drained (weight 0).`;
    return `All ${count} targets of ${resource.name} are down.`;
  }

  /** Called when this balancer ejects a target (passive health), e.g. to share it with other workers. */
  onEjected(listener: (target: TargetState) => void): void {
    this.#ejectionListeners.push(listener);
  }

  /** Health known elsewhere (another worker's checks or ejection): applied to the target, if still served. */
  applyHealth(targetId: string, health: SharedTargetHealth): void {
    const state = this.#states.get(targetId);
    if (!state) return;
    if (health.checked) {
      state.healthy = health.checked.healthy;
      state.checksPassed = health.checked.passed;
      state.checksFailed = health.checked.failed;
      state.lastCheck = health.checked.last && {
        ...health.checked.last,
        at: new Date(health.checked.last.at),
      };
      if (health.checked.cleared) {
        state.ejectedUntil = 0;
        state.consecutiveFailures = 0;
        state.ejections = 0;
      }
    }
    if (health.ejectedUntil !== undefined && health.ejectedUntil > state.ejectedUntil) {
      state.ejectedUntil = health.ejectedUntil;
      state.ejections = Math.max(state.ejections, health.ejections ?? 0);
    }
  }

  /** A connection to the target failed: counted, and the target ejected after repeated failures. */
  connectFailed(target: TargetState, error: unknown): void {
    if (target.connectFailed(Date.now(), this.#ejection)) {
      for (const listener of this.#ejectionListeners) listener(target);
      this.#logger?.warn(
        {
          target: target.id,
          address: target.target,
          err: (error as NodeJS.ErrnoException).code ?? String(error),
          until: new Date(target.ejectedUntil).toISOString(),
        },
        'target ejected after repeated connection failures',
      );
    }
  }

  succeeded(target: TargetState): void {
    target.succeeded();
  }

  /** Each resource's targets and their health, for the management API's /status. */
  status(): {
    resource_id: string;
    name: string;
    load_balancing: string;
    preferred_region: string | null;
    usable: number;
    targets: ReturnType<TargetState['view']>[];
  }[] {
    const now = Date.now();
    return [...this.#pools.values()].map((pool) => ({
      resource_id: pool.resourceId,
      name: pool.name,
      load_balancing: pool.strategy,
      preferred_region: pool.preferredRegion,
      usable: pool.usableCount(now),
      targets: pool.targets.map((t) => t.view(now)),
    }));
  }

  stop(): void {
    this.health.stop();
  }
}
