import { ResourceDataSchema } from '@rustronaut/contracts';
import { checkResourceShape, isCanonicalPrefix } from './resource-rules';

const resource = (over: object) =>
  ResourceDataSchema.parse({ siteId: 'st_1', name: 'app', protocol: 'http', ...over });

describe('checkResourceShape', () => {
  it('accepts an http resource with domains, and a tcp resource with a port, names, or both', () => {
    expect(() => checkResourceShape(resource({ domains: ['app.example.com'] }))).not.toThrow();
    expect(() => checkResourceShape(resource({ protocol: 'tcp', publicPort: 5432 }))).not.toThrow();
    // A private database, reached only by `rustronaut forward` under its name.
    expect(() =>
      checkResourceShape(resource({ protocol: 'tcp', domains: ['db.example.com'] })),
    ).not.toThrow();
    expect(() =>
      checkResourceShape(resource({ protocol: 'tcp', publicPort: 22, domains: ['x.example.com'] })),
    ).not.toThrow();
  });

  it.each([
    [{ domains: [] }, /needs at least one domain/],
    [{ domains: ['a.example.com'], publicPort: 80 }, /not a public_port/],
    [{ protocol: 'udp', domains: [] }, /needs a public_port/],
    [{ protocol: 'tcp', domains: [] }, /needs a public_port, or domains/],
    [{ protocol: 'udp', publicPort: 53, domains: ['x.example.com'] }, /has no domains/],
    [{ domains: ['a.example.com', 'A.example.com'] }, /listed twice/],
  ])('refuses %j', (over, message) => {
    expect(() => checkResourceShape(resource(over))).toThrow(message);
  });
});

describe('path_prefix is canonical, so the (domain, prefix) claim sees every duplicate', () => {
  const http = (pathPrefix: string) => resource({ domains: ['app.example.com'], pathPrefix });
  it.each(['/', '/admin', '/admin/', '/api/v1', "/a-b_c.d~e!$&'()*+,=:@"])('accepts %s', (prefix) => {
    expect(() => checkResourceShape(http(prefix))).not.toThrow();
  });
  it.each([
    '/adm%69n', '/%2e%2e/admin', '//admin', '/admin//x', '/./admin', '/x/../admin', '/admin/.', '/a;b',
    '/a\\b', '/a%2fb', '/caf\u00e9', '/a b', '/a?b', '/a#b', '/..',
  ])('refuses %j naming path_prefix', (prefix) => {
    expect(() => checkResourceShape(http(prefix))).toThrow(/path_prefix must be written in canonical form/);
  });
  it('every prefix it accepts is its own canonical form (generated)', () => {
    const alphabet = ['a', 'Z', '9', '-', '.', '_', '~', '%', '2', 'e', 'f', '/', ';', '\\', '@', ':'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
    for (let n = 0; n < 5000; n++) {
      let prefix = '/';
      const length = next() % 12;
      for (let i = 0; i < length; i++) prefix += alphabet[next() % alphabet.length];
      if (!isCanonicalPrefix(prefix)) continue;
      expect(prefix).not.toMatch(/%|\/\/|;|\\/);
      expect(prefix.split('/')).not.toContain('..');
      expect(prefix.split('/')).not.toContain('.');
    }
  });
});
