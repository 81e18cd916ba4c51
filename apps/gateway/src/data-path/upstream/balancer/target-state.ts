import { parseTargetAddress } from '@rustronaut/contracts/edge';
import type { RoutedResource } from '../../model';

export type TargetData = RoutedResource['targets'][number];
export type NetDestination = { host: string; port: number } | { socketPath: string };
/**
 * A target on the network, or one reached through a tunnel: an exposed service's (`tunnel` is the
 * service's name) or a site connector's (`tunnel` is the target's address on the site's network).
 */
export type TunnelDestination = { tunnel: string; connector?: string };
export type Destination = NetDestination | TunnelDestination;

/** The same destination in the shape net.connect takes. */
export function netAddress(destination: NetDestination): { host: string; port: number } | { path: string } {
  return 'socketPath' in destination ? { path: destination.socketPath } : destination;
}

/** When a target that keeps failing real traffic is set aside, and for how long. */
export interface EjectionPolicy {
  /** Consecutive connection failures (refused, reset, timed out) that eject a target. */
  afterFailures: number;
  /** The first ejection's length; each further one doubles it, up to `maxMs`. */
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_EJECTION: EjectionPolicy = { afterFailures: 3, baseMs: 5_000, maxMs: 300_000 };

/**
 * What the gateway knows about one target, kept by target id across snapshots: its active health
 * (from the health checks), its passive health (ejected after repeated connection failures), the
 * requests and connections it is serving now, and the smooth weighted round robin's running weight.
 */
export class TargetState {
  readonly id: string;
  /** The address as configured (for pages, logs and /status). */
  readonly target: string;
  readonly destination: Destination;
  readonly protocol: TargetData['protocol'];
  readonly healthCheck: TargetData['healthCheck'];
  weight: number;
  region: string | null;

  /** Active health: false once `unhealthyThreshold` checks failed in a row, true again after `healthyThreshold` passed. */
  healthy = true;
  checksPassed = 0;
  checksFailed = 0;
  lastCheck: { at: Date; ok: boolean; detail: string } | undefined;

  /** Passive health. */
  consecutiveFailures = 0;
  ejections = 0;
  ejectedUntil = 0;

  /** Requests and L4 connections in flight (in this process). */
  inFlight = 0;
  /** Its resource balances by least connections (counted gateway-wide when there are several workers). */
  leastConnections = false;
  /** Of those, the ones the primary counts in the gateway-wide count (a worker's, see Balancer.started). */
  counted = 0;
  /** Picks the primary made (and counted) for this worker that no request has started on yet. */
  leases = 0;
  /** Smooth weighted round robin's current weight. */
  currentWeight = 0;

  constructor(data: TargetData, destination: Destination) {
    this.id = data.id;
    this.target = data.address;
    this.destination = destination;
    this.protocol = data.protocol;
    this.healthCheck = data.healthCheck;
    this.weight = data.weight;
    this.region = data.region;
  }

  /**
   * A target state for this data, or undefined when its address cannot be used. `connector`: the
   * site whose connector reaches it (the site's `connection_type` is `tunnel`).
   */
  static of(data: TargetData, connector?: string): TargetState | undefined {
    const address = parseTargetAddress(data.address);
    if (!address) return undefined;
    if (connector && address.kind === 'inet')
      return new TargetState(data, { tunnel: data.address, connector });
    return new TargetState(
      data,
      address.kind === 'unix'
        ? { socketPath: address.path }
        : address.kind === 'tunnel'
          ? { tunnel: address.service }
          : { host: address.host, port: address.port },
    );
  }

  /** The site whose connector reaches this target, if it is reached that way. */
  get connector(): string | undefined {
    return 'tunnel' in this.destination ? this.destination.connector : undefined;
  }

  /** Same address, protocol and health check: the health and counters carry over to the new snapshot. */
  sameAs(data: TargetData): boolean {
    return (
      data.address === this.target &&
      data.protocol === this.protocol &&
      JSON.stringify(data.healthCheck) === JSON.stringify(this.healthCheck)
    );
  }

  /** May get traffic now: weighted in, healthy by its checks and not ejected. */
  usable(now: number): boolean {
    return this.weight > 0 && this.healthy && this.ejectedUntil <= now;
  }

  /** A connection to it failed (refused, reset, timed out). Returns true when this ejected it. */
  connectFailed(now: number, policy: EjectionPolicy): boolean {
    this.consecutiveFailures++;
    if (this.consecutiveFailures < policy.afterFailures || this.ejectedUntil > now) return false;
    const backoff = Math.min(policy.baseMs * 2 ** this.ejections, policy.maxMs);
    this.ejections++;
    this.ejectedUntil = now + backoff;
    return true;
  }

  /** It answered: the passive failure count and the ejection backoff start over. */
  succeeded(): void {
    if (this.consecutiveFailures !== 0) this.consecutiveFailures = 0;
    if (this.ejections !== 0) this.ejections = 0;
  }

  /** One active check's result; returns true when it changed the target's health. */
  checked(ok: boolean, detail: string, thresholds: { healthy: number; unhealthy: number }): boolean {
    this.lastCheck = { at: new Date(), ok, detail };
    if (ok) {
      this.checksFailed = 0;
      this.checksPassed++;
      if (!this.healthy && this.checksPassed >= thresholds.healthy) {
        this.healthy = true;
        // The checks see it back: whatever real traffic saw before no longer holds.
        this.ejectedUntil = 0;
        this.consecutiveFailures = 0;
        this.ejections = 0;
        return true;
      }
    } else {
      this.checksPassed = 0;
      this.checksFailed++;
      if (this.healthy && this.checksFailed >= thresholds.unhealthy) {
        this.healthy = false;
        return true;
      }
    }
    return false;
  }

  /** For /status. */
  view(now: number) {
    const ejected = this.ejectedUntil > now;
    return {
      id: this.id,
      address: this.target,
      weight: this.weight,
      region: this.region,
      state: !this.healthy ? 'unhealthy' : ejected ? 'ejected' : this.weight === 0 ? 'drained' : 'healthy',
      health_check: this.healthCheck ? this.healthCheck.kind : null,
      last_check: this.lastCheck
        ? { at: this.lastCheck.at.toISOString(), ok: this.lastCheck.ok, detail: this.lastCheck.detail }
        : null,
      ejected_until: ejected ? new Date(this.ejectedUntil).toISOString() : null,
      consecutive_failures: this.consecutiveFailures,
      in_flight: this.inFlight,
    };
  }
}
