import { parseReturnUrl } from './return-url';

describe('parseReturnUrl', () => {
  it('takes an absolute http(s) URL apart', () => {
    expect(parseReturnUrl('https://App.Example.com:8443/wiki/page?x=1#top')).toEqual({
      scheme: 'https',
      host: 'app.example.com',
      authority: 'app.example.com:8443',
      pathAndQuery: '/wiki/page?x=1',
    });
    expect(parseReturnUrl('http://app.localhost/').scheme).toBe('http');
  });

  it.each([
    ['', /there is none/],
    ['//evil.com/x', /http:\/\/ or https:\/\//],
    ['/relative/path', /http:\/\/ or https:\/\//],
    ['javascript:alert(1)', /http:\/\/ or https:\/\//],
    ['data:text/html,hi', /http:\/\/ or https:\/\//],
    ['ftp://app.example.com/', /http:\/\/ or https:\/\//],
    ['https:///evil.com', /http:\/\/ or https:\/\//],
    ['https://app.example.com@evil.com/', /user information/],
    ['https://user:pw@app.example.com/', /user information/],
    ['https:\\\\evil.com', /backslashes/],
    ['https://app.example.com\\@evil.com', /backslashes/],
    ['https://app.example.com/ x', /spaces/],
    ['https://app.example.com/\nSet-Cookie:x', /control characters/],
    [`https://app.example.com/${'a'.repeat(2000)}`, /too long/],
  ])('refuses %j', (raw, why) => {
    expect(() => parseReturnUrl(raw)).toThrow(why);
  });
});
