import { ResourceDataSchema, type SiteSnapshot } from '@rustronaut/contracts';
import { Balancer } from './balancer';

type Target = SiteSnapshot['resources'][number]['targets'][number];

const target = (id: string, address: string, extra: Partial<Target> = {}): Target => ({
  id,
  address,
  protocol: 'http',
  weight: 1,
  region: null,
  healthCheck: null,
  ...extra,
});

function snapshot(revision: number, targets: Target[]): SiteSnapshot {
  return {
    format: 1,
    siteId: 'st_1',
    orgId: 'org_1',
    revision,
    issuedAt: new Date().toISOString(),
    site: { name: 'site', subnet: '10.0.0.0/24', region: 'eu', connectionType: 'local' },
    resources: [
      {
        ...ResourceDataSchema.parse({ siteId: 'st_1', name: 'app', protocol: 'http', domains: ['app.test'] }),
        id: 'res_1',
        targets,
      },
    ],
    policies: [],
    groups: {},
    jwks: [],
  };
}

describe('Balancer across snapshots', () => {
  const ejection = { afterFailures: 1, baseMs: 60_000, maxMs: 60_000 };

  it('keeps an unchanged target’s state (ejection, in flight) when a new snapshot arrives', () => {
    const balancer = new Balancer(undefined, { ejection });
    balancer.sync([snapshot(1, [target('tgt_a', '10.0.0.1:80'), target('tgt_b', '10.0.0.2:80')])]);
    const resource = snapshot(1, []).resources[0]!;
    const a = balancer.pick({ ...resource, targets: [] })!;
    expect(a.id).toBe('tgt_a');
    a.inFlight++;
    balancer.connectFailed(a, Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));

    // A new revision adds a target and changes a's weight: a keeps its ejection and its count.
    balancer.sync([
      snapshot(2, [
        target('tgt_a', '10.0.0.1:80', { weight: 5 }),
        target('tgt_b', '10.0.0.2:80'),
        target('tgt_c', '10.0.0.3:80'),
      ]),
    ]);
    const view = balancer.status()[0]!.targets;
    expect(view.find((t) => t.id === 'tgt_a')).toMatchObject({ state: 'ejected', in_flight: 1, weight: 5 });
    const picked = new Set(Array.from({ length: 10 }, () => balancer.pick({ ...resource, targets: [] })!.id));
    expect(picked).toEqual(new Set(['tgt_b', 'tgt_c']));
  });

  it('starts over for a target whose address changed, and forgets removed ones', () => {
    const balancer = new Balancer(undefined, { ejection });
    balancer.sync([snapshot(1, [target('tgt_a', '10.0.0.1:80'), target('tgt_b', '10.0.0.2:80')])]);
    const resource = snapshot(1, []).resources[0]!;
    const a = balancer.pick({ ...resource, targets: [] })!;
    balancer.connectFailed(a, Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
    balancer.sync([snapshot(2, [target('tgt_a', '10.0.0.9:80')])]);
    expect(balancer.status()[0]!.targets).toEqual([
      expect.objectContaining({
        id: 'tgt_a',
        address: '10.0.0.9:80',
        state: 'healthy',
        consecutive_failures: 0,
      }),
    ]);
  });

  it('checks only the targets of the current snapshot', () => {
    const balancer = new Balancer();
    const check = {
      kind: 'tcp' as const,
      path: '/',
      intervalS: 60,
      timeoutS: 1,
      healthyThreshold: 1,
      unhealthyThreshold: 1,
    };
    balancer.sync([
      snapshot(1, [
        target('tgt_a', '127.0.0.1:9', { healthCheck: check }),
        target('tgt_b', '127.0.0.1:10', { healthCheck: check }),
      ]),
    ]);
    expect(balancer.health.size).toBe(2);
    balancer.sync([snapshot(2, [target('tgt_b', '127.0.0.1:10', { healthCheck: check })])]);
    expect(balancer.health.size).toBe(1);
    balancer.sync([snapshot(3, [target('tgt_b', '127.0.0.1:10')])]); // its check removed
    expect(balancer.health.size).toBe(0);
    balancer.stop();
  });
});
