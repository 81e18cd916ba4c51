import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * rnk: API key, rnr: refresh token, rng: gateway enrolment token, rnt: tunnel token of an exposed
 * service, rnc: connector token of a site.
 */
export type SecretPrefix = 'rnk' | 'rnr' | 'rng' | 'rnt' | 'rnc';

/**
 * Bearer secrets of the form `<prefix>_<id>_<secret>`: API keys (`rnk`), refresh tokens (`rnr`) and
 * gateway enrolment tokens (`rng`). The id finds the record; only a SHA-256 of the 256-bit secret is stored (a slow hash
 * adds nothing for a random secret of this size).
 */
export function issueSecret(prefix: SecretPrefix, id: string): { token: string; hash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { token: `${prefix}_${id}_${secret}`, hash: hashSecret(secret) };
}

export function parseSecret(prefix: SecretPrefix, token: string): { id: string; secret: string } | undefined {
  const match = new RegExp(`^${prefix}_((?:[a-z]+_)?[A-Za-z0-9]+)_([A-Za-z0-9_-]{43})$`).exec(token);
  const [, id, secret] = match ?? [];
  return id && secret ? { id, secret } : undefined;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret));
  const b = Buffer.from(storedHash);
  return a.length === b.length && timingSafeEqual(a, b);
}
