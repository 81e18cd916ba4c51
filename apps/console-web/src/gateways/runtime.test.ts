import { describe, expect, it } from 'vitest';
import { certificatesNearExpiry, connectedTunnels, targetHealth } from './runtime';

const now = new Date('2026-12-07T00:00:00Z');
const gateway = (name: string, status: 'healthy' | 'unhealthy', runtime: object | null) =>
  ({ id: `gw_${name}`, name, status, runtime }) as Parameters<typeof connectedTunnels>[0][number];

const edge = gateway('edge-1', 'healthy', {
  reported_at: '2026-12-07T00:00:00Z',
  targets: [
    {
      resource_id: 'res_1',
      target_id: 'tgt_1',
      address: '10.0.0.1:80',
      state: 'unhealthy',
      last_check: null,
    },
    { resource_id: 'res_2', target_id: 'tgt_2', address: '10.0.0.2:80', state: 'healthy', last_check: null },
  ],
  tunnels: [{ resource_id: 'res_svc' }, { site_id: 'sit_1' }],
  certificates: [
    { names: ['late.example.com'], source: 'acme', not_after: '2027-03-01T00:00:00Z' },
    { names: ['soon.example.com'], source: 'file', not_after: '2026-12-10T12:00:00Z' },
    { names: ['gone.example.com'], source: 'acme', not_after: '2026-12-01T00:00:00Z' },
  ],
});
const down = gateway('edge-2', 'unhealthy', {
  reported_at: '2026-12-06T00:00:00Z',
  targets: [
    { resource_id: 'res_1', target_id: 'tgt_1', address: '10.0.0.1:80', state: 'healthy', last_check: null },
  ],
  tunnels: [{ resource_id: 'res_old' }],
  certificates: [],
});

describe('what the gateways report they serve, as the console shows it', () => {
  it('lists certificates expiring within 30 days (and expired ones) soonest first, with the days left', () => {
    expect(certificatesNearExpiry([edge, down, gateway('new', 'healthy', null)], now)).toEqual([
      {
        gateway: 'edge-1',
        names: ['gone.example.com'],
        source: 'acme',
        notAfter: '2026-12-01T00:00:00Z',
        daysLeft: -6,
      },
      {
        gateway: 'edge-1',
        names: ['soon.example.com'],
        source: 'file',
        notAfter: '2026-12-10T12:00:00Z',
        daysLeft: 3,
      },
    ]);
  });

  it('counts a tunnel connected only on a healthy gateway', () => {
    expect([...connectedTunnels([edge, down])]).toEqual(['res_svc']);
  });

  it("gives a resource's targets' health by target, from healthy gateways", () => {
    const health = targetHealth([edge, down], 'res_1');
    expect([...health.keys()]).toEqual(['tgt_1']);
    expect(health.get('tgt_1')?.map((t) => [t.gateway, t.state])).toEqual([['edge-1', 'unhealthy']]);
  });
});
