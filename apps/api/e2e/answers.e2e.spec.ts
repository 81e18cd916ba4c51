import { isDeepStrictEqual } from 'node:util';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';
import { describeApi } from '../src/api-document';
import { declaredRoutes, type DeclaredRoute } from '../src/http/openapi';

/**
 * The document tells the truth about answers: against the console started as processes, every
 * JSON GET route (path ids filled with things made here) and the writes that made them answer
 * exactly what their @Endpoint declares — the declared schema parses the answer, and parsing drops
 * nothing (no field the document does not list) and adds nothing (no listed field missing).
 */
jest.setTimeout(300_000);

const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const camelKeys = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [camel(k), camelKeys(v)]));
  return value;
};

/** Where the answer and what its declaration makes of it differ, as paths (`items.0.org_id`). */
function differences(a: unknown, b: unknown, at = ''): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) =>
      differences(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        at ? `${at}.${k}` : k,
      ),
    );
  }
  return [`${at || '(answer)'}: answered ${JSON.stringify(a)}, declared as ${JSON.stringify(b)}`];
}

/** What is wrong with an answer of `route`, judged by its declared response schema. */
function contractBreaches(route: DeclaredRoute, body: unknown): string[] {
  const schema = route.spec.response;
  if (!schema) return [];
  const answered = route.spec.keys === 'camel' ? camelKeys(body) : body;
  const parsed = schema.safeParse(answered);
  if (!parsed.success) return parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  return differences(answered, parsed.data);
}

describe('answers match their declarations (e2e, started processes)', () => {
  let sut: ConsoleHarness;
  let admin: string;
  let routes: DeclaredRoute[];
  const ids: Record<string, string> = {};
  const breaches: string[] = [];

  const check = async (method: string, path: string, body?: unknown) => {
    const route = routes.find(
      (r) =>
        r.method === method &&
        new RegExp(`^${r.path.replace(/\{\w+\}/g, '[^/]+')}$`).test(path.split('?')[0]!),
    );
    if (!route) throw new Error(`no declared route for ${method.toUpperCase()} ${path}`);
    const r = await call(sut.url, method.toUpperCase(), path.replace(/^\/api\/v1/, ''), {
      token: admin,
      body,
    });
    expect({ route: `${method.toUpperCase()} ${path}`, status: r.status }).toEqual({
      route: `${method.toUpperCase()} ${path}`,
      status: route.status,
    });
    for (const breach of contractBreaches(route, r.body))
      breaches.push(`${method.toUpperCase()} ${route.path}: ${breach}`);
    return r.body as Record<string, unknown>;
  };

  beforeAll(async () => {
    routes = declaredRoutes((await describeApi()).controllers);
    sut = await ConsoleHarness.start({}, { upWithinMs: 150_000 });
    admin = (await login(sut.url, ADMIN.email, ADMIN.password)).access;
  }, 240_000);
  afterAll(async () => {
    await sut?.stop();
  });
  beforeEach(() => (breaches.length = 0));

  it('for the writes that make a site, a resource, a policy, a user, a group, a key and a gateway', async () => {
    const site = await check('post', '/api/v1/sites', {
      name: 'HQ',
      subnet: '10.81.0.0/24',
      region: 'eu',
      connection_type: 'local',
    });
    ids['sites'] = site['id'] as string;
    const resource = await check('post', '/api/v1/resources', {
      site_id: ids['sites'],
      name: 'app',
      protocol: 'http',
      domains: ['app.answers.example.com'],
      targets: [{ address: '10.81.0.10:80', protocol: 'http' }],
    });
    ids['resources'] = resource['id'] as string;
    ids['policies'] = (
      await check('post', '/api/v1/policies', {
        name: 'all',
        effect: 'allow',
        subjects: { any_authenticated: true },
      })
    )['id'] as string;
    ids['users'] = (
      await check('post', '/api/v1/users', {
        email: 'ann@example.com',
        name: 'Ann',
        password: 'Ann-pass-123!',
      })
    )['id'] as string;
    ids['groups'] = (await check('post', '/api/v1/groups', { name: 'ops' }))['id'] as string;
    await check('post', '/api/v1/api-keys', { name: 'ci', role: 'member' });
    ids['gateways'] = (
      await check('post', '/api/v1/gateways', { name: 'edge-1', region: 'eu', site_ids: [ids['sites']] })
    )['id'] as string;
    ids['orgs'] = (await call(sut.url, 'GET', '/me', { token: admin })).body.principal.org_id as string;
    expect(breaches).toEqual([]);
  });

  it('for every JSON GET route', async () => {
    const skipped: string[] = [];
    let checked = 0;
    for (const route of routes.filter((r) => r.method === 'get' && r.spec.response && !r.spec.produces)) {
      const collection = /^\/api\/v1\/([a-z-]+)\/\{id\}/.exec(route.path)?.[1];
      if (
        route.path.includes('{') &&
        !(collection && ids[collection] && !/\{(?!id\})\w+\}/.test(route.path))
      ) {
        skipped.push(route.path);
        continue;
      }
      if (route.path === '/api/v1/auth/session') {
        skipped.push(route.path); // the web console's cookie session: console-session's own suite
        continue;
      }
      await check('get', route.path.replace('{id}', collection ? ids[collection]! : ''));
      checked++;
    }
    expect(breaches).toEqual([]);
    // Left out: routes whose ids this suite does not make (a service, a device, a provider).
    expect({ checked, skipped }).toEqual({ checked: expect.any(Number), skipped: expect.any(Array) });
    expect(checked).toBeGreaterThanOrEqual(30);
    expect(skipped.length).toBeLessThanOrEqual(4);
  });
});
