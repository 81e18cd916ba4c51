import fc from 'fast-check';
import { prefixCovers, resourceFor, RouteIndex, routePrefix, type Routable } from './route';

const r = (id: string, domains: string[], pathPrefix: string | null = null) => ({ id, domains, pathPrefix });

describe('routePrefix', () => {
  it.each([
    [null, '/'],
    ['/', '/'],
    ['//', '/'],
    ['/admin', '/admin'],
    ['/admin/', '/admin'],
    ['/a/b//', '/a/b'],
  ])('%s claims %s', (given, claimed) => expect(routePrefix(given)).toBe(claimed));
});

describe('prefixCovers', () => {
  it('covers on a segment boundary only', () => {
    expect(prefixCovers('/admin', '/admin')).toBe(true);
    expect(prefixCovers('/admin/', '/admin')).toBe(true);
    expect(prefixCovers('/admin', '/admin/users')).toBe(true);
    expect(prefixCovers('/admin', '/administrator')).toBe(false);
    expect(prefixCovers('/admin', '/')).toBe(false);
    expect(prefixCovers(null, '/anything')).toBe(true);
  });
});

describe('resourceFor', () => {
  const site = r('res_site', ['app.example.com']);
  const admin = r('res_admin', ['app.example.com'], '/admin');
  const adminApi = r('res_admin_api', ['app.example.com'], '/admin/api/');
  const wildcard = r('res_wild', ['*.example.com'], '/admin');
  const all = [site, admin, adminApi, wildcard];

  it('given / and /admin on one domain, the longest covering prefix serves', () => {
    expect(resourceFor(all, 'app.example.com', '/')?.id).toBe('res_site');
    expect(resourceFor(all, 'app.example.com', '/administrator')?.id).toBe('res_site');
    expect(resourceFor(all, 'app.example.com', '/admin')?.id).toBe('res_admin');
    expect(resourceFor(all, 'app.example.com', '/admin/users')?.id).toBe('res_admin');
    expect(resourceFor(all, 'app.example.com', '/admin/api/keys')?.id).toBe('res_admin_api');
  });

  it('an exact domain wins over a wildcard, even with a shorter prefix', () => {
    expect(resourceFor(all, 'app.example.com', '/admin/x')?.id).toBe('res_admin');
    expect(resourceFor(all, 'other.example.com', '/admin/x')?.id).toBe('res_wild');
  });

  it('a path no prefix covers on the host falls to a wildcard, else to nothing', () => {
    expect(resourceFor([admin, wildcard], 'app.example.com', '/')).toBeUndefined();
    expect(resourceFor([admin], 'app.example.com', '/public')).toBeUndefined();
    expect(resourceFor(all, 'example.com', '/')).toBeUndefined();
  });

  it('does not depend on the order the resources are listed in', () => {
    for (let i = 0; i < 20; i++) {
      const shuffled = [...all].sort(() => Math.random() - 0.5);
      expect(resourceFor(shuffled, 'app.example.com', '/admin/api')?.id).toBe('res_admin_api');
    }
  });
});

/** resourceFor as it was written before RouteIndex: a scan per host candidate, the longest prefix kept. */
function scanned<R extends Routable>(resources: readonly R[], host: string, path: string): R | undefined {
  const labels = host.split('.');
  const names = [host, ...labels.slice(1).map((_, i) => `*.${labels.slice(i + 1).join('.')}`)];
  for (const name of names) {
    let best: R | undefined;
    let bestLength = -1;
    for (const resource of resources) {
      if (!resource.domains.includes(name) || !prefixCovers(resource.pathPrefix, path)) continue;
      const length = routePrefix(resource.pathPrefix).length;
      if (length > bestLength) {
        best = resource;
        bestLength = length;
      }
    }
    if (best) return best;
  }
  return undefined;
}

describe('RouteIndex', () => {
  it('answers as the scan it replaced, ties to the resource listed first included', () => {
    const domains = ['app.example.com', 'example.com', '*.example.com', '*.app.example.com', 'localhost'];
    const prefixes = [null, '/', '/admin', '/admin/', '/admin/api', '/adm', '/a/b'];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            domains: fc.subarray(domains, { minLength: 1 }),
            pathPrefix: fc.constantFrom(...prefixes),
          }),
          { maxLength: 8 },
        ),
        fc.constantFrom(
          'app.example.com',
          'x.app.example.com',
          'a.b.example.com',
          'example.com',
          'localhost',
          'other.test',
        ),
        fc.constantFrom('/', '/admin', '/admin/', '/admin/api/x', '/administrator', '/adm', '/a/b/c', '/a'),
        (listed, host, path) => {
          const resources = listed.map((resource, i) => ({ ...resource, id: `res_${i}` }));
          expect(resourceFor(resources, host, path)?.id).toBe(scanned(resources, host, path)?.id);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('says which hosts it serves and which exact domains it holds', () => {
    const index = new RouteIndex([r('a', ['app.example.com', '*.api.example.com'], '/x')]);
    expect(index.serves('app.example.com')).toBe(true);
    expect(index.serves('v1.api.example.com')).toBe(true);
    expect(index.serves('api.example.com')).toBe(false);
    expect(index.exactDomains()).toEqual(['app.example.com']);
  });
});
