import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';

/**
 * Several resources on one domain, by path (issue 12): the console claims (domain, path prefix)
 * pairs, refuses only a true duplicate (409 naming the resource that has it), and the simulator,
 * the sign-in hand-off lookup and the DNS helper follow the longest prefix.
 */
describe('resources sharing a domain by path (e2e, started processes)', () => {
  let sut: ConsoleHarness;
  let base: string;
  let admin: string;
  const post = (path: string, body: unknown) => call(base, 'POST', path, { token: admin, body });

  beforeAll(async () => {
    sut = await ConsoleHarness.start({}, { upWithinMs: 150_000 });
    base = sut.url;
    admin = (await login(base, ADMIN.email, ADMIN.password)).access;
  }, 200_000);
  afterAll(async () => {
    await sut?.stop();
  });

  it('serves / and /admin of one domain from two resources and refuses only a true duplicate', async () => {
    const site = (
      await post('/sites', { name: 'Paths', subnet: '10.42.0.0/24', region: 'eu', connection_type: 'local' })
    ).body;
    const resource = (name: string, extra: object) =>
      post('/resources', {
        site_id: site.id,
        name,
        protocol: 'http',
        domains: ['shop.paths.test'],
        ...extra,
      });

    const front = await resource('front', { auth_required: false });
    const adminPages = await resource('admin', { path_prefix: '/admin' });
    expect([front.status, adminPages.status]).toEqual([201, 201]);

    // The same pair again, with or without the trailing slash, is refused and names the holder.
    for (const spelling of ['/admin', '/admin/']) {
      const twice = await resource('admin again', { path_prefix: spelling });
      expect(twice.body.error).toMatchObject({
        status: 409,
        code: 'POLICY_DOMAIN_TAKEN',
        details: { domain: 'shop.paths.test', path_prefix: '/admin', resource: adminPages.body.id },
      });
      expect(twice.body.error.message).toContain(adminPages.body.id);
    }
    // Another spelling of it is not canonical, so it is refused before any claim: it can never be
    // claimed as a second route the gateway would read as the same one.
    for (const spelling of ['/admin//', '/%61dmin', '/x/../admin']) {
      const spelled = await resource('admin spelled', { path_prefix: spelling });
      expect(spelled.body.error).toMatchObject({
        status: 400,
        code: 'POLICY_INVALID_RESOURCE',
        details: { field: 'path_prefix' },
      });
    }
    const root = await resource('root again', {});
    expect(root.body.error).toMatchObject({ status: 409, details: { resource: front.body.id } });

    // Other prefixes on the same domain are fine, including one under /admin.
    const api = await resource('admin api', { path_prefix: '/admin/api' });
    expect(api.status).toBe(201);

    // The simulator decides on the resource the gateway routes the host and path to.
    const simulated = async (path: string) =>
      (await post('/policies/simulate', { host: 'SHOP.paths.test', path, ip: '203.0.113.9', user_id: null }))
        .body.resource_id;
    expect(await simulated('/')).toBe(front.body.id);
    expect(await simulated('/administrator')).toBe(front.body.id);
    expect(await simulated('/admin')).toBe(adminPages.body.id);
    expect(await simulated('/admin/users')).toBe(adminPages.body.id);
    expect(await simulated('/admin/api/keys')).toBe(api.body.id);
    const neither = await post('/policies/simulate', { ip: '203.0.113.9', user_id: null });
    expect(neither.body.error).toMatchObject({ status: 400, details: { field: 'resource_id' } });

    // The DNS helper says the domain's records serve every resource on it.
    const dns = await call(base, 'GET', `/resources/${adminPages.body.id}/dns`, { token: admin });
    expect(dns.status).toBe(200);
    expect(dns.body.notes.join('\n')).toContain('answers under /admin of shop.paths.test');

    // Moving a resource to another prefix frees the old pair at once.
    const moved = await call(base, 'PATCH', `/resources/${adminPages.body.id}`, {
      token: admin,
      body: { path_prefix: '/ops' },
    });
    expect(moved.status).toBe(200);
    expect((await resource('admin v2', { path_prefix: '/admin' })).status).toBe(201);
    expect((await resource('ops twice', { path_prefix: '/ops/' })).body.error).toMatchObject({
      status: 409,
      details: { resource: adminPages.body.id },
    });
  });
});
