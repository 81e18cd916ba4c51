import { createHash } from 'node:crypto';
import { pickProvider, pkcePair } from './sso-login';

const corp = { id: 'idp_1', name: 'Corp SSO', start_url: '/api/v1/auth/oidc/idp_1/start' };
const other = { id: 'idp_2', name: 'Partners', start_url: '/api/v1/auth/oidc/idp_2/start' };

describe('pickProvider', () => {
  it('takes the only provider, or the one named by id or name (any case)', () => {
    expect(pickProvider([corp], undefined)).toBe(corp);
    expect(pickProvider([corp, other], 'partners')).toBe(other);
    expect(pickProvider([corp, other], 'idp_1')).toBe(corp);
  });

  it('says what to do when it cannot choose', () => {
    expect(() => pickProvider([], undefined)).toThrow(/no identity provider/);
    expect(() => pickProvider([corp, other], undefined)).toThrow(/2 identity providers/);
    expect(() => pickProvider([corp, other], 'nope')).toThrow(/no identity provider "nope"/);
  });
});

describe('pkcePair', () => {
  it('makes an S256 challenge of a fresh 43-character verifier (RFC 7636)', () => {
    const a = pkcePair();
    expect(a.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.challenge).toBe(createHash('sha256').update(a.verifier).digest('base64url'));
    expect(pkcePair().verifier).not.toBe(a.verifier);
  });
});
