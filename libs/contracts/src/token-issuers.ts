import { createHash, createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { IdSchema, NameSchema } from './fields';
import { TOKEN_ALGORITHMS, keyKindOf } from './token-keys';

/**
 * Trusted token issuers: a resource's way in for machines and services. An admin declares an
 * issuer (its `iss`, the `aud` its tokens must carry, the algorithms it signs with, and its keys as
 * JWKs); the resource's gateways then admit `Authorization: Bearer <JWT>` signed by it, and the
 * policies decide on its `sub`. Public keys (EdDSA, ES256, RS256) are kept as given; an HMAC key
 * (HS256/384/512, a JWK of `kty: "oct"`) is a secret: sealed in the events, shown only by its
 * fingerprint, and carried in the site snapshot to the gateways like the site's cookie secret.
 */

export { TOKEN_ALGORITHMS, keyKindOf } from './token-keys';
export const TokenAlgorithmSchema = z.enum(TOKEN_ALGORITHMS);
export type TokenAlgorithm = z.infer<typeof TokenAlgorithmSchema>;

/** The shortest HMAC key per algorithm (RFC 7518 §3.2: at least the hash's size). */
const HMAC_MIN_BYTES: Partial<Record<TokenAlgorithm, number>> = { HS256: 32, HS384: 48, HS512: 64 };
/** The smallest RSA modulus accepted. */
const RSA_MIN_BITS = 2048;

export const isHmac = (alg: TokenAlgorithm) => alg.startsWith('HS');

/** The members of a public JWK that are kept; anything else (private parts, x5u, …) is refused or dropped. */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  OKP: ['crv', 'x'],
  EC: ['crv', 'x', 'y'],
  RSA: ['n', 'e'],
};
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'];
const B64URL = /^[A-Za-z0-9_-]+$/;

/** A verification key as the API takes it: a JWK (RFC 7517). */
export const TokenIssuerKeySchema = z.record(z.string().max(20), z.unknown());
export type TokenIssuerKeyInput = z.infer<typeof TokenIssuerKeySchema>;

/** A key as kept and shipped: only the members that verify, all strings. */
export type IssuerJwk = Record<string, string>;

/** Why a JWK cannot verify tokens of these algorithms, or undefined when it can; and the key, cleaned. */
export function checkIssuerKey(
  jwk: TokenIssuerKeyInput,
  algorithms: readonly TokenAlgorithm[],
): { problem: string } | { key: IssuerJwk } {
  const kty = jwk['kty'];
  const kid = jwk['kid'];
  const alg = jwk['alg'];
  const use = jwk['use'];
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0 || kid.length > 200))
    return { problem: 'kid must be a string of 1 to 200 characters' };
  if (use !== undefined && use !== 'sig') return { problem: 'use must be "sig" (or absent)' };
  if (alg !== undefined && !TOKEN_ALGORITHMS.includes(alg as TokenAlgorithm))
    return { problem: `alg must be one of ${TOKEN_ALGORITHMS.join(', ')}` };
  if (alg !== undefined && !algorithms.includes(alg as TokenAlgorithm))
    return { problem: `alg ${String(alg)} is not among the issuer's algorithms` };
  const fits = algorithms.filter((a) => {
    const kind = keyKindOf(a);
    return kind.kty === kty && (kind.crv === undefined || kind.crv === jwk['crv']) && (alg ?? a) === a;
  });
  if (fits.length === 0)
    return {
      problem: `a ${String(kty)} key${jwk['crv'] ? ` on ${String(jwk['crv'])}` : ''} verifies none of ${algorithms.join(', ')}`,
    };
  const key: IssuerJwk = { kty: kty as string };
  if (kid !== undefined) key['kid'] = kid as string;
  if (alg !== undefined) key['alg'] = alg as string;
  if (kty === 'oct') {
    const k = jwk['k'];
    if (typeof k !== 'string' || !B64URL.test(k)) return { problem: 'an oct key needs k (base64url)' };
    const bytes = Buffer.from(k, 'base64url').length;
    const needed = Math.max(...fits.map((a) => HMAC_MIN_BYTES[a] ?? 32));
    if (bytes < needed)
      return {
        problem: `an HMAC key for ${fits.join(', ')} must be at least ${needed * 8} bits (this one is ${bytes * 8})`,
      };
    key['k'] = k;
    return { key };
  }
  if (PRIVATE_MEMBERS.some((m) => m in jwk))
    return { problem: 'give the public key only (this JWK holds private parts)' };
  for (const member of PUBLIC_MEMBERS[kty as string] ?? []) {
    const value = jwk[member];
    if (typeof value !== 'string' || (member !== 'crv' && !B64URL.test(value)))
      return { problem: `a ${String(kty)} key needs ${member}` };
    key[member] = value;
  }
  try {
    const object = createPublicKey({ key: key as never, format: 'jwk' });
    if (kty === 'RSA' && (object.asymmetricKeyDetails?.modulusLength ?? 0) < RSA_MIN_BITS)
      return { problem: `an RSA key must be at least ${RSA_MIN_BITS} bits` };
  } catch {
    return { problem: 'the key does not load (is it a valid public JWK?)' };
  }
  return { key };
}

/**
 * A key's fingerprint: the RFC 7638 thumbprint (SHA-256, base64url), cut to 16 characters. For an
 * HMAC key this is all the API ever shows of it.
 */
export function keyFingerprint(key: IssuerJwk): string {
  const members = key['kty'] === 'oct' ? ['k', 'kty'] : ['kty', ...(PUBLIC_MEMBERS[key['kty'] ?? ''] ?? [])];
  const canonical = JSON.stringify(Object.fromEntries([...members].sort().map((m) => [m, key[m]])));
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

/** What an admin declares: the issuer's name, `iss`, `aud`, algorithms and keys. */
export const TokenIssuerSettingsSchema = z
  .strictObject({
    name: NameSchema,
    /** The `iss` its tokens carry, exactly. */
    issuer: z.string().min(1).max(500),
    /** The `aud` its tokens must name (one of theirs, when they carry a list). */
    audience: z.string().min(1).max(500),
    algorithms: z.array(TokenAlgorithmSchema).min(1).max(TOKEN_ALGORITHMS.length),
    keys: z.array(TokenIssuerKeySchema).min(1).max(10),
  })
  .superRefine((settings, ctx) => {
    if (new Set(settings.algorithms).size !== settings.algorithms.length)
      ctx.addIssue({ code: 'custom', path: ['algorithms'], message: 'lists an algorithm twice' });
    if (settings.algorithms.some(isHmac) && !settings.algorithms.every(isHmac))
      ctx.addIssue({
        code: 'custom',
        path: ['algorithms'],
        message: 'an issuer signs with HMAC (HS…) or with public keys, not both: declare two issuers',
      });
    const kids = new Set<string>();
    settings.keys.forEach((jwk, i) => {
      const checked = checkIssuerKey(jwk, settings.algorithms);
      if ('problem' in checked) ctx.addIssue({ code: 'custom', path: ['keys', i], message: checked.problem });
      const kid = jwk['kid'];
      if (typeof kid === 'string') {
        if (kids.has(kid))
          ctx.addIssue({ code: 'custom', path: ['keys', i, 'kid'], message: 'two keys share this kid' });
        kids.add(kid);
      }
    });
    for (const alg of settings.algorithms)
      if (!settings.keys.some((jwk) => 'key' in checkIssuerKey(jwk, [alg])))
        ctx.addIssue({ code: 'custom', path: ['algorithms'], message: `no key verifies ${alg}` });
  });
export type TokenIssuerSettings = z.infer<typeof TokenIssuerSettingsSchema>;

/** An HMAC key as the events keep it: sealed (AES-256-GCM under RN_SECRETS_KEY), with its fingerprint. */
export const SealedIssuerKeySchema = z.strictObject({
  kid: z.string().min(1).max(200).nullable(),
  alg: TokenAlgorithmSchema.nullable(),
  fingerprint: z.string().min(1).max(100),
  sealed: z.string().min(1).max(4000),
});
export type SealedIssuerKey = z.infer<typeof SealedIssuerKeySchema>;

/** A trusted issuer as the console keeps it (the data of ResourceTokenIssuerAdded, without its id). */
export interface StoredTokenIssuer {
  name: string;
  issuer: string;
  audience: string;
  algorithms: TokenAlgorithm[];
  publicKeys: IssuerJwk[];
  secretKeys: SealedIssuerKey[];
}

/** Policy subjects for callers with a trusted issuer's token: the issuer, and the `sub`s admitted (none listed: any). */
export const TokenSubjectsSchema = z.strictObject({
  issuerId: IdSchema,
  subs: z.array(z.string().min(1).max(255)).max(1000).default([]),
});

/** A trusted issuer as the API shows it: HMAC keys only by fingerprint. */
export interface TokenIssuerView {
  id: string;
  resourceId: string;
  name: string;
  issuer: string;
  audience: string;
  algorithms: TokenAlgorithm[];
  keys: (IssuerJwk & { fingerprint: string })[];
  createdAt: string;
}

/** A trusted issuer in a site snapshot: what its gateways verify tokens with (HMAC keys included, as `k`). */
export interface SnapshotTokenIssuer {
  id: string;
  name: string;
  issuer: string;
  audience: string;
  algorithms: TokenAlgorithm[];
  keys: IssuerJwk[];
}

/** What an issuer's sealed HMAC key is bound to: the resource and the issuer (a copy elsewhere does not open). */
export const issuerKeyBinding = (resourceId: string, issuerId: string) => `${resourceId}:${issuerId}`;
