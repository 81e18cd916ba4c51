import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import { ResourceDataSchema, type SiteSnapshot, type SnapshotTokenIssuer } from '@rustronaut/contracts';
import { EdgeAuthenticator } from './edge-authenticator';
import { CountingVerifier, Snapshots, admission, snapshotWith } from './edge-authenticator.fixture';
import { MAX_BEARER_LENGTH } from './issuer-tokens';
import type { Refusal } from '../../model';

const secret = randomBytes(32);
const otherSecret = randomBytes(32);
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaJwk = rsa.publicKey.export({ format: 'jwk' }) as Record<string, string>;
const rsaPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();

const issuer = (id: string, changes: Partial<SnapshotTokenIssuer> = {}): SnapshotTokenIssuer => ({
  id,
  name: id,
  issuer: 'bench',
  audience: 'gateway',
  algorithms: ['HS256'],
  keys: [{ kty: 'oct', k: secret.toString('base64url'), kid: 'k1' }],
  ...changes,
});

const resource = (id: string, domain: string, tokenIssuers: SnapshotTokenIssuer[] | undefined) => ({
  ...ResourceDataSchema.parse({ siteId: 'st_1', name: id, protocol: 'http', domains: [domain] }),
  id,
  targets: [],
  ...(tokenIssuers ? { tokenIssuers } : {}),
});

/**
 * res_1 trusts "bench" (HS256, kid k1); res_2 trusts an issuer with the same iss and another
 * secret; res_3 trusts none; res_4 trusts an RS256 issuer whose snapshot (not the API, which
 * refuses the mix) also lists HS256, to try the algorithm confusion.
 */
function snapshot(): SiteSnapshot {
  return snapshotWith({
    resources: [
      resource('res_1', 'app.example.com', [issuer('tis_1')]),
      resource('res_2', 'two.example.com', [
        issuer('tis_2', { keys: [{ kty: 'oct', k: otherSecret.toString('base64url') }] }),
      ]),
      resource('res_3', 'three.example.com', undefined),
      resource('res_4', 'four.example.com', [
        issuer('tis_4', { issuer: 'rsa', algorithms: ['RS256', 'HS256'], keys: [{ ...rsaJwk, kid: 'r1' }] }),
      ]),
    ],
  });
}

const now = () => Math.floor(Date.now() / 1000);
const claims = (changes: JWTPayload = {}): JWTPayload => ({
  sub: 'bench-user',
  iss: 'bench',
  aud: 'gateway',
  iat: now(),
  exp: now() + 3600,
  ...changes,
});
const sign = (
  payload: JWTPayload,
  header: Record<string, unknown> = { alg: 'HS256', kid: 'k1' },
  key = secret,
) => new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key);
/** A JWS made by hand: for headers and signatures jose would not make. */
const handMade = (header: object, payload: object, key: Buffer | string | null, alg = 'sha256') => {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${key === null ? '' : createHmac(alg, key).update(input).digest('base64url')}`;
};
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const without = (payload: JWTPayload, claim: string) => {
  const copy = { ...payload };
  delete copy[claim];
  return copy;
};

function setup() {
  const source = new Snapshots(snapshot());
  const console = new CountingVerifier({ refusal: 'Your sign-in is not valid: sign in again.' });
  const sut = new EdgeAuthenticator(source, console);
  const at = (index: number, headers: Record<string, string>, raw?: string[]) =>
    admission(source, { accept: 'application/json', ...headers }, raw, index);
  const bearer = (token: string, index = 0) => at(index, { authorization: `Bearer ${token}` });
  return { sut, console, at, bearer };
}

describe("trusted issuers: bearer tokens of a resource's own issuers", () => {
  it('admits a valid token with its sub as the caller, then from the cache without checking again', async () => {
    const { sut, console, bearer } = setup();
    const token = await sign(claims());
    const first = bearer(token);
    expect(await sut.authenticate(first)).toBeUndefined();
    expect(first.caller).toEqual({
      id: 'bench-user',
      email: '',
      role: 'member',
      groups: [],
      via: 'token',
      issuerId: 'tis_1',
    });
    const second = bearer(token);
    expect(sut.authenticate(second)).toBeUndefined(); // synchronous: served from the cache
    expect(second.caller).toMatchObject({ id: 'bench-user', issuerId: 'tis_1' });
    expect(console.calls).toBe(0);
  });

  it('accepts the scheme in any case, and a token of an issuer listed without kid or with clock skew', async () => {
    const { sut, bearer, at } = setup();
    expect(
      await sut.authenticate(at(0, { authorization: `bearer ${await sign(claims())}` })),
    ).toBeUndefined();
    const skewed = await sign(claims({ iat: now() + 30, nbf: now() + 30, exp: now() - 30 }));
    expect(await sut.authenticate(bearer(skewed))).toBeUndefined();
    const noKid = await sign(claims({ sub: 'svc' }), { alg: 'HS256' });
    expect(await sut.authenticate(bearer(noKid))).toBeUndefined();
  });

  describe('refuses every hostile variant with a 401 saying why, and admits nothing afterwards', () => {
    const variants: [string, () => Promise<string>, RegExp][] = [
      ['alg none', async () => handMade({ alg: 'none' }, claims(), null), /algorithm is not allowed/],
      ['alg none, kid kept', async () => handMade({ alg: 'none', kid: 'k1' }, claims(), null), /not allowed/],
      [
        'an algorithm the issuer does not use',
        async () => sign(claims(), { alg: 'HS512', kid: 'k1' }, randomBytes(64)),
        /not allowed/,
      ],
      [
        'a kid the issuer does not have',
        async () => sign(claims(), { alg: 'HS256', kid: 'k2' }),
        /no key of it has kid "k2"/,
      ],
      [
        'another secret',
        async () => sign(claims(), { alg: 'HS256', kid: 'k1' }, otherSecret),
        /signature does not verify/,
      ],
      [
        'a payload changed after signing',
        async () => {
          const [h, , s] = (await sign(claims())).split('.');
          return `${h}.${b64(claims({ sub: 'admin' }))}.${s}`;
        },
        /signature does not verify/,
      ],
      [
        'a stripped signature',
        async () => `${(await sign(claims())).split('.').slice(0, 2).join('.')}.`,
        /signature does not verify|malformed/,
      ],
      ['a wrong audience', async () => sign(claims({ aud: 'other' })), /aud does not match/],
      ['an audience list without ours', async () => sign(claims({ aud: ['a', 'b'] })), /aud does not match/],
      [
        'an issuer the resource does not trust',
        async () => sign(claims({ iss: 'evil' })),
        /trusts no issuer "evil"/,
      ],
      ['expired beyond the skew', async () => sign(claims({ exp: now() - 120 })), /expired/],
      ['not valid yet (nbf)', async () => sign(claims({ nbf: now() + 300 })), /not valid yet/],
      ['issued in the future (iat)', async () => sign(claims({ iat: now() + 300 })), /issued in the future/],
      ['no sub', async () => sign(without(claims(), 'sub')), /no sub claim/],
      ['an empty sub', async () => sign(claims({ sub: '' })), /sub is missing/],
      ['no exp', async () => sign(without(claims(), 'exp')), /no exp claim/],
      [
        'a crit header it does not know',
        async () => handMade({ alg: 'HS256', kid: 'k1', crit: ['x'], x: 1 }, claims(), secret),
        /not supported/,
      ],
      [
        'an embedded jwk to verify with',
        async () => {
          const forged = randomBytes(32);
          return handMade(
            { alg: 'HS256', jwk: { kty: 'oct', k: forged.toString('base64url') } },
            claims(),
            forged,
          );
        },
        /signature does not verify/,
      ],
    ];
    it.each(variants)('%s', async (_, make, why) => {
      const { sut, bearer, console } = setup();
      const token = await make();
      const refusal = (await sut.authenticate(bearer(token))) as Refusal;
      expect(refusal).toMatchObject({ status: 401, message: expect.stringMatching(why) });
      // Refused again (nothing was cached), while a valid token still gets in.
      expect(await sut.authenticate(bearer(token))).toMatchObject({ status: 401 });
      expect(await sut.authenticate(bearer(await sign(claims())))).toBeUndefined();
      expect(console.calls).toBe(0);
    });
  });

  it('refuses an HS256 token signed with the bytes of an RSA public key (algorithm confusion)', async () => {
    const { sut, bearer } = setup();
    const payload = claims({ iss: 'rsa' });
    for (const bytes of [rsaPem, Buffer.from(rsaJwk['n']!, 'base64url')]) {
      for (const kid of [undefined, 'r1']) {
        const token = handMade({ alg: 'HS256', ...(kid ? { kid } : {}) }, payload, bytes);
        const refusal = (await sut.authenticate(bearer(token, 3))) as Refusal;
        expect(refusal).toMatchObject({ status: 401, message: expect.stringMatching(/no key of it/) });
      }
    }
  });

  it('refuses a malformed Authorization: twice, too large, tabs or a second word', async () => {
    const { sut, at } = setup();
    const token = await sign(claims());
    const twice = at(0, { authorization: `Bearer ${token}` }, [
      'Authorization',
      `Bearer ${token}`,
      'authorization',
      'Bearer other',
    ]);
    expect(sut.authenticate(twice)).toMatchObject({
      status: 401,
      message: expect.stringMatching(/more than once/),
    });
    const huge = `Bearer ${token}${'a'.repeat(MAX_BEARER_LENGTH)}`;
    expect(sut.authenticate(at(0, { authorization: huge }))).toMatchObject({
      status: 401,
      message: expect.stringMatching(/larger than/),
    });
    for (const odd of [
      `Bearer\t${token}`,
      `Bearer ${token} extra`,
      `Bearer "${token}"`,
      'Bearer',
      `Bearer ,${token}`,
    ])
      expect(sut.authenticate(at(0, { authorization: odd }))).toMatchObject({
        status: 401,
        message: expect.stringMatching(/not "Bearer <token>"/),
      });
  });

  it('does not take a token from the query string', () => {
    const { sut, at } = setup();
    const request = at(0, {});
    (request.req as { url: string }).url = '/page?access_token=x&token=y';
    expect(sut.authenticate(request)).toMatchObject({
      status: 401,
      message: expect.stringMatching(/sign in/),
    });
  });

  it("does not admit a token of one resource's issuer at another resource, cached or not", async () => {
    const { sut, bearer, console } = setup();
    const token = await sign(claims());
    expect(await sut.authenticate(bearer(token, 0))).toBeUndefined();
    // res_2 trusts an issuer with the same iss and another key; res_3 trusts none (the console's check says no).
    expect(await sut.authenticate(bearer(token, 1))).toMatchObject({
      status: 401,
      message: expect.stringMatching(/issuer tis_2\): no key of it has kid "k1"/),
    });
    const noKid = await sign(claims(), { alg: 'HS256' });
    expect(await sut.authenticate(bearer(noKid, 1))).toMatchObject({
      status: 401,
      message: expect.stringMatching(/issuer tis_2\): its signature does not verify/),
    });
    expect(await sut.authenticate(bearer(token, 2))).toMatchObject({ status: 401 });
    expect(console.calls).toBe(1);
    // And back at res_1 it is admitted again.
    expect(await sut.authenticate(bearer(token, 0))).toBeUndefined();
  });

  it('refuses a cached token once its issuer is removed from the resource', async () => {
    const source = new Snapshots(snapshot());
    const sut = new EdgeAuthenticator(source, new CountingVerifier({ refusal: 'no' }));
    const token = await sign(claims());
    const request = () => admission(source, { authorization: `Bearer ${token}` }, undefined, 0);
    expect(await sut.authenticate(request())).toBeUndefined();
    const next = snapshot();
    next.resources[0] = resource('res_1', 'app.example.com', undefined);
    source.set(next);
    expect(await sut.authenticate(request())).toMatchObject({ status: 401 });
  });
});
