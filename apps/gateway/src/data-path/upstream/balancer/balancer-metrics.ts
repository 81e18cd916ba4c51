import { Gauge, type Registry } from 'prom-client';
import type { Balancer } from './balancer';

/** Target health and load on /metrics, read from the balancer when scraped. */
export function registerBalancerMetrics(registry: Registry, balancer: Balancer): void {
  new Gauge({
    name: 'rustronaut_gateway_target_up',
    help: 'Whether a target may get traffic now (1) or is unhealthy, ejected or drained (0)',
    labelNames: ['resource', 'target', 'state'],
    registers: [registry],
    // Several data-plane workers share one health state: a target is up when every worker may use it.
    aggregator: 'min',
    collect() {
      this.reset();
      for (const resource of balancer.status())
        for (const target of resource.targets)
          this.set(
            { resource: resource.resource_id, target: target.id, state: target.state },
            target.state === 'healthy' ? 1 : 0,
          );
    },
  });
  new Gauge({
    name: 'rustronaut_gateway_target_in_flight',
    help: 'Requests and TCP/UDP connections or flows a target is serving now',
    labelNames: ['resource', 'target'],
    registers: [registry],
    collect() {
      this.reset();
      for (const resource of balancer.status())
        for (const target of resource.targets)
          this.set({ resource: resource.resource_id, target: target.id }, target.in_flight);
    },
  });
}
