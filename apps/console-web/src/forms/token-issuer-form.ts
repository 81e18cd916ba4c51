import type { Answer, paths } from '@rustronaut/api-client';

export type TokenIssuer = Answer<'/api/v1/resources/{id}/token-issuers', 'get'>['items'][number];
export type TokenIssuerBody = NonNullable<
  paths['/api/v1/resources/{id}/token-issuers']['post']['requestBody']
>['content']['application/json'];
export type TokenAlgorithm = TokenIssuerBody['algorithms'][number];
type Jwk = TokenIssuerBody['keys'][number];

/** The algorithms an issuer may sign with: public-key ones, or HMAC ones (never both, the API says). */
export const TOKEN_ALGORITHMS = [
  'EdDSA',
  'ES256',
  'RS256',
  'HS256',
  'HS384',
  'HS512',
] as const satisfies readonly TokenAlgorithm[];

/** The add-an-issuer form's state: the keys as pasted (a JWK, a JWK set or an array of JWKs). */
export interface TokenIssuerForm {
  name: string;
  issuer: string;
  audience: string;
  algorithms: TokenAlgorithm[];
  keys: string;
}

export const newTokenIssuer = (): TokenIssuerForm => ({
  name: '',
  issuer: '',
  audience: '',
  algorithms: [],
  keys: '',
});

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The pasted keys as the JWKs to send: one JWK, a JWK set (`{"keys": [...]}`) or an array of
 * JWKs. Only the JSON is read here; whether a key fits the algorithms is the API's to say.
 */
export function jwksOf(text: string): { keys: Jwk[] } | { problem: string } {
  if (!text.trim()) return { problem: 'Paste the issuer’s public key, or its JWK set, as JSON' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { problem: 'Not JSON: paste a JWK ({"kty": …}) or a JWK set ({"keys": [...]})' };
  }
  const list = isObject(parsed) && Array.isArray(parsed['keys']) ? (parsed['keys'] as unknown[]) : parsed;
  const keys = Array.isArray(list) ? list : [list];
  if (!keys.length) return { problem: 'The JWK set holds no keys' };
  if (!keys.every(isObject)) return { problem: 'Each key must be a JSON object (a JWK)' };
  return { keys };
}

/** The body of POST …/token-issuers, or why the keys cannot be sent (shown beside the keys field). */
export function tokenIssuerBody(form: TokenIssuerForm): { body: TokenIssuerBody } | { problem: string } {
  const parsed = jwksOf(form.keys);
  if ('problem' in parsed) return parsed;
  return {
    body: {
      name: form.name.trim(),
      issuer: form.issuer.trim(),
      audience: form.audience.trim(),
      algorithms: form.algorithms,
      keys: parsed.keys,
    },
  };
}

/**
 * The API's errors about the keys as the one keys field shows them: `keys.1` (the second key) is
 * "Key 2: …" when several were sent, the message alone when one was.
 */
export function keysError(errors: Record<string, string>, sent: number): string | undefined {
  const messages = Object.entries(errors).flatMap(([field, message]) => {
    if (field === 'keys') return [message];
    const item = /^keys\.(\d+)(?:\.(.+))?$/.exec(field);
    if (!item) return [];
    const where = sent > 1 ? `Key ${Number(item[1]) + 1}${item[2] ? ` (${item[2]})` : ''}: ` : '';
    return [`${where}${!where && item[2] ? `${item[2]}: ` : ''}${message}`];
  });
  return messages.length ? messages.join('; ') : undefined;
}

/** A kept key as the list shows it: its kid (when it has one), its type and its fingerprint — never `k`. */
export const keySummary = (key: TokenIssuer['keys'][number]): string =>
  [key['kid'], key['kty'] ?? 'key', key['alg'], key.fingerprint].filter(Boolean).join(' · ');
