import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';

/** The services API (`rustronaut expose`), with the console's services started as processes. */
describe('exposed services (e2e, started processes)', () => {
  let sut: ConsoleHarness;
  let base: string;
  let admin: string;
  let member: string;

  beforeAll(async () => {
    sut = await ConsoleHarness.start({
      RN_BASE_DOMAIN: 'tunnels.example.com',
      RN_TUNNEL_PORTS: '41000-41002',
    });
    base = sut.url;
    admin = (await login(base, ADMIN.email, ADMIN.password)).access;
    const created = await call(base, 'POST', '/users', {
      token: admin,
      body: { email: 'dev@example.com', password: 'Dev-pass-123!', role: 'member', name: 'Dev' },
    });
    expect(created.status).toBe(201);
    member = (await login(base, 'dev@example.com', 'Dev-pass-123!')).access;
  }, 90_000);
  afterAll(async () => {
    await sut?.stop();
  });

  it('says what to do when the organisation has no site yet', async () => {
    const r = await call(base, 'POST', '/services', {
      token: member,
      body: { local_address: 'localhost:3000', protocol: 'http' },
    });
    expect(r.body.error).toMatchObject({ status: 409, code: 'POLICY_NO_SITE_FOR_SERVICE' });
    expect(r.body.error.message).toContain('POST /api/v1/sites');
  });

  it('exposes an HTTP service under a readable random name, shows its token once, and removes it', async () => {
    const site = await call(base, 'POST', '/sites', {
      token: admin,
      body: { name: 'Edge', subnet: '10.60.0.0/24', region: 'eu', connection_type: 'local' },
    });
    expect(site.status).toBe(201);

    const exposed = await call(base, 'POST', '/services', {
      token: member,
      body: { local_address: 'localhost:3000', protocol: 'http' },
    });
    expect(exposed.status).toBe(201);
    const name: string = exposed.body.name;
    expect(name).toMatch(/^[a-z]+-[a-z]+-[0-9a-f]{6}$/);
    expect(exposed.body).toMatchObject({
      protocol: 'http',
      local_address: 'localhost:3000',
      public_url: `https://${name}.tunnels.example.com:8443`,
      status: 'exposed',
      auth_required: false,
      dns_record: { type: 'CNAME', name: `${name}.tunnels.example.com`, value: 'tunnels.example.com' },
      tunnel: { endpoint: 'tunnels.example.com:8443' },
    });
    expect(exposed.body.tunnel.token).toMatch(new RegExp(`^rnt_${exposed.body.id}_`));

    const listed = await call(base, 'GET', '/services', { token: member });
    expect(listed.body.items.map((s: { id: string }) => s.id)).toEqual([exposed.body.id]);
    expect(listed.body.items[0].tunnel.token).toBeUndefined();
    // An exposed service is a resource too: an admin sees it (and can add firewall rules to it).
    const asResource = await call(base, 'GET', `/resources/${exposed.body.id}`, { token: admin });
    expect(asResource.body.targets[0].address).toBe(`tunnel:${name}`);
    expect(asResource.body.tunnel.token_hash).toBeDefined();

    const removed = await call(base, 'DELETE', `/services/${exposed.body.id}`, { token: member });
    expect(removed.status).toBe(204);
    expect((await call(base, 'GET', `/services/${exposed.body.id}`, { token: member })).status).toBe(404);
    // Its name is free again.
    const again = await call(base, 'POST', '/services', {
      token: member,
      body: { local_address: 'localhost:3001', protocol: 'http', subdomain: name },
    });
    expect(again.status).toBe(201);
  });

  it('refuses a taken subdomain with 409 and a malformed body with the field named', async () => {
    const first = await call(base, 'POST', '/services', {
      token: member,
      body: { local_address: 'localhost:8000', protocol: 'http', subdomain: 'demo-app' },
    });
    expect(first.status).toBe(201);
    const taken = await call(base, 'POST', '/services', {
      token: admin,
      body: { local_address: 'localhost:8001', protocol: 'http', subdomain: 'demo-app' },
    });
    expect(taken.body.error).toMatchObject({ status: 409, code: 'POLICY_DOMAIN_TAKEN' });
    expect(taken.body.error.message).toContain('demo-app.tunnels.example.com');

    const bad = await call(base, 'POST', '/services', {
      token: member,
      body: { local_address: 'localhost', protocol: 'http' },
    });
    expect(bad.body.error.details.issues[0].field).toBe('body.local_address');
    const wrongProtocol = await call(base, 'POST', '/services', {
      token: member,
      body: { local_address: 'localhost:1', protocol: 'ftp' },
    });
    expect(wrongProtocol.body.error.details.issues[0].field).toBe('body.protocol');
    // The resources API cannot forge a tunnel exposure.
    const forged = await call(base, 'POST', '/resources', {
      token: admin,
      body: {
        site_id: first.body.site_id,
        name: 'x',
        protocol: 'http',
        domains: ['x.example.org'],
        tunnel: { local_address: 'a:1', token_hash: 'h', exposed_by: 'usr_x' },
      },
    });
    expect(forged.status).toBe(400);
  });

  it('gives TCP and UDP services a public port from the range until it runs out', async () => {
    const ports: number[] = [];
    for (const protocol of ['tcp', 'udp', 'tcp', 'tcp']) {
      const r = await call(base, 'POST', '/services', {
        token: member,
        body: { local_address: 'localhost:22', protocol },
      });
      expect(r.status).toBe(201);
      const port = Number(new URL(r.body.public_url).port);
      expect(port).toBeGreaterThanOrEqual(41000);
      expect(port).toBeLessThanOrEqual(41002);
      expect(r.body.public_url).toBe(`${protocol}://tunnels.example.com:${port}`);
      if (protocol === 'tcp') ports.push(port);
    }
    expect(new Set(ports).size).toBe(3);
    const full = await call(base, 'POST', '/services', {
      token: member,
      body: { local_address: 'localhost:22', protocol: 'tcp' },
    });
    expect(full.body.error).toMatchObject({ status: 409, code: 'POLICY_NO_FREE_PORT' });
  });

  it('lets only its owner or an admin un-expose a service; with auth it creates the allow policy', async () => {
    const exposed = await call(base, 'POST', '/services', {
      token: admin,
      body: { local_address: 'localhost:9000', protocol: 'http', auth_required: true },
    });
    expect(exposed.body.auth_required).toBe(true);
    const resource = await call(base, 'GET', `/resources/${exposed.body.id}`, { token: admin });
    const policy = await call(base, 'GET', `/policies/${resource.body.tunnel.policy_id}`, { token: admin });
    expect(policy.body).toMatchObject({
      effect: 'allow',
      resource_ids: [exposed.body.id],
      subjects: { any_authenticated: true },
    });
    const byMember = await call(base, 'DELETE', `/services/${exposed.body.id}`, { token: member });
    expect(byMember.body.error.code).toBe('AUTH_FORBIDDEN');
    expect((await call(base, 'DELETE', `/services/${exposed.body.id}`, { token: admin })).status).toBe(204);
    const gone = await call(base, 'GET', `/policies/${resource.body.tunnel.policy_id}`, { token: admin });
    expect(gone.status).toBe(404);
  });
});
