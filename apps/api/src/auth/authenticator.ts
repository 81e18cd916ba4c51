import {
  createLocalJWKSet,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { AccessError, AccessErrorCode, type Principal, type Role } from '@rustronaut/contracts';
import type { RevocationList } from '@rustronaut/revocation';
import type { IdentityClient } from '@rustronaut/messaging';

const unauthenticated = (message: string) => new AccessError(AccessErrorCode.Unauthenticated, message);

/**
 * Turns an `Authorization: Bearer …` header into a principal. Access tokens (EdDSA JWTs) are
 * verified here against the identity service's JWKS, refetched when a token names a key this
 * process has not seen (a rotation), and refused at once when their session is revoked. API keys
 * (`rnk_…`) are checked by the identity service.
 *
 * A client sends the same access token with every request for its lifetime, so the claims of a
 * verified one are kept (by its exact text, until it expires; at most VERIFIED_TOKENS, the oldest
 * going first; all forgotten when the keys are refetched): its next requests skip the signature
 * check, which was an eighth of the API's CPU per read. The session is still checked every time.
 */
const VERIFIED_TOKENS = 10_000;

export class Authenticator {
  readonly #verified = new Map<string, { payload: JWTPayload; expiresAtMs: number }>();
  #jwks: JWTVerifyGetKey | undefined;
  #jwksFetchedAt = 0;
  #refreshing: Promise<unknown> | undefined;

  constructor(
    private readonly identity: IdentityClient,
    private readonly revocations: RevocationList,
  ) {}

  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (!authorization)
      throw unauthenticated(
        'send "Authorization: Bearer <access token or API key>" (log in at POST /api/v1/auth/login)',
      );
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw unauthenticated('the Authorization header must be "Bearer <token>"');
    const token = match[1]!;
    if (token.startsWith('rnk_')) {
      try {
        return await this.identity.request('identity.apikey.verify', { key: token });
      } catch (error) {
        if ((error as { code?: string }).code === 'AUTH_INVALID_TOKEN')
          throw unauthenticated((error as Error).message);
        throw error;
      }
    }
    return this.#verifyAccessToken(token);
  }

  async #verifyAccessToken(token: string): Promise<Principal> {
    const payload = this.#alreadyVerified(token) ?? (await this.#verifySignature(token));
    if (await this.revocations.isSessionRevoked(String(payload['sid']))) {
      throw unauthenticated('this session was ended (logout or revocation): log in again');
    }
    return {
      kind: 'user',
      id: String(payload.sub),
      userId: String(payload.sub),
      orgId: String(payload['org']),
      role: payload['role'] as Role,
      sessionId: String(payload['sid']),
    };
  }

  #alreadyVerified(token: string): JWTPayload | undefined {
    const entry = this.#verified.get(token);
    if (entry && entry.expiresAtMs > Date.now()) return entry.payload;
    if (entry) this.#verified.delete(token);
    return undefined;
  }

  /** The claims of an access token whose signature, issuer, audience and expiry hold. */
  async #verifySignature(token: string, retried = false): Promise<JWTPayload> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, await this.#keys(false), {
        issuer: 'rustronaut',
        audience: 'rustronaut',
      }));
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_JWKS_NO_MATCHING_KEY' && !retried) {
        await this.#refreshKeys();
        return this.#verifySignature(token, true);
      }
      if (code === 'ERR_JWT_EXPIRED')
        throw unauthenticated('the access token expired: refresh it at POST /api/v1/auth/refresh');
      throw unauthenticated('the access token is not valid');
    }
    if (
      payload['typ'] !== 'access' ||
      typeof payload.sub !== 'string' ||
      typeof payload['sid'] !== 'string'
    ) {
      throw unauthenticated('this is not an access token');
    }
    if (typeof payload.exp === 'number') {
      const oldest = this.#verified.keys().next();
      if (this.#verified.size >= VERIFIED_TOKENS && !oldest.done) this.#verified.delete(oldest.value);
      this.#verified.set(token, { payload, expiresAtMs: payload.exp * 1000 });
    }
    return payload;
  }

  /**
   * A token signed by a key not seen yet (a rotation): refetch the JWKS, at most once a second
   * whatever the traffic (tokens with made-up key ids cannot flood the identity service), with
   * concurrent callers sharing one fetch.
   */
  #refreshKeys(): Promise<unknown> {
    this.#refreshing ??= (async () => {
      const wait = this.#jwksFetchedAt + 1_000 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await this.#keys(true);
    })().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #keys(refresh: boolean): Promise<JWTVerifyGetKey> {
    if (!this.#jwks || refresh) {
      const jwks = await this.identity.request('identity.jwks', {});
      this.#jwks = createLocalJWKSet(jwks as JSONWebKeySet);
      this.#jwksFetchedAt = Date.now();
      this.#verified.clear(); // a key may have gone
    }
    return this.#jwks;
  }
}
