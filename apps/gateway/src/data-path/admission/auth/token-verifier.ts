import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Role } from '@rustronaut/contracts';
import type { SnapshotSource } from '../../model';

/** What a verified credential says, before the resource's site adds the groups. */
export interface VerifiedIdentity {
  userId: string;
  email: string;
  role: Role;
  orgId: string;
  /** The console session (or exchanged API key) it belongs to: revoked ones are refused. */
  sessionId?: string;
  /** When it stops being valid (epoch ms). */
  expiresAt: number;
  /** A trusted issuer's token: the issuer (of the resource it was checked for); userId is its `sub`. */
  issuerId?: string;
}

export type Verification = VerifiedIdentity | { refusal: string };

/** Turns a bearer token into an identity, or says why not. Results are cached by the caller. */
export interface TokenVerifier {
  verify(token: string): Promise<Verification>;
}

/** The claims every console token carries. */
export const CONSOLE_ISSUER = 'rustronaut';
export const ACCESS_AUDIENCE = 'rustronaut';

/** The console's public keys, from the JWKS carried by the snapshots (reloaded when they change). */
export class SnapshotKeys {
  #keys: JWTVerifyGetKey | undefined;

  constructor(private readonly source: SnapshotSource) {
    source.onChanged(() => this.#reload());
    this.#reload();
  }

  get(): JWTVerifyGetKey | undefined {
    return this.#keys;
  }

  #reload(): void {
    const keys = [...this.source.all().values()].flatMap((a) => a.snapshot.jwks);
    this.#keys = keys.length ? createLocalJWKSet({ keys } as JSONWebKeySet) : undefined;
  }
}

/** Says why a console JWT was refused, in words a person can act on. */
export function jwtRefusal(error: unknown): { refusal: string } {
  if (error instanceof errors.JWTExpired) return { refusal: 'Your sign-in has expired: sign in again.' };
  if (error instanceof errors.JWTClaimValidationFailed)
    return { refusal: `Your token is not for this gateway (${error.claim} does not match): sign in again.` };
  return { refusal: 'Your sign-in is not valid: sign in again.' };
}

/**
 * The console's access tokens (EdDSA JWTs, `typ: access`), checked against the keys in the
 * snapshots: only EdDSA (so `alg: none` or an HMAC made with a public key is refused), the console's
 * issuer and audience, not expired, with a subject and a session.
 */
export class ConsoleTokenVerifier implements TokenVerifier {
  constructor(private readonly keys: SnapshotKeys) {}

  async verify(token: string): Promise<Verification> {
    if (token.startsWith('rnk_'))
      return {
        refusal:
          'An API key is not accepted here: exchange it for an access token at POST /api/v1/auth/token on the console.',
      };
    const keys = this.keys.get();
    if (!keys) return { refusal: 'This gateway has no keys to check sign-ins yet.' };
    try {
      const { payload } = await jwtVerify(token, keys, {
        algorithms: ['EdDSA'],
        issuer: CONSOLE_ISSUER,
        audience: ACCESS_AUDIENCE,
        requiredClaims: ['exp', 'sub'],
      });
      if (
        payload['typ'] !== 'access' ||
        typeof payload['sid'] !== 'string' ||
        typeof payload['org'] !== 'string'
      )
        return { refusal: 'This is not an access token: sign in again.' };
      return {
        userId: String(payload.sub),
        email: typeof payload['email'] === 'string' ? payload['email'] : '',
        role: payload['role'] as Role,
        orgId: payload['org'],
        sessionId: payload['sid'],
        expiresAt: (payload.exp ?? 0) * 1000,
      };
    } catch (error) {
      return jwtRefusal(error);
    }
  }
}
