import type { GatewayRuntime } from '@rustronaut/contracts';
import { runtimeChanged } from './gateway-reports';

const runtime = (changes: Partial<GatewayRuntime> = {}): GatewayRuntime => ({
  targets: [
    {
      resourceId: 'res_1',
      targetId: 'tgt_1',
      address: '10.0.0.1:80',
      state: 'healthy',
      lastCheck: { at: '2026-12-07T00:00:00.000Z', ok: true, detail: 'HTTP 200' },
    },
  ],
  tunnels: [{ resourceId: 'res_svc' }],
  certificates: [{ names: ['app.example.com'], source: 'acme', notAfter: '2027-01-01T00:00:00.000Z' }],
  ...changes,
});

describe('when the console is told a gateway’s runtime changed', () => {
  it('on the first report, a target turning unhealthy, a tunnel going or a certificate renewed — not on a later check alone', () => {
    const before = runtime();
    expect(runtimeChanged(null, before)).toBe(true);
    const checkedAgain = runtime({
      targets: [
        {
          ...before.targets[0]!,
          lastCheck: { at: '2026-12-07T00:00:10.000Z', ok: true, detail: 'HTTP 200' },
        },
      ],
    });
    expect(runtimeChanged(before, checkedAgain)).toBe(false);
    expect(
      runtimeChanged(before, runtime({ targets: [{ ...before.targets[0]!, state: 'unhealthy' }] })),
    ).toBe(true);
    expect(runtimeChanged(before, runtime({ tunnels: [] }))).toBe(true);
    expect(
      runtimeChanged(
        before,
        runtime({ certificates: [{ ...before.certificates[0]!, notAfter: '2027-03-01T00:00:00.000Z' }] }),
      ),
    ).toBe(true);
  });
});
