import type { webcrypto } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { IdentityClient } from '@rustronaut/messaging';
import type { RevocationList } from '@rustronaut/revocation';
import { Authenticator } from './authenticator';

interface SigningKey {
  kid: string;
  privateKey: webcrypto.CryptoKey;
  publicJwk: JWK;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' } };
}

const accessToken = (key: SigningKey, sid: string, expiresInS = 900) =>
  new SignJWT({ typ: 'access', sid, org: 'org_default', role: 'admin' })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
    .setSubject('usr_1')
    .setIssuer('rustronaut')
    .setAudience('rustronaut')
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInS)
    .sign(key.privateKey);

/** The identity service's published keys and the revoked sessions, as the API sees them. */
function authenticator(published: SigningKey[], revoked: Set<string>): Authenticator {
  const identity = {
    request: async (pattern: string) => {
      if (pattern !== 'identity.jwks') throw new Error(`unexpected ${pattern}`);
      return { keys: published.map((k) => k.publicJwk) };
    },
  } as unknown as IdentityClient;
  const revocations = { isSessionRevoked: async (sid: string) => revoked.has(sid) } as RevocationList;
  return new Authenticator(identity, revocations);
}

describe('Authenticator: access tokens seen before', () => {
  it('accepts the same token again, and refuses it as soon as its session is revoked', async () => {
    const key = await signingKey('sk_1');
    const revoked = new Set<string>();
    const sut = authenticator([key], revoked);
    const token = await accessToken(key, 'ses_1');
    for (let i = 0; i < 3; i++)
      await expect(sut.authenticate(`Bearer ${token}`)).resolves.toMatchObject({
        userId: 'usr_1',
        sessionId: 'ses_1',
        role: 'admin',
      });
    revoked.add('ses_1');
    await expect(sut.authenticate(`Bearer ${token}`)).rejects.toThrow(/session was ended/);
  });

  it('refuses a token once it expires, though it was accepted before', async () => {
    const key = await signingKey('sk_1');
    const sut = authenticator([key], new Set());
    const token = await accessToken(key, 'ses_1', 1);
    await expect(sut.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ sessionId: 'ses_1' });
    await new Promise((r) => setTimeout(r, 1_100));
    await expect(sut.authenticate(`Bearer ${token}`)).rejects.toThrow(/access token expired/);
  });

  it('forgets what it verified when it refetches the keys: a token of a withdrawn key is refused', async () => {
    const old = await signingKey('sk_old');
    const next = await signingKey('sk_next');
    const published = [old];
    const sut = authenticator(published, new Set());
    const token = await accessToken(old, 'ses_1');
    await expect(sut.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ sessionId: 'ses_1' });
    // The identity service rotates and withdraws the old key; a token of the new key makes the
    // API refetch (after its one-second pause).
    published.splice(0, 1, next);
    await expect(sut.authenticate(`Bearer ${await accessToken(next, 'ses_2')}`)).resolves.toMatchObject({
      sessionId: 'ses_2',
    });
    await expect(sut.authenticate(`Bearer ${token}`)).rejects.toThrow(/not valid/);
  });
});
