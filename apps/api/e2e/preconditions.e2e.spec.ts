import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';

/**
 * Issue 13 as a user meets it, against the console's services as processes: a stale If-Match answers
 * 412 with the current ETag, and a unique key the refused change would have taken (a domain, a
 * port, a subnet, an email, a service name) is free again at once; racing writers without
 * preconditions get exactly one success per key.
 */
describe('preconditions and unique keys (e2e, started processes)', () => {
  let sut: ConsoleHarness;
  let base: string;
  let admin: string;
  let siteId: string;
  const post = (path: string, body: unknown) => call(base, 'POST', path, { token: admin, body });
  const patch = (path: string, body: unknown, etag?: string) =>
    call(base, 'PATCH', path, { token: admin, body, headers: etag ? { 'if-match': etag } : {} });
  const etagOf = async (path: string) => {
    const got = await call(base, 'GET', path, { token: admin });
    expect(got.status).toBe(200);
    return got.headers.get('etag')!;
  };
  /** Reads it, changes it once (its ETag moves on), and returns the ETag from before. */
  const staleEtag = async (path: string, change: object) => {
    const before = await etagOf(path);
    expect((await patch(path, change)).status).toBe(200);
    const now = await etagOf(path);
    expect(now).not.toBe(before);
    return { stale: before, current: now };
  };
  const expect412 = (answer: Awaited<ReturnType<typeof call>>, current: string) => {
    expect({
      status: answer.status,
      code: answer.body.error?.code,
      etag: answer.headers.get('etag'),
    }).toEqual({
      status: 412,
      code: 'EVENTSTORE_PRECONDITION_FAILED',
      etag: current,
    });
  };

  beforeAll(async () => {
    sut = await ConsoleHarness.start(
      { RN_BASE_DOMAIN: 'tunnels.keys.test', RN_TUNNEL_PORTS: '42000-42009' },
      { upWithinMs: 150_000 },
    );
    base = sut.url;
    admin = (await login(base, ADMIN.email, ADMIN.password)).access;
    siteId = (
      await post('/sites', { name: 'Keys', subnet: '10.77.0.0/24', region: 'eu', connection_type: 'local' })
    ).body.id;
  }, 200_000);
  afterAll(async () => {
    await sut?.stop();
  });

  it('a stale PATCH adding a domain answers 412 and leaves the domain free (the leak of the issue)', async () => {
    const a = await post('/resources', {
      site_id: siteId,
      name: 'a',
      protocol: 'http',
      domains: ['a.keys.test'],
    });
    expect(a.status).toBe(201);
    const { stale, current } = await staleEtag(`/resources/${a.body.id}`, { name: 'a renamed' });
    const refused = await patch(
      `/resources/${a.body.id}`,
      { domains: ['a.keys.test', 'b.keys.test'] },
      stale,
    );
    expect412(refused, current);
    expect((await call(base, 'GET', `/resources/${a.body.id}`, { token: admin })).body.domains).toEqual([
      'a.keys.test',
    ]);
    const b = await post('/resources', {
      site_id: siteId,
      name: 'b',
      protocol: 'http',
      domains: ['b.keys.test'],
    });
    expect(b.status).toBe(201);
  });

  it('a stale PATCH moving a public port answers 412 and leaves the port free', async () => {
    const db = await post('/resources', { site_id: siteId, name: 'db', protocol: 'tcp', public_port: 15001 });
    expect(db.status).toBe(201);
    const { stale, current } = await staleEtag(`/resources/${db.body.id}`, { name: 'db renamed' });
    expect412(await patch(`/resources/${db.body.id}`, { public_port: 15002 }, stale), current);
    expect(
      (await post('/resources', { site_id: siteId, name: 'db2', protocol: 'tcp', public_port: 15002 }))
        .status,
    ).toBe(201);
    // …and the port the resource kept is still its own
    expect(
      (await post('/resources', { site_id: siteId, name: 'db3', protocol: 'tcp', public_port: 15001 })).body
        .error,
    ).toMatchObject({ code: 'POLICY_PORT_IN_USE', details: { resource: db.body.id } });
  });

  it('a stale PATCH moving a site to another subnet answers 412 and leaves the subnet free', async () => {
    const lab = await post('/sites', {
      name: 'Lab',
      subnet: '10.78.0.0/24',
      region: 'eu',
      connection_type: 'local',
    });
    expect(lab.status).toBe(201);
    const { stale, current } = await staleEtag(`/sites/${lab.body.id}`, { name: 'Lab 2' });
    expect412(await patch(`/sites/${lab.body.id}`, { subnet: '10.79.0.0/24' }, stale), current);
    const other = await post('/sites', {
      name: 'Other',
      subnet: '10.79.0.0/25',
      region: 'eu',
      connection_type: 'local',
    });
    expect(other.status).toBe(201);
    const overlap = await post('/sites', {
      name: 'X',
      subnet: '10.78.0.128/25',
      region: 'eu',
      connection_type: 'local',
    });
    expect(overlap.body.error).toMatchObject({
      code: 'POLICY_SUBNET_OVERLAP',
      details: { site: lab.body.id },
    });
  });

  it('a stale PATCH changing an email answers 412 and leaves the address free', async () => {
    const user = await post('/users', { email: 'gina@keys.test', name: 'Gina', password: 'long-enough-pw' });
    expect(user.status).toBe(201);
    const { stale, current } = await staleEtag(`/users/${user.body.id}`, { name: 'Gina G' });
    expect412(await patch(`/users/${user.body.id}`, { email: 'gina.new@keys.test' }, stale), current);
    expect(
      (await post('/users', { email: 'Gina.New@keys.test', name: 'Other', password: 'long-enough-pw' }))
        .status,
    ).toBe(201);
  });

  it('a stale PATCH or DELETE of a policy answers 412 with the current ETag', async () => {
    const created = await post('/policies', {
      name: 'p',
      effect: 'allow',
      subjects: { any_authenticated: true },
    });
    expect(created.status).toBe(201);
    const path = `/policies/${created.body.id}`;
    const stale = created.headers.get('etag')!;
    expect((await patch(path, { name: 'p2' })).status).toBe(200);
    const current = `"${(await call(base, 'GET', path, { token: admin })).body.version}"`;
    expect412(await patch(path, { name: 'p3' }, stale), current);
    expect412(await call(base, 'DELETE', path, { token: admin, headers: { 'if-match': stale } }), current);
    expect(
      (await call(base, 'DELETE', path, { token: admin, headers: { 'if-match': current } })).status,
    ).toBe(204);
  });

  it('every answer that is one versioned thing carries its ETag: reads, creates and changes alike', async () => {
    const created = {
      site: await post('/sites', {
        name: 'Tags',
        subnet: '10.76.0.0/24',
        region: 'eu',
        connection_type: 'local',
      }),
      resource: await post('/resources', {
        site_id: siteId,
        name: 'tagged',
        protocol: 'http',
        domains: ['tag.keys.test'],
      }),
      policy: await post('/policies', {
        name: 'tagged',
        effect: 'allow',
        subjects: { any_authenticated: true },
      }),
      group: await post('/groups', { name: 'tagged' }),
    };
    for (const [kind, answer] of Object.entries(created)) {
      expect({ kind, status: answer.status, etag: answer.headers.get('etag') }).toEqual({
        kind,
        status: 201,
        etag: `"${answer.body.version}"`,
      });
      const path = `/${kind === 'policy' ? 'policies' : `${kind}s`}/${answer.body.id}`;
      const read = await call(base, 'GET', path, { token: admin });
      expect({ kind, read: read.headers.get('etag') }).toEqual({ kind, read: `"${read.body.version}"` });
      const changed = await patch(path, { name: `${kind} renamed` }, read.headers.get('etag')!);
      expect({ kind, status: changed.status, etag: changed.headers.get('etag') }).toEqual({
        kind,
        status: 200,
        etag: `"${changed.body.version}"`,
      });
      expect(changed.headers.get('etag')).not.toBe(read.headers.get('etag'));
      // The ETag a change answered is the one the next change may send.
      expect((await patch(path, { name: `${kind} again` }, changed.headers.get('etag')!)).status).toBe(200);
    }
  });

  it('a stale If-Match on a change that changes nothing answers 412 too (and a current one 200)', async () => {
    const user = await post('/users', { email: 'nora@keys.test', name: 'Nora', password: 'long-enough-pw' });
    const group = await post('/groups', { name: 'same' });
    const resource = await post('/resources', {
      site_id: siteId,
      name: 'same',
      protocol: 'http',
      domains: ['same.keys.test'],
    });
    const site = await post('/sites', {
      name: 'Same',
      subnet: '10.75.0.0/24',
      region: 'eu',
      connection_type: 'local',
    });
    const policy = await post('/policies', {
      name: 'same',
      effect: 'allow',
      subjects: { any_authenticated: true },
    });
    const things = [
      { path: `/users/${user.body.id}`, same: { name: 'Nora' } },
      { path: `/groups/${group.body.id}`, same: { name: 'same' } },
      { path: `/resources/${resource.body.id}`, same: { name: 'same' } },
      { path: `/sites/${site.body.id}`, same: { name: 'Same' } },
      { path: `/policies/${policy.body.id}`, same: { name: 'same' } },
    ];
    for (const { path, same } of things) {
      const { stale, current } = await staleEtag(path, { name: 'changed' });
      expect((await patch(path, same, current)).status).toBe(200); // back to the old name: a real change on the current version
      const now = await etagOf(path);
      const noOp = await patch(path, same, stale);
      expect({
        path,
        status: noOp.status,
        code: noOp.body.error?.code,
        etag: noOp.headers.get('etag'),
      }).toEqual({
        path,
        status: 412,
        code: 'EVENTSTORE_PRECONDITION_FAILED',
        etag: now,
      });
      expect({ path, status: (await patch(path, same, now)).status }).toEqual({ path, status: 200 });
    }
  });

  it('a service name is one tunnel on the platform, free again once un-exposed', async () => {
    const expose = () =>
      post('/services', {
        local_address: 'localhost:5432',
        protocol: 'tcp',
        subdomain: 'pg-shared',
        site_id: siteId,
      });
    const first = await expose();
    expect(first.status).toBe(201);
    expect((await expose()).body.error).toMatchObject({ status: 409, code: 'POLICY_TUNNEL_NAME_TAKEN' });
    expect((await call(base, 'DELETE', `/services/${first.body.id}`, { token: admin })).status).toBe(204);
    expect((await expose()).status).toBe(201);
  });

  it('racing writers without preconditions: exactly one gets each key, and nothing is stranded', async () => {
    const domains = ['r0.keys.test', 'r1.keys.test', 'r2.keys.test'];
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        post('/resources', {
          site_id: siteId,
          name: `race ${i}`,
          protocol: 'http',
          domains: [domains[i % 3]],
        }),
      ),
    );
    for (const domain of domains) {
      const mine = answers.filter((_, i) => domains[i % 3] === domain);
      expect(mine.map((a) => a.status).sort()).toEqual([201, 409, 409, 409]);
    }
    // Two racing PATCHes putting one new domain on two resources: one wins.
    const [x, y] = answers.filter((a) => a.status === 201);
    const [px, py] = await Promise.all([
      patch(`/resources/${x!.body.id}`, { domains: [...x!.body.domains, 'shared.keys.test'] }),
      patch(`/resources/${y!.body.id}`, { domains: [...y!.body.domains, 'shared.keys.test'] }),
    ]);
    expect([px.status, py.status].sort()).toEqual([200, 409]);
    // Deleting the winners frees every key at once.
    for (const a of answers.filter((r) => r.status === 201))
      expect((await call(base, 'DELETE', `/resources/${a.body.id}`, { token: admin })).status).toBe(204);
    for (const domain of [...domains, 'shared.keys.test'])
      expect(
        (
          await post('/resources', {
            site_id: siteId,
            name: `again ${domain}`,
            protocol: 'http',
            domains: [domain],
          })
        ).status,
      ).toBe(201);
  });
});
