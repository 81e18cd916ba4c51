/** The algorithms a trusted token issuer may sign with (see token-issuers.ts). */
export const TOKEN_ALGORITHMS = ['EdDSA', 'ES256', 'RS256', 'HS256', 'HS384', 'HS512'] as const;

/** The key type (and curve) an algorithm needs: a token's `alg` only ever picks a key of its kind. */
export function keyKindOf(alg: (typeof TOKEN_ALGORITHMS)[number]): { kty: string; crv?: string } {
  switch (alg) {
    case 'EdDSA':
      return { kty: 'OKP', crv: 'Ed25519' };
    case 'ES256':
      return { kty: 'EC', crv: 'P-256' };
    case 'RS256':
      return { kty: 'RSA' };
    default:
      return { kty: 'oct' };
  }
}
