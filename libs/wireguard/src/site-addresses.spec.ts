import { randomInt } from 'node:crypto';
import { WireGuardError } from './errors';
import { gatewayAddress, nextFreeAddress } from './site-addresses';

describe('site addresses', () => {
  it('gives the gateway the first host and devices the next free ones', () => {
    expect(gatewayAddress('10.1.0.0/24')).toBe('10.1.0.1');
    expect(nextFreeAddress('10.1.0.0/24', [])).toBe('10.1.0.2');
    expect(nextFreeAddress('10.1.0.0/24', ['10.1.0.2', '10.1.0.4'])).toBe('10.1.0.3');
    expect(gatewayAddress('fd00:1::/64')).toBe('fd00:1::1');
    expect(nextFreeAddress('fd00:1::/64', ['fd00:1::2', 'fd00:1:0:0::3'])).toBe('fd00:1::4');
  });

  it('given a full subnet, refuses with DEVICE_SUBNET_FULL (never the broadcast)', () => {
    expect(() => nextFreeAddress('10.1.0.0/30', ['10.1.0.2'])).toThrow(/no free address/);
    expect(() => nextFreeAddress('10.1.0.0/31', [])).toThrow(WireGuardError);
  });

  it('given any order of assignments and releases, never hands out a taken address', () => {
    for (let run = 0; run < 200; run++) {
      const taken = new Set<string>();
      for (let step = 0; step < 30; step++) {
        if (taken.size && randomInt(3) === 0) taken.delete([...taken][randomInt(taken.size)]!);
        else {
          const next = nextFreeAddress('10.9.0.0/26', taken);
          expect(taken.has(next)).toBe(false);
          expect(['10.9.0.0', '10.9.0.1', '10.9.0.63']).not.toContain(next);
          taken.add(next);
        }
      }
    }
  });
});
