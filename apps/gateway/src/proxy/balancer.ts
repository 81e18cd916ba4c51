import { parseTargetAddress } from '@rustronaut/contracts';
import type { RoutedResource } from './route-table';

export interface PickedTarget {
  /** The target's address as configured (for pages and logs). */
  target: string;
  destination: { host: string; port: number } | { socketPath: string };
}

/** Which target serves the next request of a resource. */
export class Balancer {
  readonly #next = new Map<string, number>();

  pick(resource: RoutedResource): PickedTarget | undefined {
    const targets = resource.targets.filter((t) => t.weight > 0);
    if (targets.length === 0) return undefined;
    const index = (this.#next.get(resource.id) ?? 0) % targets.length;
    this.#next.set(resource.id, index + 1);
    const target = targets[index];
    const address = target && parseTargetAddress(target.address);
    if (!target || !address) return undefined;
    return {
      target: target.address,
      destination:
        address.kind === 'unix' ? { socketPath: address.path } : { host: address.host, port: address.port },
    };
  }
}
