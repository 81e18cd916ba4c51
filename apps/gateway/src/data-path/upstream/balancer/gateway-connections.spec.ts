import { ResourceDataSchema, type SiteSnapshot } from '@rustronaut/contracts';
import { Balancer, LEASE_MS, type ConnectionCounter, type TargetState } from './balancer';
import { GatewayConnections } from './gateway-connections';

type Target = SiteSnapshot['resources'][number]['targets'][number];

const target = (id: string, port: number): Target => ({
  id,
  address: `127.0.0.1:${port}`,
  protocol: 'http',
  weight: 1,
  region: null,
  healthCheck: null,
});

const resource = {
  ...ResourceDataSchema.parse({ siteId: 'st_1', name: 'least', protocol: 'http', domains: ['least.test'] }),
  loadBalancing: 'least_connections' as const,
  id: 'res_least',
  targets: [target('slow', 8001), target('fast', 8002)],
};

const snapshot: SiteSnapshot = {
  format: 1,
  siteId: 'st_1',
  orgId: 'org_1',
  revision: 1,
  issuedAt: new Date().toISOString(),
  site: { name: 'site', subnet: '10.0.0.0/24', region: 'eu', connectionType: 'local' },
  resources: [resource],
  policies: [],
  groups: {},
  jwks: [],
};

/** A primary and its workers, the IPC channel replaced by a promise (an answer comes later, as over IPC). */
function gateway(workers: number) {
  const primary = new Balancer();
  primary.sync([snapshot]);
  const connections = new GatewayConnections(primary);
  const balancers = Array.from({ length: workers }, (_, worker) => {
    const balancer = new Balancer();
    balancer.sync([snapshot]);
    const counter: ConnectionCounter = {
      pick: (resourceId, excludeId) =>
        new Promise((resolve) => setImmediate(() => resolve(connections.pick(worker, resourceId, excludeId)))),
      count: (targetId, delta) => connections.count(worker, targetId, delta),
    };
    balancer.countLeastConnectionsWith(counter);
    return balancer;
  });
  return { connections, balancers };
}

describe('least connections across the workers of a gateway (the primary picks by the gateway-wide count)', () => {
  it('a slow target holding a request gets no second one, whichever worker takes the next', async () => {
    const { connections, balancers } = gateway(2);
    const held: TargetState[] = [];
    for (let i = 0; i < 20; i++) {
      // The requests land on the workers in turn, as node:cluster hands out connections.
      const balancer = balancers[i % 2]!;
      const picked = (await balancer.choose(resource))!;
      balancer.started(picked);
      if (picked.id === 'slow') held.push(picked);
      else balancer.ended(picked); // the fast target answers at once
    }
    expect(held).toHaveLength(1);
    expect(connections.inFlight('slow')).toBe(1);
    expect(connections.inFlight('fast')).toBe(0);
  });

  it('two workers asking at the same moment are told different targets', async () => {
    const { balancers } = gateway(2);
    const [a, b] = await Promise.all(balancers.map((balancer) => balancer.choose(resource)));
    expect(new Set([a!.id, b!.id])).toEqual(new Set(['slow', 'fast']));
  });

  it('the target that just failed is not picked again for the retry', async () => {
    const { balancers } = gateway(2);
    const first = (await balancers[0]!.choose(resource))!;
    for (let i = 0; i < 3; i++) {
      const retry = (await balancers[1]!.choose(resource, first))!;
      expect(retry.id).not.toBe(first.id);
      balancers[1]!.started(retry);
      balancers[1]!.ended(retry);
    }
  });

  it('a pick no request started on is given back; a late start still counts', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    try {
      const { connections, balancers } = gateway(1);
      const picked = (await balancers[0]!.choose(resource))!;
      expect(connections.inFlight(picked.id)).toBe(1);
      jest.advanceTimersByTime(LEASE_MS);
      expect(connections.inFlight(picked.id)).toBe(0);
      balancers[0]!.started(picked);
      expect(connections.inFlight(picked.id)).toBe(1);
      balancers[0]!.ended(picked);
      expect(connections.inFlight(picked.id)).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('a worker whose primary does not answer picks on its own count rather than waiting', async () => {
    const balancer = new Balancer();
    balancer.sync([snapshot]);
    const counted: [string, number][] = [];
    balancer.countLeastConnectionsWith({
      pick: () => Promise.reject(new Error('no answer to pick within 1000 ms')),
      count: (targetId, delta) => void counted.push([targetId, delta]),
    });
    const first = (await balancer.choose(resource))!;
    balancer.started(first);
    const second = (await balancer.choose(resource))!;
    expect(second.id).not.toBe(first.id);
    // The starts are still reported, so the primary's count is right once it answers again.
    expect(counted).toEqual([[first.id, 1]]);
  });

  it('a worker that stops takes its requests out of the count', async () => {
    const { connections, balancers } = gateway(2);
    const a = (await balancers[0]!.choose(resource))!;
    balancers[0]!.started(a);
    const b = (await balancers[1]!.choose(resource))!;
    balancers[1]!.started(b);
    connections.forget(0);
    expect(connections.inFlight(a.id)).toBe(0);
    expect(connections.inFlight(b.id)).toBe(1);
    // An end the primary no longer counts does not take the count below what is in flight.
    connections.count(0, a.id, -1);
    expect(connections.inFlight(b.id)).toBe(1);
  });

  it('round robin and weighted resources are picked by the worker alone (no question to the primary)', () => {
    const balancer = new Balancer();
    balancer.sync([snapshot]);
    balancer.countLeastConnectionsWith({
      pick: () => Promise.reject(new Error('not asked')),
      count: () => {
        throw new Error('not counted');
      },
    });
    const roundRobin = { ...resource, loadBalancing: 'round_robin' as const };
    const picked = balancer.choose(roundRobin);
    expect(picked).not.toBeInstanceOf(Promise);
  });
});
