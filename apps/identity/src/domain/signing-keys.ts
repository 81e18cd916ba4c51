import { SignJWT, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { DataSource } from 'typeorm';
import { newId } from './ids';

export interface AccessClaims {
  sub: string;
  org: string;
  role: string;
  sid: string;
  email: string;
}

type PrivateKey = Parameters<SignJWT['sign']>[0];

export const TOKEN_ISSUER = 'rustronaut';
export const TOKEN_AUDIENCE = 'rustronaut';

interface KeyRow {
  kid: string;
  public_jwk: JWK;
  private_jwk: JWK;
  created_at: Date;
  retired_at: Date | null;
}

/**
 * The console's token-signing keys (Ed25519). The newest key signs; a rotated-out key stays in
 * the JWKS for one access-token lifetime, so tokens it signed keep working until they expire and
 * nobody is logged out by a rotation. Private keys live only in the identity schema, never in events.
 */
export class SigningKeys {
  readonly #table: string;
  #active: { kid: string; key: PrivateKey } | undefined;

  constructor(
    private readonly dataSource: DataSource,
    schema: string,
    private readonly accessTtlSeconds: number,
  ) {
    this.#table = `"${schema}"."signing_keys"`;
  }

  /** Uses the newest key, creating the first one if there is none. Returns a new key's public JWK. */
  async ensureActive(): Promise<{ kid: string; publicJwk: JWK } | undefined> {
    const rows: KeyRow[] = await this.dataSource.query(
      `SELECT * FROM ${this.#table} WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1`,
    );
    const row = rows[0];
    if (row) {
      this.#active = { kid: row.kid, key: (await importJWK(row.private_jwk, 'EdDSA')) as PrivateKey };
      return undefined;
    }
    return this.rotate();
  }

  /** Makes a new signing key; the previous one only verifies from now on. */
  async rotate(): Promise<{ kid: string; publicJwk: JWK }> {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const kid = newId('key').replace('key_', 'sk_');
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA' };
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`UPDATE ${this.#table} SET retired_at = now() WHERE retired_at IS NULL`);
      await manager.query(`INSERT INTO ${this.#table} (kid, public_jwk, private_jwk) VALUES ($1, $2, $3)`, [
        kid,
        publicJwk,
        privateJwk,
      ]);
    });
    this.#active = { kid, key: privateKey };
    return { kid, publicJwk };
  }

  /** Public keys that may have signed a token still valid: the JWKS. */
  async jwks(): Promise<JWK[]> {
    const rows: KeyRow[] = await this.dataSource.query(
      `SELECT public_jwk FROM ${this.#table}
       WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => $1)
       ORDER BY created_at DESC`,
      [this.accessTtlSeconds + 60],
    );
    return rows.map((r) => r.public_jwk);
  }

  /**
   * A one-minute, single-use token that carries a console session to one resource's gateway (its
   * audience is the resource id, and it names the host), after a browser signed in for it.
   */
  async signHandoffToken(
    claims: AccessClaims & { host: string; sessionExpiresAt: number },
    resourceId: string,
    ttlSeconds: number,
  ): Promise<string> {
    const active = this.#active;
    if (!active) throw new Error('no signing key loaded: call ensureActive() first');
    const { sub, sessionExpiresAt, ...rest } = claims;
    return new SignJWT({ ...rest, session_exp: Math.floor(sessionExpiresAt / 1000), typ: 'resource_handoff' })
      .setProtectedHeader({ alg: 'EdDSA', kid: active.kid, typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(resourceId)
      .setSubject(sub)
      .setIssuedAt()
      .setJti(newId('ses').replace('ses_', 'jti_'))
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(active.key);
  }

  async signAccessToken(claims: AccessClaims, ttlSeconds = this.accessTtlSeconds): Promise<string> {
    const active = this.#active;
    if (!active) throw new Error('no signing key loaded: call ensureActive() first');
    const { sub, ...rest } = claims;
    return new SignJWT({ ...rest, typ: 'access' })
      .setProtectedHeader({ alg: 'EdDSA', kid: active.kid, typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject(sub)
      .setIssuedAt()
      .setJti(newId('ses').replace('ses_', 'jti_'))
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(active.key);
  }
}
