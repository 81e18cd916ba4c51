import { IpSet, ipv4ToNumber } from './ip-set';

describe('IpSet (compiled CIDR ranges)', () => {
  const set = new IpSet([
    '10.1.0.0/24',
    '10.1.1.0/24',
    '127.0.0.2/32',
    'fd00::/64',
    '::ffff:192.168.0.0/120',
  ]);

  it('matches IPv4 addresses inside any range, and none outside', () => {
    expect(set.has('10.1.0.0')).toBe(true);
    expect(set.has('10.1.1.255')).toBe(true); // adjacent /24s merged into one range
    expect(set.has('127.0.0.2')).toBe(true);
    expect(set.has('127.0.0.3')).toBe(false);
    expect(set.has('10.1.2.0')).toBe(false);
    expect(set.has('9.255.255.255')).toBe(false);
  });

  it('matches IPv6, and IPv4-mapped IPv6 as the IPv4 address (both as client and as CIDR)', () => {
    expect(set.has('fd00::1')).toBe(true);
    expect(set.has('fd00:0:0:1::1')).toBe(false);
    expect(set.has('::ffff:10.1.0.7')).toBe(true);
    expect(set.has('::ffff:a01:7')).toBe(true);
    expect(set.has('192.168.0.9')).toBe(true);
    expect(set.has('192.168.1.9')).toBe(false);
  });

  it('does not match what is not an address, and refuses a bad CIDR at compile time', () => {
    expect(set.has('')).toBe(false);
    expect(set.has('10.1.0')).toBe(false);
    expect(set.has('010.1.0.1')).toBe(false);
    expect(set.has('10.1.0.256')).toBe(false);
    expect(set.has('not-an-ip')).toBe(false);
    expect(() => new IpSet(['10.0.0.0/33'])).toThrow(/not a CIDR/);
  });

  it('parses dotted quads without allocating a parser', () => {
    expect(ipv4ToNumber('255.255.255.255')).toBe(2 ** 32 - 1);
    expect(ipv4ToNumber('1.2.3.4')).toBe(0x01020304);
    expect(ipv4ToNumber('1.2.3.4.5')).toBe(-1);
    expect(ipv4ToNumber('1..3.4')).toBe(-1);
  });
});
