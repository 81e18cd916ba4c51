import { Secret, TOTP } from 'otpauth';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';

/**
 * The console as a person uses it with curl: identity, audit and api started as processes.
 */
describe('console (e2e, started processes)', () => {
  let sut: ConsoleHarness;
  let admin: string;
  let base: string;

  beforeAll(async () => {
    sut = await ConsoleHarness.start();
    base = sut.url;
    admin = (await login(base, ADMIN.email, ADMIN.password)).access;
  }, 90_000);
  afterAll(async () => {
    await sut?.stop();
  });

  const newUser = (email: string, role = 'member', token = admin) =>
    call(base, 'POST', '/users', {
      token,
      body: { email, name: email.split('@')[0], password: 'long-enough-pw', role },
    });

  it('logs in, creates a user and an API key, uses the key, and sees both in the audit log', async () => {
    // The audit projection is eventually consistent: poll until both events show (bounded), without
    // asserting how fast — speed is a benchmark figure, not a test.
    const started = Date.now();
    const user = await newUser('carol@example.com');
    expect(user.status).toBe(201);
    expect(user.body).toMatchObject({ email: 'carol@example.com', role: 'member' });
    expect(JSON.stringify(user.body)).not.toMatch(/password|argon2/i);

    const key = await call(base, 'POST', '/api-keys', { token: admin, body: { name: 'ci', role: 'admin' } });
    expect(key.status).toBe(201);
    expect(key.body.key).toMatch(/^rnk_/);
    const listed = await call(base, 'GET', '/users', { token: key.body.key });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((u: { email: string }) => u.email)).toContain('carol@example.com');
    // The key is never shown again.
    const keys = await call(base, 'GET', '/api-keys', { token: admin });
    expect(JSON.stringify(keys.body)).not.toContain(key.body.key.slice(-20));

    let types: string[] = [];
    while (Date.now() - started < 20_000) {
      const audit = await call(base, 'GET', '/audit?limit=50', { token: admin });
      types = audit.body.items.map(
        (e: { type: string; aggregate_id: string }) => `${e.type}:${e.aggregate_id}`,
      );
      if (types.includes(`UserRegistered:${user.body.id}`) && types.includes(`ApiKeyCreated:${key.body.id}`))
        break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(types).toEqual(
      expect.arrayContaining([`UserRegistered:${user.body.id}`, `ApiKeyCreated:${key.body.id}`]),
    );
    const entry = (await call(base, 'GET', `/audit?type=ApiKeyCreated&limit=1`, { token: admin })).body
      .items[0];
    expect(entry).toMatchObject({
      actor: { kind: 'user' },
      org_id: 'org_default',
      data: { secretHash: '[redacted]' },
    });
    expect(entry.trace_id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('answers 400, 401, 403, 404, 409 and 429 where they belong, in one error shape', async () => {
    const malformed = await call(base, 'POST', '/users', { token: admin, raw: '{"email":' });
    expect(malformed).toMatchObject({
      status: 400,
      body: { error: { status: 400, code: 'API_MALFORMED_JSON' } },
    });

    const badField = await call(base, 'POST', '/users', {
      token: admin,
      body: { email: 'not-an-email', name: 'x', password: 'long-enough-pw' },
    });
    expect(badField).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    expect(badField.body.error.details.issues).toEqual([expect.objectContaining({ field: 'body.email' })]);
    const unknownField = await call(base, 'POST', '/users', {
      token: admin,
      body: { email: 'a@b.co', name: 'x', password: 'long-enough-pw', admin: true },
    });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.error.message).toMatch(/admin/);

    expect((await call(base, 'GET', '/users')).body.error).toMatchObject({
      status: 401,
      code: 'AUTH_UNAUTHENTICATED',
    });
    expect((await call(base, 'GET', '/users', { token: 'eyJhbGciOiJFZERTQSJ9.e30.sig' })).status).toBe(401);
    expect((await call(base, 'GET', '/users', { token: 'rnk_key_x_' + 'a'.repeat(43) })).status).toBe(401);

    await newUser('dave@example.com');
    const dave = (await login(base, 'dave@example.com', 'long-enough-pw')).access;
    expect((await newUser('eve@example.com', 'member', dave)).body.error).toMatchObject({
      status: 403,
      code: 'AUTH_FORBIDDEN',
    });
    expect((await call(base, 'GET', '/audit', { token: dave })).status).toBe(403);

    expect((await call(base, 'GET', '/nothing-here', { token: admin })).body.error).toMatchObject({
      status: 404,
      code: 'API_ROUTE_NOT_FOUND',
    });
    expect((await call(base, 'GET', '/users/usr_doesnotexist', { token: admin })).body.error).toMatchObject({
      status: 404,
      code: 'IDENTITY_NOT_FOUND',
    });

    expect((await newUser('dave@example.com')).body.error).toMatchObject({
      status: 409,
      code: 'IDENTITY_EMAIL_TAKEN',
    });

    const codes: number[] = [];
    for (let i = 0; i < 7; i++) {
      codes.push(
        (
          await call(base, 'POST', '/auth/login', {
            body: { email: 'dave@example.com', password: 'wrong-password' },
          })
        ).status,
      );
    }
    expect(codes).toEqual([401, 401, 401, 401, 401, 429, 429]);
    const limited = await call(base, 'POST', '/auth/login', {
      body: { email: 'dave@example.com', password: 'long-enough-pw' },
    });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('lets one of two concurrent edits of a user win and gives the other 412 with the current ETag', async () => {
    const user = await newUser('frank@example.com');
    const etag = user.headers.get('etag')!;
    const [a, b] = await Promise.all([
      call(base, 'PATCH', `/users/${user.body.id}`, {
        token: admin,
        body: { name: 'Frank A' },
        headers: { 'if-match': etag },
      }),
      call(base, 'PATCH', `/users/${user.body.id}`, {
        token: admin,
        body: { name: 'Frank B' },
        headers: { 'if-match': etag },
      }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 412]);
    const loser = a.status === 412 ? a : b;
    expect(loser.body.error.code).toBe('EVENTSTORE_PRECONDITION_FAILED');
    const winner = a.status === 200 ? a : b;
    expect(loser.headers.get('etag')).toBe(`"${winner.body.version}"`);
    expect((await call(base, 'GET', `/users/${user.body.id}`, { token: admin })).body.name).toBe(
      winner.body.name,
    );
  });

  it("keeps organisations apart: org B's owner cannot see or touch org A's users", async () => {
    const orgB = await call(base, 'POST', '/orgs', {
      token: admin,
      body: {
        name: 'Beta Corp',
        owner: { email: 'owner@beta.example', name: 'Bea', password: 'beta-password-1' },
      },
    });
    expect(orgB.status).toBe(201);
    const bea = (await login(base, 'owner@beta.example', 'beta-password-1')).access;
    const aUser = await newUser('grace@example.com');

    const bList = await call(base, 'GET', '/users', { token: bea });
    expect(bList.body.items.map((u: { email: string }) => u.email)).toEqual(['owner@beta.example']);
    expect((await call(base, 'GET', `/users/${aUser.body.id}`, { token: bea })).status).toBe(404);
    expect(
      (await call(base, 'PATCH', `/users/${aUser.body.id}`, { token: bea, body: { name: 'pwned' } })).status,
    ).toBe(404);
    expect((await call(base, 'DELETE', `/users/${aUser.body.id}`, { token: bea })).status).toBe(404);
    expect((await call(base, 'GET', '/orgs/org_default', { token: bea })).status).toBe(404);
    expect(
      (
        await call(base, 'POST', '/orgs', {
          token: bea,
          body: { name: 'x', owner: { email: 'x@x.io', name: 'x', password: 'xxxxxxxxxxxx' } },
        })
      ).status,
    ).toBe(403);
    const bAudit = await call(base, 'GET', '/audit?limit=1000', { token: bea });
    expect(bAudit.body.items.length).toBeGreaterThan(0);
    expect(bAudit.body.items.every((e: { org_id: string }) => e.org_id === orgB.body.id)).toBe(true);
    expect((await call(base, 'GET', `/users/${aUser.body.id}`, { token: admin })).body.name).toBe('grace');
  });

  it('verifies passwords and API keys: wrong ones, revoked keys and over-powered keys are refused', async () => {
    await newUser('heidi@example.com');
    expect(
      (
        await call(base, 'POST', '/auth/login', {
          body: { email: 'heidi@example.com', password: 'long-enough-px' },
        })
      ).body.error.code,
    ).toBe('AUTH_INVALID_CREDENTIALS');
    const heidi = (await login(base, 'heidi@example.com', 'long-enough-pw')).access;
    expect(
      (await call(base, 'POST', '/api-keys', { token: heidi, body: { name: 'too much', role: 'owner' } }))
        .status,
    ).toBe(403);
    const key = (await call(base, 'POST', '/api-keys', { token: heidi, body: { name: 'mine' } })).body;
    expect((await call(base, 'GET', '/me', { token: key.key })).body.principal).toMatchObject({
      kind: 'api_key',
      role: 'member',
    });
    const tampered = key.key.slice(0, -2) + (key.key.endsWith('AA') ? 'BB' : 'AA');
    expect((await call(base, 'GET', '/me', { token: tampered })).status).toBe(401);
    expect((await call(base, 'DELETE', `/api-keys/${key.id}`, { token: heidi })).status).toBe(200);
    expect((await call(base, 'GET', '/me', { token: key.key })).body.error).toMatchObject({ status: 401 });
  });

  it('ends sessions at once on logout, and rotates refresh tokens (a reused one ends the session)', async () => {
    await newUser('ivan@example.com');
    const first = await login(base, 'ivan@example.com', 'long-enough-pw');
    expect((await call(base, 'GET', '/me', { token: first.access })).status).toBe(200);

    const refreshed = await call(base, 'POST', '/auth/refresh', { body: { refresh_token: first.refresh } });
    expect(refreshed.status).toBe(200);
    const reused = await call(base, 'POST', '/auth/refresh', { body: { refresh_token: first.refresh } });
    expect(reused.body.error).toMatchObject({ status: 401, code: 'AUTH_INVALID_TOKEN' });
    expect((await call(base, 'GET', '/me', { token: refreshed.body.access_token })).status).toBe(401); // the session ended

    const second = await login(base, 'ivan@example.com', 'long-enough-pw');
    expect((await call(base, 'POST', '/auth/logout', { token: second.access })).status).toBe(200);
    expect((await call(base, 'GET', '/me', { token: second.access })).body.error.message).toMatch(
      /session was ended/,
    );
    expect(
      (await call(base, 'POST', '/auth/refresh', { body: { refresh_token: second.refresh } })).status,
    ).toBe(401);
  });

  it('asks for a TOTP code once two-factor authentication is on', async () => {
    await newUser('judy@example.com');
    const judy = (await login(base, 'judy@example.com', 'long-enough-pw')).access;
    const { secret, otpauth_url } = (await call(base, 'POST', '/me/totp/setup', { token: judy })).body;
    expect(otpauth_url).toMatch(/^otpauth:\/\/totp\//);
    const code = () => new TOTP({ secret: Secret.fromBase32(secret) }).generate();
    expect(
      (
        await call(base, 'POST', '/me/totp/enable', {
          token: judy,
          body: { secret, code: '000000' === code() ? '111111' : '000000' },
        })
      ).status,
    ).toBe(400);
    expect(
      (await call(base, 'POST', '/me/totp/enable', { token: judy, body: { secret, code: code() } })).body
        .totp_enabled,
    ).toBe(true);

    const without = await call(base, 'POST', '/auth/login', {
      body: { email: 'judy@example.com', password: 'long-enough-pw' },
    });
    expect(without.body.error).toMatchObject({ status: 401, code: 'AUTH_TOTP_REQUIRED' });
    const withCode = await call(base, 'POST', '/auth/login', {
      body: { email: 'judy@example.com', password: 'long-enough-pw', totp: code() },
    });
    expect(withCode.status).toBe(200);
  });

  it('rotates the signing key without logging anyone out', async () => {
    const before = await login(base, ADMIN.email, ADMIN.password);
    const kidOf = (jwt: string) =>
      JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()).kid as string;
    const rotated = await call(base, 'POST', '/auth/keys/rotate', { token: before.access });
    expect(rotated.status).toBe(200);
    const after = await login(base, ADMIN.email, ADMIN.password);
    expect(kidOf(after.access)).toBe(rotated.body.kid);
    expect(kidOf(after.access)).not.toBe(kidOf(before.access));
    expect((await call(base, 'GET', '/me', { token: before.access })).status).toBe(200);
    expect((await call(base, 'GET', '/me', { token: after.access })).status).toBe(200);
    const jwks = await call(base, 'GET', '/auth/jwks');
    expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toEqual(
      expect.arrayContaining([kidOf(before.access), kidOf(after.access)]),
    );
  });

  it('loses no event when the audit service is killed: restarted, it catches up', async () => {
    await sut.kill('audit');
    const created = [];
    for (let i = 0; i < 5; i++)
      created.push((await newUser(`while-down-${i}@example.com`)).body.id as string);
    expect((await call(base, 'GET', '/audit', { token: admin })).status).toBe(503);
    sut.startService('audit');
    const deadline = Date.now() + 20_000;
    let seen: string[] = [];
    while (Date.now() < deadline) {
      const audit = await call(base, 'GET', '/audit?type=UserRegistered&limit=100', { token: admin });
      if (audit.status === 200) {
        seen = audit.body.items.map((e: { aggregate_id: string }) => e.aggregate_id);
        if (created.every((id) => seen.includes(id))) break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen).toEqual(expect.arrayContaining(created));
    const exported = await fetch(`${base}/api/v1/audit/export?type=UserRegistered`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(exported.headers.get('content-type')).toMatch(/ndjson/);
    const lines = (await exported.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { aggregate_id: string });
    expect(lines.map((l) => l.aggregate_id)).toEqual(expect.arrayContaining(created));
  });

  it('serves its OpenAPI document and the interactive docs page', async () => {
    const doc = await call(base, 'GET', '/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/users', '/api/v1/auth/login', '/api/v1/audit']),
    );
    const page = await fetch(`${base}/api/docs`);
    expect(await page.text()).toContain('SwaggerUIBundle');
    expect((await fetch(`${base}/api/docs/assets/swagger-ui-bundle.js`)).status).toBe(200);
  });
});
