import { authorityOf, endToEndHeaders } from './header-filter';

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

describe('authorityOf', () => {
  it('reads Host over HTTP/1.1 and :authority over HTTP/2', () => {
    expect(authorityOf({ host: 'a.localhost:8443' })).toBe('a.localhost:8443');
    expect(authorityOf({ ':authority': 'b.localhost' } as never)).toBe('b.localhost');
    expect(authorityOf({})).toBeUndefined();
  });
});
