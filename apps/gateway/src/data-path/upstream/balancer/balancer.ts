import type { SiteSnapshot } from '@rustronaut/contracts';
import type { Logger } from '@rustronaut/observability';
import { HealthMonitor } from './health-monitor';
import { TargetPool } from './target-pool';
import { DEFAULT_EJECTION, TargetState, type EjectionPolicy } from './target-state';
import type { RoutedResource, SnapshotSource } from '../../model';

export { TargetState } from './target-state';
export type PickedTarget = TargetState;

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
