import { TrustedProxies } from './trusted-proxies';

describe('TrustedProxies', () => {
  const proxies = new TrustedProxies([
    { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
    { address: 'fd00::', prefix: 8, family: 'ipv6' },
  ]);

  it('ignores X-Forwarded-For and -Proto from a peer that is not a trusted proxy', () => {
    const headers = { 'x-forwarded-for': '1.1.1.1', 'x-forwarded-proto': 'https' };
    expect(proxies.clientIp('203.0.113.9', headers)).toBe('203.0.113.9');
    expect(proxies.scheme('203.0.113.9', headers, 'http')).toBe('http');
    expect(new TrustedProxies([]).clientIp('10.0.0.1', headers)).toBe('10.0.0.1');
  });

  it('takes the right-most address no trusted proxy stands for', () => {
    // The client forged 6.6.6.6; the real client is 198.51.100.7, then two trusted hops.
    const headers = { 'x-forwarded-for': '6.6.6.6, 198.51.100.7, 10.1.1.1' };
    expect(proxies.clientIp('10.2.2.2', headers)).toBe('198.51.100.7');
    expect(proxies.clientIp('fd00::1', { 'x-forwarded-for': '2001:db8::5' })).toBe('2001:db8::5');
    expect(proxies.clientIp('10.2.2.2', { 'x-forwarded-for': '[2001:db8::5]:443, 198.51.100.7:5678' })).toBe(
      '198.51.100.7',
    );
  });

  it('keeps the last good hop when the header holds something that is not an address', () => {
    expect(proxies.clientIp('10.2.2.2', { 'x-forwarded-for': 'unknown, 10.1.1.1' })).toBe('10.1.1.1');
    expect(proxies.clientIp('10.2.2.2', { 'x-forwarded-for': 'garbage' })).toBe('10.2.2.2');
    expect(proxies.clientIp('10.2.2.2', {})).toBe('10.2.2.2');
  });

  it("believes a trusted proxy's last X-Forwarded-Proto, if it is http or https", () => {
    expect(proxies.scheme('10.2.2.2', { 'x-forwarded-proto': 'https' }, 'http')).toBe('https');
    expect(proxies.scheme('10.2.2.2', { 'x-forwarded-proto': 'http, https' }, 'http')).toBe('https');
    expect(proxies.scheme('10.2.2.2', { 'x-forwarded-proto': 'gopher' }, 'http')).toBe('http');
  });
});
