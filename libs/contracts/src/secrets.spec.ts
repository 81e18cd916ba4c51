import { hashSecret, issueSecret, parseSecret, secretMatches } from './secrets';

describe('bearer secrets', () => {
  it('issues a token that parses back to its id and matches only its own hash', () => {
    const sut = issueSecret('rnk', 'key_abc123');
    expect(sut.token).toMatch(/^rnk_key_abc123_[A-Za-z0-9_-]{43}$/);
    const parsed = parseSecret('rnk', sut.token);
    expect(parsed?.id).toBe('key_abc123');
    expect(secretMatches(parsed!.secret, sut.hash)).toBe(true);
    expect(secretMatches(parsed!.secret, hashSecret('something else'))).toBe(false);
  });

  it('refuses tokens of the other kind or of the wrong shape', () => {
    const refresh = issueSecret('rnr', 'ses_x1');
    expect(parseSecret('rnk', refresh.token)).toBeUndefined();
    expect(parseSecret('rnr', `${refresh.token}x`)).toBeUndefined();
    expect(parseSecret('rnr', 'rnr_ses_x1_short')).toBeUndefined();
  });
});
