import { prefixCovers, resourceFor, routePrefix } from './route';

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
