import { cidrsOverlap, ipInCidr, isDomainPattern, parseCidr, parseTargetAddress } from './net';

describe('network values', () => {
  it('parses CIDRs and finds overlaps within one family only', () => {
    expect(parseCidr('10.1.0.0/24')).toMatchObject({ family: 'ipv4' });
    expect(parseCidr('10.1.0.0/33')).toBeUndefined();
    expect(parseCidr('nonsense')).toBeUndefined();
    expect(cidrsOverlap('10.1.0.0/24', '10.1.0.128/25')).toBe(true);
    expect(cidrsOverlap('10.1.0.0/24', '10.1.1.0/24')).toBe(false);
    expect(cidrsOverlap('10.0.0.0/8', '10.200.3.0/24')).toBe(true);
    expect(cidrsOverlap('fd00::/64', '10.0.0.0/8')).toBe(false);
  });

  it('matches addresses, including IPv4-mapped IPv6 as sockets report them', () => {
    expect(ipInCidr('10.1.0.77', '10.1.0.0/24')).toBe(true);
    expect(ipInCidr('10.1.1.1', '10.1.0.0/24')).toBe(false);
    expect(ipInCidr('::ffff:10.1.0.9', '10.1.0.0/24')).toBe(true);
    expect(ipInCidr('fd00::1', 'fd00::/64')).toBe(true);
    expect(ipInCidr('garbage', '10.0.0.0/8')).toBe(false);
  });

  it('accepts domains and one leading wildcard', () => {
    expect(isDomainPattern('app.company.com')).toBe(true);
    expect(isDomainPattern('*.api.company.com')).toBe(true);
    expect(isDomainPattern('a.*.company.com')).toBe(false);
    expect(isDomainPattern('App.company.com')).toBe(false);
    expect(isDomainPattern('-bad.com')).toBe(false);
  });

  it('parses target addresses', () => {
    expect(parseTargetAddress('10.1.0.100:80')).toEqual({ kind: 'inet', host: '10.1.0.100', port: 80 });
    expect(parseTargetAddress('[fd00::5]:443')).toEqual({ kind: 'inet', host: 'fd00::5', port: 443 });
    expect(parseTargetAddress('app.internal:8080')).toEqual({
      kind: 'inet',
      host: 'app.internal',
      port: 8080,
    });
    expect(parseTargetAddress('unix:/var/run/app.sock')).toEqual({ kind: 'unix', path: '/var/run/app.sock' });
    for (const bad of [
      '10.1.0.100',
      '10.1.0.300:80',
      'host:0',
      'host:70000',
      'unix:relative',
      '[nope]:80',
      ':80',
    ]) {
      expect(parseTargetAddress(bad)).toBeUndefined();
    }
  });
});
