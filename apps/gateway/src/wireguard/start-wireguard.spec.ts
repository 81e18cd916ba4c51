import { wireGuardListenPort } from './start-wireguard';

describe("the gateway's WireGuard listen port", () => {
  it("is the console's wireguard_port unless --wireguard-port overrides it", () => {
    expect(wireGuardListenPort(undefined, 51830)).toBe(51830);
    expect(wireGuardListenPort('51999', 51830)).toBe(51999);
  });

  it('is 51820 when neither says (a gateway enrolled by an older console, or run with --sites)', () => {
    expect(wireGuardListenPort(undefined, undefined)).toBe(51820);
  });

  it('refuses a flag that is not a port', () => {
    for (const flag of ['0', '65536', 'x', '51820x', '-1', ''])
      expect(() => wireGuardListenPort(flag, 51830)).toThrow('--wireguard-port must be a port number');
  });
});
