import { createHmac, generateKeyPairSync, randomBytes, sign as signWith } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';
import { freePort } from '@rustronaut/testing';
import { GatewayProcess, through, untilServes } from './support/gateway-process';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** An HS256 JWT as any service would mint one (jose is ESM-only under Jest). */
const hs256 = (secret: Buffer, payload: Record<string, unknown>, header: Record<string, unknown> = {}) => {
  const input = `${b64({ alg: 'HS256', typ: 'JWT', ...header })}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- records are read as the API serves them
type Row = Record<string, any>;

/**
 * Trusted token issuers end to end: an admin declares one on a resource through the console API,
 * a policy names its sub, the snapshot carries it to a gateway process, and machines with its
 * tokens get in (as their sub) while every other token is refused with a 401 the access log explains.
 */
describe('trusted token issuers (e2e, started processes)', () => {
  let platform: ConsoleHarness;
  let admin: string;
  let upstream: Server;
  let gateway: GatewayProcess;
  const secret = Buffer.from('bench-secret-please-change-0123456789');
  const ids: Record<string, string> = {};
  const api = (method: string, path: string, body?: unknown) =>
    call(platform.url, method, path, { token: admin, ...(body === undefined ? {} : { body }) });
  const token = (claims: Record<string, unknown> = {}, key = secret, header: Record<string, unknown> = {}) =>
    hs256(
      key,
      {
        iss: 'bench',
        aud: 'gateway',
        sub: 'bench-user',
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 3600,
        ...claims,
      },
      header,
    );
  const get = (host: string, options: Parameters<typeof through>[3] = {}, path = '/hello') =>
    through(gateway.httpPort, host, path, options);
  /** Polls until a request answers `status` (a change reaching the gateway), or fails after 10 s. */
  async function untilAnswers(status: number, host: string, options: Parameters<typeof through>[3]) {
    let answer = await get(host, options);
    for (let i = 0; answer.status !== status && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      answer = await get(host, options);
    }
    expect({ status: answer.status, text: answer.text }).toMatchObject({ status });
    return answer;
  }

  beforeAll(async () => {
    platform = await ConsoleHarness.start(
      { RN_SECRETS_KEY: randomBytes(32).toString('base64') },
      { upWithinMs: 120_000 },
    );
    admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    const upstreamPort = await freePort();
    upstream = createServer((req, res) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ headers: req.headers })),
    );
    await new Promise<void>((r) => upstream.listen(upstreamPort, '127.0.0.1', r));
    const site = (
      await api('POST', '/sites', {
        name: 'Machines',
        subnet: '10.31.0.0/24',
        region: 'eu',
        connection_type: 'local',
      })
    ).body;
    const resource = async (name: string) =>
      (
        await api('POST', '/resources', {
          site_id: site.id,
          name,
          protocol: 'http',
          domains: [`${name}.localhost`],
          targets: [{ address: `127.0.0.1:${upstreamPort}`, protocol: 'http' }],
        })
      ).body.id as string;
    ids['api'] = await resource('api');
    ids['other'] = await resource('other');
    gateway = await GatewayProcess.start(platform, admin, site.id);
    await untilServes(gateway, [ids['api'], ids['other']]);
  }, 180_000);

  afterAll(async () => {
    gateway?.stop();
    upstream?.close();
    await platform?.stop();
  });

  it('refuses keys that cannot be trusted: a short HMAC secret, a private key, HMAC mixed with public keys', async () => {
    const issuers = `/resources/${ids['api']}/token-issuers`;
    const base = { name: 'ci', issuer: 'bench', audience: 'gateway' };
    const short = await api('POST', issuers, {
      ...base,
      algorithms: ['HS256'],
      keys: [{ kty: 'oct', k: randomBytes(16).toString('base64url') }],
    });
    expect(short.status).toBe(400);
    expect(JSON.stringify(short.body)).toMatch(/at least 256 bits/);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const withPrivate = await api('POST', issuers, {
      ...base,
      algorithms: ['ES256'],
      keys: [privateKey.export({ format: 'jwk' })],
    });
    expect(withPrivate.status).toBe(400);
    expect(JSON.stringify(withPrivate.body)).toMatch(/public key only/);
    const mixed = await api('POST', issuers, {
      ...base,
      algorithms: ['HS256', 'ES256'],
      keys: [{ kty: 'oct', k: secret.toString('base64url') }],
    });
    expect(mixed.status).toBe(400);
    expect((await api('GET', issuers)).body.items).toEqual([]);
  });

  it('admits a token of the declared issuer as its sub, once a policy names it; the key is never shown again', async () => {
    const added = await api('POST', `/resources/${ids['api']}/token-issuers`, {
      name: 'bench',
      issuer: 'bench',
      audience: 'gateway',
      algorithms: ['HS256'],
      keys: [{ kty: 'oct', k: secret.toString('base64url') }],
    });
    expect(added.status).toBe(201);
    ids['issuer'] = added.body.id;
    expect(added.body).toMatchObject({ resource_id: ids['api'], issuer: 'bench', algorithms: ['HS256'] });
    expect(added.body.keys).toEqual([{ kty: 'oct', fingerprint: expect.stringMatching(/^[\w-]{16}$/) }]);
    const listed = await api('GET', `/resources/${ids['api']}/token-issuers`);
    expect(listed.body.items).toEqual([added.body]);
    for (const shown of [added.body, listed.body])
      expect(JSON.stringify(shown)).not.toContain(secret.toString('base64url'));

    // Trusted, but no policy names it yet: authenticated, then denied by policy.
    await untilAnswers(403, 'api.localhost', { token: token() });
    ids['policy'] = (
      await api('POST', '/policies', {
        name: 'bench service',
        effect: 'allow',
        resource_ids: [ids['api']],
        subjects: { tokens: [{ issuer_id: ids['issuer'], subs: ['bench-user'] }] },
      })
    ).body.id;
    expect((await api('GET', `/policies/${ids['policy']}`)).body.subjects.tokens).toEqual([
      { issuer_id: ids['issuer'], subs: ['bench-user'] },
    ]);
    const answer = await untilAnswers(200, 'api.localhost', { token: token() });
    const seen = JSON.parse(answer.text).headers as Record<string, string>;
    // A machine, named apart from console users (its sub is the issuer's to choose).
    expect(seen['x-rustronaut-service']).toBe('bench-user');
    expect(seen['x-rustronaut-issuer']).toBe(ids['issuer']);
    expect(seen['x-rustronaut-user']).toBeUndefined();
    expect(seen['authorization']).toBeUndefined(); // the token is not the app's to replay
    // Another sub of the same issuer is authenticated but not admitted by the policy.
    expect((await get('api.localhost', { token: token({ sub: 'someone-else' }) })).status).toBe(403);
  });

  it('refuses every other token with a 401, and the access log says why', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rs256 = (() => {
      const input = `${b64({ alg: 'RS256' })}.${b64({ iss: 'bench', aud: 'gateway', sub: 'bench-user', exp: 2e9 })}`;
      return `${input}.${signWith('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
    })();
    const refused: [string, Parameters<typeof through>[3], string][] = [
      ['api.localhost', { token: token({}, randomBytes(37)) }, 'signature does not verify'],
      [
        'api.localhost',
        { token: `${b64({ alg: 'none' })}.${b64({ iss: 'bench', sub: 'x' })}.` },
        'algorithm',
      ],
      ['api.localhost', { token: rs256 }, 'algorithm is not allowed'],
      ['api.localhost', { token: token({ aud: 'elsewhere' }) }, 'aud does not match'],
      ['api.localhost', { token: token({ iss: 'intruder' }) }, 'trusts no issuer "intruder"'],
      ['api.localhost', { token: token({ exp: Math.floor(Date.now() / 1000) - 600 }) }, 'expired'],
      ['api.localhost', { token: token({ sub: undefined }) }, 'no sub'],
      ['api.localhost', { token: token({}, secret, { kid: 'nope' }) }, 'kid "nope"'],
      ['api.localhost', { headers: { authorization: [`Bearer ${token()}`, 'Bearer x'] } }, 'more than once'],
      ['api.localhost', { headers: { authorization: `Bearer\t${token()}` } }, 'not "Bearer <token>"'],
      // The right token where it was not declared.
      ['other.localhost', { token: token() }, 'sign in'],
    ];
    for (const [i, [host, options, why]] of refused.entries()) {
      const answer = await get(host, options, `/refused/${i}`);
      expect({ why, status: answer.status }).toEqual({ why, status: 401 });
    }
    // Not from the query string either.
    expect((await get('api.localhost', {}, `/hello?access_token=${token()}`)).status).toBe(401);

    const deadline = Date.now() + 30_000;
    let rows: Row[] = [];
    while (Date.now() < deadline) {
      rows = (await api('GET', `/access-log?decision=refused&status=401&limit=100`)).body.items as Row[];
      if (rows.filter((r) => String(r['path']).startsWith('/refused/')).length >= refused.length) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    for (const [i, [, , why]] of refused.entries()) {
      const row = rows.find((r) => r['path'] === `/refused/${i}`);
      expect({ why, row }).toMatchObject({
        why,
        row: { decided_by: 'authentication', reason: expect.stringContaining(why) },
      });
    }
  });

  it('keeps the HMAC key out of the audit trail, and stops admitting tokens once the issuer is removed', async () => {
    const audit = (await api('GET', '/audit?type=ResourceTokenIssuerAdded&limit=100')).body.items as Row[];
    expect(audit.length).toBeGreaterThan(0);
    for (const entry of audit) expect(entry['data']['secretKeys']).toBe('[redacted]');
    expect(JSON.stringify(audit)).not.toContain(secret.toString('base64url'));

    expect((await api('DELETE', `/resources/${ids['api']}/token-issuers/${ids['issuer']}`)).status).toBe(204);
    await untilAnswers(401, 'api.localhost', { token: token() });
    expect((await api('GET', `/resources/${ids['api']}/token-issuers`)).body.items).toEqual([]);
  });
});
