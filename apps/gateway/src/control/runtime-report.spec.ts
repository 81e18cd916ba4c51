import { GatewayReportSchema } from '@rustronaut/contracts';
import { runtimeReport } from './runtime-report';

describe("a gateway's runtime report", () => {
  const status = {
    balancing: [
      {
        resource_id: 'res_b',
        targets: [
          {
            id: 'res_b:1',
            address: '10.0.0.2:80',
            state: 'unhealthy',
            last_check: { at: '2026-12-07T00:00:00.000Z', ok: false, detail: 'ECONNREFUSED' },
          },
        ],
      },
      {
        resource_id: 'res_a',
        targets: [{ id: 'res_a:0', address: '10.0.0.1:80', state: 'healthy', last_check: null }],
      },
    ],
    tunnels: [{ resource_id: 'res_svc' }, { site_id: 'sit_1' }, { resource_id: 'res_svc' }],
  };
  const cert = (source: 'acme' | 'file' | 'local-ca', names: string[], notAfter: string) => ({
    names,
    source,
    notAfter: new Date(notAfter),
  });

  it('says each target’s state, the tunnels once each, and the ACME and file certificates soonest-expiring first', () => {
    const acme = cert('acme', ['app.example.com'], '2027-01-01T00:00:00Z');
    const runtime = runtimeReport(status, [
      acme,
      acme, // stored under two names: reported once
      cert('file', ['*.example.com'], '2026-12-20T00:00:00Z'),
      cert('local-ca', ['app.localhost'], '2026-12-08T00:00:00Z'),
    ]);
    expect(runtime).toEqual({
      targets: [
        {
          resourceId: 'res_a',
          targetId: 'res_a:0',
          address: '10.0.0.1:80',
          state: 'healthy',
          lastCheck: null,
        },
        {
          resourceId: 'res_b',
          targetId: 'res_b:1',
          address: '10.0.0.2:80',
          state: 'unhealthy',
          lastCheck: { at: '2026-12-07T00:00:00.000Z', ok: false, detail: 'ECONNREFUSED' },
        },
      ],
      tunnels: [{ resourceId: 'res_svc' }, { siteId: 'sit_1' }],
      certificates: [
        { names: ['*.example.com'], source: 'file', notAfter: '2026-12-20T00:00:00.000Z' },
        { names: ['app.example.com'], source: 'acme', notAfter: '2027-01-01T00:00:00.000Z' },
      ],
    });
    // What the registry accepts: the report's schema.
    expect(
      GatewayReportSchema.safeParse({
        gatewayId: 'gw_1',
        kind: 'heartbeat',
        at: '2026-12-07T00:00:00.000Z',
        sites: {},
        runtime,
      }).success,
    ).toBe(true);
  });
});
