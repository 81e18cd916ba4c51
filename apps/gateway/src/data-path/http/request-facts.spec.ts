import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { authorityProblem, factsOf } from './request-facts';

const request = (url: string, headers: Record<string, string> = { host: 'app.example.com' }) =>
  ({
    url,
    method: 'GET',
    headers,
    socket: { remoteAddress: '::ffff:10.1.2.3' },
  }) as unknown as IncomingMessage;

describe('factsOf', () => {
  it('keeps a canonical request-target as sent (query included) and canonicalises the others', () => {
    const plain = factsOf(request('/app/page?x=1'), 'http');
    expect(plain).toMatchObject({ path: '/app/page', target: '/app/page?x=1', malformed: null });
    const odd = factsOf(request('//app/./x/../%70age?x=1'), 'http');
    expect(odd).toMatchObject({ path: '/app/page', target: '/app/page?x=1', malformed: null });
  });

  it('routes an absolute-form target by its authority and sends origin-form with that Host', () => {
    const sut = factsOf(
      request('http://Other.Example.com:8080/a/../admin?q', { host: 'app.example.com' }),
      'http',
    );
    expect(sut).toMatchObject({
      host: 'other.example.com',
      authority: 'Other.Example.com:8080',
      path: '/admin',
      target: '/admin?q',
      malformed: null,
    });
    expect(factsOf(request('HTTP://h.example'), 'http')).toMatchObject({ path: '/', target: '/' });
    expect(factsOf(request('*'), 'http').malformed).toMatch(/neither a path/);
    expect(factsOf(request('ftp://h/x'), 'http').malformed).toMatch(/neither a path/);
    expect(factsOf(request('http://user@h.example/x'), 'http').malformed).toMatch(/userinfo/);
  });

  it('refuses an ambiguous path and a fragment, saying why', () => {
    expect(factsOf(request('/a%2fb'), 'http').malformed).toMatch(/encoded "\/"/);
    expect(factsOf(request('/a?b#c'), 'http').malformed).toMatch(/fragment/);
  });
});

describe('authorityProblem', () => {
  it('accepts a host name or IP literal with an optional port', () => {
    for (const ok of [
      'app.example.com',
      'APP.example.com.',
      'a:8080',
      'a:',
      '127.0.0.1:1',
      '[::1]:443',
      'x_y.local',
    ])
      expect(authorityProblem(ok)).toBeNull();
  });

  it('refuses userinfo, ports past 65535, lists, spaces and anything else', () => {
    expect(authorityProblem('user@app.example.com')).toMatch(/userinfo/);
    expect(authorityProblem('user:pw@app.example.com:80')).toMatch(/userinfo/);
    expect(authorityProblem('app.example.com:65536')).toMatch(/65535/);
    expect(authorityProblem('app.example.com:99999')).toMatch(/65535/);
    for (const bad of ['a:123456', 'a:80:80', 'a, b', 'a b', 'a/b', '[::1', 'a:-1', 'a:0x50', 'a\\b'])
      expect(authorityProblem(bad)).not.toBeNull();
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (value) => {
        // Whatever is accepted names one host the route table can look up: no userinfo, no path, no list.
        if (authorityProblem(value) === null) expect(value).toMatch(/^[A-Za-z0-9._~\-[\]:]*$/);
      }),
    );
  });
});
