import { CredentialCache } from './credential-cache';
import type { VerifiedIdentity } from './token-verifier';

const identity = (userId: string): VerifiedIdentity => ({
  userId,
  email: `${userId}@example.com`,
  role: 'member',
  orgId: 'org_1',
  expiresAt: Date.now() + 60_000,
});

describe('CredentialCache', () => {
  it('keeps at most its capacity, dropping the least recently used', () => {
    const sut = new CredentialCache(2);
    sut.set('a', identity('a'), 'token');
    sut.set('b', identity('b'), 'token');
    expect(sut.get('a')?.identity.userId).toBe('a'); // a is now the most recent
    sut.set('c', identity('c'), 'token');
    expect(sut.size).toBe(2);
    expect(sut.get('b')).toBeUndefined();
    expect(sut.get('a')?.identity.userId).toBe('a');
    expect(sut.get('c')?.identity.userId).toBe('c');
  });

  it('forgets everything when cleared (a snapshot changed)', () => {
    const sut = new CredentialCache();
    sut.set('a', identity('a'), 'sso');
    sut.clear();
    expect(sut.get('a')).toBeUndefined();
  });
});
