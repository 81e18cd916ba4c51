import type { Balancer } from './balancer';
import type { InFlight } from './target-pool';

/**
 * The gateway-wide requests and connections in flight on the targets of least-connections
 * resources, kept by the primary of a gateway with several workers: each worker's count per
 * target, and their sum, by which the primary picks for every worker. A pick counts at once (so
 * two workers asking at the same moment are told different targets when the counts say so); a
 * worker says when a request ends, when one started without a pick (the primary did not answer in
 * time), and when a pick went unused. A worker that stops takes its counts with it.
 */
export class GatewayConnections {
  readonly #byWorker = new Map<number, Map<string, number>>();
  readonly #total = new Map<string, number>();
  readonly #inFlight: InFlight = (target) => this.#total.get(target.id) ?? 0;

  constructor(private readonly balancer: Balancer) {}

  /** The target for a worker's request (counted for it); null: none usable; undefined: not served here. */
  pick(worker: number, resourceId: string, excludeId: string | undefined): string | null | undefined {
    const target = this.balancer.pickServed(resourceId, excludeId, this.#inFlight);
    if (!target) return target;
    this.count(worker, target.id, 1);
    return target.id;
  }

  /** One of a worker's requests started (+1) or ended (-1); never below what that worker had counted. */
  count(worker: number, targetId: string, delta: 1 | -1): void {
    let mine = this.#byWorker.get(worker);
    const now = (mine?.get(targetId) ?? 0) + delta;
    if (now < 0) return;
    if (!mine) this.#byWorker.set(worker, (mine = new Map()));
    if (now === 0) mine.delete(targetId);
    else mine.set(targetId, now);
    this.#add(targetId, delta);
  }

  /** The worker stopped: its requests are no longer in flight. */
  forget(worker: number): void {
    const mine = this.#byWorker.get(worker);
    if (!mine) return;
    this.#byWorker.delete(worker);
    for (const [targetId, n] of mine) this.#add(targetId, -n);
  }

  /** The gateway-wide count of one target. */
  inFlight(targetId: string): number {
    return this.#total.get(targetId) ?? 0;
  }

  #add(targetId: string, delta: number): void {
    const now = (this.#total.get(targetId) ?? 0) + delta;
    if (now <= 0) this.#total.delete(targetId);
    else this.#total.set(targetId, now);
  }
}
