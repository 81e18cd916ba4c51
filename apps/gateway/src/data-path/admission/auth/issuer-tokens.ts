import { errors, importJWK, jwtVerify, type JWTHeaderParameters, type JWTPayload } from 'jose';
import {
  keyKindOf,
  type IssuerJwk,
  type SnapshotTokenIssuer,
  type TokenAlgorithm,
} from '@rustronaut/contracts/edge';
import type { RoutedResource } from '../../model';
import { CONSOLE_ISSUER, type Verification } from './token-verifier';

/** The longest bearer token looked at (a console token is about 600 bytes). */
export const MAX_BEARER_LENGTH = 8192;
/** How far a trusted issuer's clock may be off: `exp`, `nbf` and `iat` are checked with this margin. */
export const CLOCK_SKEW_S = 60;

type VerifyKey = Awaited<ReturnType<typeof importJWK>>;

/**
 * Bearer tokens of a resource's trusted issuers (machine / service access), verified in-process
 * against the keys its snapshot carries. The token's `iss` picks the issuer among the resource's
 * own (so a token is only ever checked against the issuers of the resource it is sent to); then
 * only that issuer's algorithms, a key of the kind the algorithm needs (an HMAC never takes a
 * public key's bytes, an `alg: none` never verifies), its `kid` when the token names one, the
 * issuer's `iss` and `aud`, `exp` required, `nbf` and `iat` not in the future beyond the skew, and
 * a `sub`. Keys are imported once per snapshot (cached on the snapshot's issuer objects).
 */
export class IssuerTokens {
  readonly #imported = new WeakMap<IssuerJwk, Map<string, Promise<VerifyKey>>>();

  /**
   * Verifies a token for a resource that trusts issuers; undefined when the token names none of
   * them and is the console's to check (its `iss` is the console's, or the resource trusts none).
   */
  verify(resource: RoutedResource, token: string): Promise<Verification> | undefined {
    const issuers = resource.tokenIssuers;
    if (!issuers?.length) return undefined;
    const iss = unverifiedIssuer(token);
    const issuer = iss === undefined ? undefined : issuers.find((i) => i.issuer === iss);
    if (issuer === undefined) {
      if (iss === undefined || iss === CONSOLE_ISSUER) return undefined;
      return Promise.resolve({
        refusal: `Token refused: ${resource.name} trusts no issuer "${iss.slice(0, 100)}".`,
      });
    }
    return this.#verify(resource, issuer, token);
  }

  async #verify(resource: RoutedResource, issuer: SnapshotTokenIssuer, token: string): Promise<Verification> {
    const refused = (why: string) => ({ refusal: `Token refused (issuer ${issuer.name}): ${why}.` });
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (header) => this.#keyFor(issuer, header), {
        algorithms: issuer.algorithms,
        issuer: issuer.issuer,
        audience: issuer.audience,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: CLOCK_SKEW_S,
      }));
    } catch (error) {
      return refused(reasonOf(error));
    }
    const now = Date.now() / 1000;
    if (typeof payload.iat === 'number' && payload.iat > now + CLOCK_SKEW_S)
      return refused('it was issued in the future (iat)');
    const sub = payload.sub;
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > 255)
      return refused('its sub is missing or longer than 255 characters');
    return {
      userId: sub,
      email: '',
      role: 'member',
      orgId: resource.orgId,
      issuerId: issuer.id,
      // Cached until then, with the same margin the check gave.
      expiresAt: ((payload.exp ?? 0) + CLOCK_SKEW_S) * 1000,
    };
  }

  /** The one key that may verify this header: the algorithm's kind, the token's kid if it names one. */
  #keyFor(issuer: SnapshotTokenIssuer, header: JWTHeaderParameters): Promise<VerifyKey> {
    const alg = header.alg as TokenAlgorithm;
    const kind = keyKindOf(alg);
    const kid = header.kid;
    const candidates = issuer.keys.filter(
      (key) =>
        key['kty'] === kind.kty &&
        (kind.crv === undefined || key['crv'] === kind.crv) &&
        (key['alg'] === undefined || key['alg'] === alg) &&
        (kid === undefined || key['kid'] === kid),
    );
    const [key, ...more] = candidates;
    if (key === undefined)
      throw new KeyRefusal(
        kid === undefined
          ? `no key of it verifies ${alg}`
          : `no key of it has kid "${String(kid).slice(0, 100)}"`,
      );
    if (more.length > 0) throw new KeyRefusal('several keys fit and the token names none by kid');
    let byAlg = this.#imported.get(key);
    if (byAlg === undefined) this.#imported.set(key, (byAlg = new Map()));
    let imported = byAlg.get(alg);
    if (imported === undefined) {
      imported = importJWK({ ...key, ext: false }, alg);
      imported.catch(() => byAlg.delete(alg));
      byAlg.set(alg, imported);
    }
    return imported;
  }
}

class KeyRefusal extends Error {}

/** The `iss` a token claims, read without trusting it (only to pick the issuer that checks it). */
function unverifiedIssuer(token: string): string | undefined {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first <= 0 || second < 0 || token.indexOf('.', second + 1) !== -1) return undefined;
  try {
    const payload: unknown = JSON.parse(
      Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8'),
    );
    const iss = (payload as { iss?: unknown } | null)?.iss;
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}

/** Why jose refused a token, in words for the access log. */
function reasonOf(error: unknown): string {
  if (error instanceof KeyRefusal) return error.message;
  if (error instanceof errors.JWTExpired) return 'it has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'it is not valid yet (nbf)';
    return error.reason === 'missing'
      ? `it has no ${error.claim} claim`
      : `its ${error.claim} does not match (${error.reason})`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'its algorithm is not allowed for this issuer';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'its signature does not verify';
  if (error instanceof errors.JOSENotSupported) return 'its algorithm or header is not supported';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'it is malformed';
  return 'it does not verify';
}
