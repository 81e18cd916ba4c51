import fc from 'fast-check';
import { ResourceDataSchema, type SiteSnapshot } from '@rustronaut/contracts';
import { resourceFor, routePrefix } from '@rustronaut/policy-engine';
import { RouteTable } from './route-table';
import { hostOf } from './request-facts';

const resource = (id: string, domains: string[], pathPrefix: string | null = null) => ({
  ...ResourceDataSchema.parse({ siteId: 'st_1', name: id, protocol: 'http', domains, pathPrefix }),
  id,
  targets: [],
});
const snapshot = (resources: ReturnType<typeof resource>[]): SiteSnapshot => ({
  format: 1,
  siteId: 'st_1',
  orgId: 'org_1',
  revision: 1,
  issuedAt: '',
  site: { name: 's', subnet: '10.0.0.0/24', region: 'eu', connectionType: 'local' },
  resources,
  policies: [],
  groups: {},
  jwks: [],
});

describe('RouteTable', () => {
  const sut = new RouteTable([
    snapshot([
      resource('app', ['app.company.com']),
      resource('app-admin', ['app.company.com'], '/admin'),
      resource('api-any', ['*.api.company.com']),
      resource('api-deep', ['*.eu.api.company.com']),
      resource('v1', ['v1.api.company.com']),
    ]),
  ]);
  const route = (host: string, path = '/') => sut.match(hostOf(host), path)?.id;

  it('prefers an exact host, then the longest wildcard', () => {
    expect(route('v1.api.company.com')).toBe('v1');
    expect(route('v2.api.company.com')).toBe('api-any');
    expect(route('x.eu.api.company.com')).toBe('api-deep');
    expect(route('api.company.com')).toBeUndefined();
  });

  it('takes the longest path prefix on a segment boundary, ignores port and case', () => {
    expect(route('APP.company.com:8080', '/admin/users')).toBe('app-admin');
    expect(route('app.company.com', '/admin')).toBe('app-admin');
    expect(route('app.company.com', '/administrator')).toBe('app');
    expect(route('unknown.example.com')).toBeUndefined();
  });
});

describe('RouteTable and the console (policy-engine resourceFor)', () => {
  it('pick the same resource for any host and canonical path', () => {
    const prefixes = ['/', '/admin', '/admin/', '/admin/api', '/adm', '/api', '/a/b/c'];
    const hosts = ['app.company.com', 'x.api.company.com', 'api.company.com'];
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.record({
            domain: fc.constantFrom('app.company.com', '*.api.company.com', 'api.company.com'),
            prefix: fc.option(fc.constantFrom(...prefixes), { nil: null }),
          }),
          { selector: (r) => `${r.domain} ${routePrefix(r.prefix)}`, maxLength: 6 },
        ),
        fc.constantFrom(...hosts),
        fc.array(fc.constantFrom('admin', 'api', 'a', 'b', 'c', 'adm', 'administrator', 'x'), {
          maxLength: 4,
        }),
        (claims, host, segments) => {
          const resources = claims.map((c, i) => resource(`r${i}`, [c.domain], c.prefix));
          const sut = new RouteTable([snapshot(resources)]);
          const path = `/${segments.join('/')}`;
          expect(sut.match(host, path)?.id).toBe(resourceFor(resources, host, path)?.id);
        },
      ),
    );
  });
});
