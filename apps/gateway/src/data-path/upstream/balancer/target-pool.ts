import type { TargetState } from './target-state';
import type { RoutedResource } from '../../model';

type LoadBalancing = RoutedResource['loadBalancing'];

/** A target's requests and connections in flight: this process's own, or (the primary's) the gateway's. */
export type InFlight = (target: TargetState) => number;
const ownInFlight: InFlight = (target) => target.inFlight;

/**
 * The targets of one resource and how the next one is chosen among those usable now:
 * - `round_robin`: each usable target in turn (weight only tells a drained target, weight 0, apart);
 * - `weighted`: nginx's smooth weighted round robin — weights 5,1,1 give a a b a c a a, interleaved;
 * - `least_connections`: the fewest requests/connections in flight, ties to the larger weight, then in turn;
 * - `region_aware`: smooth weighted round robin among the usable targets of the preferred region
 *   (the gateway's, else the site's), the other regions only when none of those is usable.
 * Unusable targets (failing their checks, ejected, weight 0) are skipped; `exclude` is a target
 * that just failed this request. `inFlight` is what least connections counts (this process's own
 * by default; the primary of a gateway with several workers passes the gateway-wide count).
 * Allocates nothing per pick.
 */
export class TargetPool {
  #next = 0;

  constructor(
    readonly resourceId: string,
    readonly name: string,
    readonly strategy: LoadBalancing,
    readonly targets: readonly TargetState[],
    readonly preferredRegion: string | null,
    carriedOver?: TargetPool,
  ) {
    if (carriedOver) this.#next = carriedOver.#next;
  }

  pick(now: number, exclude?: TargetState, inFlight: InFlight = ownInFlight): TargetState | undefined {
    switch (this.strategy) {
      case 'weighted':
        return this.#smoothWeighted(now, exclude, null);
      case 'least_connections':
        return this.#leastConnections(now, exclude, inFlight);
      case 'region_aware':
        return (
          (this.preferredRegion !== null && this.#smoothWeighted(now, exclude, this.preferredRegion)) ||
          this.#smoothWeighted(now, exclude, null)
        );
      default:
        return this.#roundRobin(now, exclude);
    }
  }

  /** How many of its targets may get traffic now. */
  usableCount(now: number): number {
    let count = 0;
    for (const target of this.targets) if (target.usable(now)) count++;
    return count;
  }

  #roundRobin(now: number, exclude: TargetState | undefined): TargetState | undefined {
    const n = this.targets.length;
    for (let i = 0; i < n; i++) {
      const index = (this.#next + i) % n;
      const target = this.targets[index]!;
      if (target !== exclude && target.usable(now)) {
        this.#next = index + 1;
        return target;
      }
    }
    return undefined;
  }

  #smoothWeighted(
    now: number,
    exclude: TargetState | undefined,
    region: string | null,
  ): TargetState | undefined {
    let total = 0;
    let best: TargetState | undefined;
    for (const target of this.targets) {
      if (target === exclude || !target.usable(now) || (region !== null && target.region !== region))
        continue;
      target.currentWeight += target.weight;
      total += target.weight;
      if (!best || target.currentWeight > best.currentWeight) best = target;
    }
    if (best) best.currentWeight -= total;
    return best;
  }

  #leastConnections(
    now: number,
    exclude: TargetState | undefined,
    inFlight: InFlight,
  ): TargetState | undefined {
    const n = this.targets.length;
    let best: TargetState | undefined;
    let bestCount = 0;
    let bestIndex = 0;
    for (let i = 0; i < n; i++) {
      const index = (this.#next + i) % n;
      const target = this.targets[index]!;
      if (target === exclude || !target.usable(now)) continue;
      const count = inFlight(target);
      if (!best || count < bestCount || (count === bestCount && target.weight > best.weight)) {
        best = target;
        bestCount = count;
        bestIndex = index;
      }
    }
    if (best) this.#next = bestIndex + 1;
    return best;
  }
}
