import { endToEndHeaders, isReservedHeader } from './header-filter';

describe('endToEndHeaders', () => {
  it('drops hop-by-hop headers, what Connection names, and HTTP/2 pseudo-headers', () => {
    const out = endToEndHeaders({
      ':method': 'GET',
      ':authority': 'app.localhost',
      ':path': '/',
      connection: 'keep-alive, x-private',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      upgrade: 'h2c',
      'proxy-connection': 'keep-alive',
      'x-private': 'secret',
      'content-type': 'text/plain',
      'set-cookie': ['a=1', 'b=2'],
    });
    expect(out).toEqual({ 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] });
  });

  it('keeps te only as "trailers"', () => {
    expect(endToEndHeaders({ te: 'trailers' })).toEqual({ te: 'trailers' });
    expect(endToEndHeaders({ te: 'gzip, trailers;q=1' })).toEqual({ te: 'trailers' });
    expect(endToEndHeaders({ te: 'gzip' })).toEqual({});
  });
});

describe('identity and forwarding headers from a client', () => {
  const RESERVED = [
    'x-rustronaut-user',
    'x-rustronaut-anything',
    'x-forwarded-for',
    'x-forwarded-host',
    'x-forwarded-proto',
    'x-forwarded-port',
    'x-forwarded-prefix',
    'x-forwarded-uri',
    'x-forwarded-user',
    'x-forwarded-server',
    'forwarded',
    'x-real-ip',
    'remote-user',
    'x-remote-user',
    'x-authenticated-user',
    'x-auth-request-user',
    'x-auth-request-email',
    'x-original-url',
    'x-rewrite-url',
    'true-client-ip',
  ];
  const spell = (name: string, separator: string) => name.replaceAll('-', separator);

  it('are dropped in every spelling (case is folded by Node; "-", "_" and "." separators)', () => {
    for (const name of RESERVED)
      for (const separator of ['-', '_', '.']) {
        const out = endToEndHeaders({ [spell(name, separator)]: 'forged', accept: '*/*' }, undefined, true);
        expect(out).toEqual({ accept: '*/*' });
      }
  });

  it('drops any name with "_", keeps ordinary headers, and leaves responses alone', () => {
    expect(endToEndHeaders({ x_custom: '1', 'x-custom': '2', 'user-agent': 'u' }, undefined, true)).toEqual({
      'x-custom': '2',
      'user-agent': 'u',
    });
    expect(endToEndHeaders({ 'x-real-ip': '1.2.3.4' })).toEqual({ 'x-real-ip': '1.2.3.4' });
    expect(isReservedHeader('x-forwardedfor')).toBe(false);
    expect(isReservedHeader('content-type')).toBe(false);
  });
});
