import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';

/** Sites, resources, targets and policies through the API, with the services started as processes. */
describe('sites, resources and policies (e2e, started processes)', () => {
  let sut: ConsoleHarness;
  let base: string;
  let admin: string;
  const post = (path: string, body: unknown, token = admin) => call(base, 'POST', path, { token, body });

  beforeAll(async () => {
    sut = await ConsoleHarness.start();
    base = sut.url;
    admin = (await login(base, ADMIN.email, ADMIN.password)).access;
  }, 90_000);
  afterAll(async () => {
    await sut?.stop();
  });

  it('creates sites and refuses overlapping or malformed subnets with clear 400s', async () => {
    const hq = await post('/sites', {
      name: 'HQ',
      subnet: '10.1.0.0/24',
      region: 'eu-west',
      connection_type: 'wireguard',
    });
    expect(hq.status).toBe(201);
    expect(hq.body).toMatchObject({
      name: 'HQ',
      subnet: '10.1.0.0/24',
      connection_type: 'wireguard',
      org_id: 'org_default',
    });

    const overlap = await post('/sites', {
      name: 'Lab',
      subnet: '10.1.0.128/25',
      region: 'eu-west',
      connection_type: 'local',
    });
    expect(overlap.body.error).toMatchObject({ status: 400, code: 'POLICY_SUBNET_OVERLAP' });
    expect(overlap.body.error.message).toContain('10.1.0.0/24');

    const malformed = await post('/sites', {
      name: 'X',
      subnet: '10.1.0.0/33',
      region: 'eu',
      connection_type: 'local',
    });
    expect(malformed.body.error.code).toBe('VALIDATION_FAILED');
    expect(malformed.body.error.details.issues[0].field).toBe('body.subnet');
    const wrongField = await post('/sites', {
      name: 'X',
      subnet: '10.9.0.0/24',
      region: 'eu',
      connection_type: 'carrier-pigeon',
    });
    expect(wrongField.body.error.details.issues[0].field).toBe('body.connection_type');
  });

  it('creates resources with inline targets and guards domains, ports and addresses', async () => {
    const site = (
      await post('/sites', {
        name: 'DC',
        subnet: '10.2.0.0/24',
        region: 'eu-central',
        connection_type: 'tunnel',
      })
    ).body;
    const app = await post('/resources', {
      site_id: site.id,
      name: 'app',
      protocol: 'http',
      domains: ['app.company.com', '*.api.company.com'],
      auth_required: false,
      targets: [
        {
          address: '10.2.0.10:80',
          protocol: 'http',
          weight: 3,
          health_check: { kind: 'http', path: '/healthz' },
        },
        { address: 'unix:/var/run/app.sock', protocol: 'http' },
      ],
    });
    expect(app.status).toBe(201);
    expect(app.body).toMatchObject({
      protocol: 'http',
      domains: ['app.company.com', '*.api.company.com'],
      auth_required: false,
    });
    expect(app.body.targets).toHaveLength(2);
    expect(app.body.targets[0]).toMatchObject({
      address: '10.2.0.10:80',
      weight: 3,
      health_check: { kind: 'http', path: '/healthz', interval_s: 10 },
    });

    const taken = await post('/resources', {
      site_id: site.id,
      name: 'other',
      protocol: 'http',
      domains: ['App.Company.com'],
    });
    expect(taken.body.error).toMatchObject({ status: 409, code: 'POLICY_DOMAIN_TAKEN' });

    const badAddress = await post('/resources', {
      site_id: site.id,
      name: 'db',
      protocol: 'tcp',
      public_port: 15432,
      targets: [{ address: '10.2.0.300:5432', protocol: 'tcp' }],
    });
    expect(badAddress.body.error.details.issues[0].field).toBe('body.targets.0.address');

    const db = await post('/resources', {
      site_id: site.id,
      name: 'db',
      protocol: 'tcp',
      public_port: 15432,
      targets: [{ address: '10.2.0.20:5432', protocol: 'tcp' }],
    });
    expect(db.status).toBe(201);
    const samePort = await post('/resources', {
      site_id: site.id,
      name: 'db2',
      protocol: 'tcp',
      public_port: 15432,
    });
    expect(samePort.body.error).toMatchObject({ status: 400, code: 'POLICY_PORT_IN_USE' });
    expect(
      (await post('/resources', { site_id: site.id, name: 'dns', protocol: 'udp', public_port: 15432 }))
        .status,
    ).toBe(201); // udp is another space

    const noDomain = await post('/resources', { site_id: site.id, name: 'x', protocol: 'http' });
    expect(noDomain.body.error).toMatchObject({
      code: 'POLICY_INVALID_RESOURCE',
      details: { field: 'domains' },
    });

    // A partial change leaves everything else as it was.
    const renamed = await call(base, 'PATCH', `/resources/${app.body.id}`, {
      token: admin,
      body: { name: 'app v2' },
    });
    expect(renamed.body).toMatchObject({
      name: 'app v2',
      auth_required: false,
      domains: ['app.company.com', '*.api.company.com'],
    });

    // Targets.
    const added = await post(`/resources/${app.body.id}/targets`, {
      address: '10.2.0.11:80',
      protocol: 'http',
      region: 'eu-central',
    });
    expect(added.body.targets).toHaveLength(3);
    const newTarget = added.body.targets[2].id;
    const weighted = await call(base, 'PATCH', `/resources/${app.body.id}/targets/${newTarget}`, {
      token: admin,
      body: { weight: 9 },
    });
    expect(weighted.body.targets[2]).toMatchObject({
      weight: 9,
      region: 'eu-central',
      address: '10.2.0.11:80',
    });
    const removed = await call(base, 'DELETE', `/resources/${app.body.id}/targets/${newTarget}`, {
      token: admin,
    });
    expect(removed.body.targets).toHaveLength(2);

    // Deleting frees the domains and the port; the site can then be deleted once empty.
    expect((await call(base, 'DELETE', `/sites/${site.id}`, { token: admin })).body.error).toMatchObject({
      status: 409,
      code: 'POLICY_SITE_IN_USE',
    });
    expect((await call(base, 'DELETE', `/resources/${app.body.id}`, { token: admin })).status).toBe(204);
    expect(
      (
        await post('/resources', {
          site_id: site.id,
          name: 'again',
          protocol: 'http',
          domains: ['app.company.com'],
        })
      ).status,
    ).toBe(201);
    expect((await call(base, 'GET', `/resources/${app.body.id}`, { token: admin })).status).toBe(404);
  });

  it('answers "may user U reach resource R" with the rule that decides, deny winning', async () => {
    const site = (
      await post('/sites', { name: 'Apps', subnet: '10.3.0.0/24', region: 'eu', connection_type: 'local' })
    ).body;
    const wiki = (
      await post('/resources', {
        site_id: site.id,
        name: 'wiki',
        protocol: 'http',
        domains: ['wiki.company.com'],
      })
    ).body;
    const alice = (
      await post('/users', { email: 'alice@example.com', name: 'Alice', password: 'long-enough-pw' })
    ).body;
    const bob = (await post('/users', { email: 'bob@example.com', name: 'Bob', password: 'long-enough-pw' }))
      .body;
    const eng = (await post('/groups', { name: 'engineering' })).body;
    await post(`/groups/${eng.id}/members`, { user_id: alice.id });

    const allowEng = await post('/policies', {
      name: 'engineering reads the wiki',
      effect: 'allow',
      resource_ids: [wiki.id],
      subjects: { groups: [eng.id] },
    });
    expect(allowEng.status).toBe(201);
    const denyAdmin = await post('/policies', {
      name: 'no admin pages from outside',
      effect: 'deny',
      resource_ids: [wiki.id],
      subjects: {},
      conditions: { paths: ['/admin'], source_cidrs: ['0.0.0.0/0'] },
    });
    expect(denyAdmin.status).toBe(201);
    const officeOnly = await post('/policies', {
      name: 'bob from the office',
      effect: 'allow',
      resource_ids: [wiki.id],
      subjects: { users: [bob.id] },
      conditions: { source_cidrs: ['192.168.10.0/24'] },
    });

    const simulate = (body: object) =>
      post('/policies/simulate', { resource_id: wiki.id, ip: '203.0.113.5', ...body });
    const cases: [object, boolean, string | null][] = [
      [{ user_id: alice.id }, true, allowEng.body.id],
      [{ user_id: alice.id, path: '/admin/settings' }, false, denyAdmin.body.id],
      [{ user_id: bob.id }, false, null],
      [{ user_id: bob.id, ip: '192.168.10.7' }, true, officeOnly.body.id],
      [{ user_id: null }, false, null],
    ];
    for (const [input, allowed, policyId] of cases) {
      const answer = await simulate(input);
      expect({
        input,
        status: answer.status,
        allowed: answer.body.allowed,
        by: answer.body.decided_by?.policy_id ?? null,
      }).toEqual({
        input,
        status: 200,
        allowed,
        by: policyId,
      });
    }
    expect((await simulate({ user_id: 'usr_nobody' })).body.error).toMatchObject({ status: 404 });
  });

  it("keeps another organisation's sites and resources out of sight", async () => {
    const orgB = await post('/orgs', {
      name: 'Beta',
      owner: { email: 'owner@beta.example', name: 'B', password: 'beta-password-1' },
    });
    const bea = (await login(base, 'owner@beta.example', 'beta-password-1')).access;
    const mine = (
      await post('/sites', {
        name: 'Private',
        subnet: '10.50.0.0/24',
        region: 'eu',
        connection_type: 'local',
      })
    ).body;
    expect((await call(base, 'GET', `/sites/${mine.id}`, { token: bea })).status).toBe(404);
    expect((await call(base, 'GET', '/sites', { token: bea })).body.items).toEqual([]);
    // Subnets only need to be unique within an organisation.
    const theirs = await post(
      '/sites',
      { name: 'Theirs', subnet: '10.50.0.0/24', region: 'eu', connection_type: 'local' },
      bea,
    );
    expect(theirs.status).toBe(201);
    expect(theirs.body.org_id).toBe(orgB.body.id);
  });
});
