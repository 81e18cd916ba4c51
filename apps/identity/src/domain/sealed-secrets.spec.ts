import { randomBytes, randomInt } from 'node:crypto';
import { openSecret, sealSecret } from './sealed-secrets';

describe('sealed secrets', () => {
  const key = randomBytes(32);

  it('opens what it sealed, for what it was bound to', () => {
    const sealed = sealSecret(key, 'client-secret-ü', 'idp_1');
    expect(sealed).not.toContain('client-secret');
    expect(openSecret(key, sealed, 'idp_1')).toBe('client-secret-ü');
    expect(sealSecret(key, 'same', 'idp_1')).not.toBe(sealSecret(key, 'same', 'idp_1'));
  });

  it('refuses another key, another record, no key, and any tampering', () => {
    const sealed = sealSecret(key, 's3cret', 'idp_1');
    expect(() => openSecret(randomBytes(32), sealed, 'idp_1')).toThrow(/does not open/);
    expect(() => openSecret(key, sealed, 'idp_2')).toThrow(/does not open/);
    expect(() => openSecret(undefined, sealed, 'idp_1')).toThrow(/RN_SECRETS_KEY/);
    expect(() => sealSecret(undefined, 's', 'idp_1')).toThrow(/RN_SECRETS_KEY/);
    for (let i = 0; i < 300; i++) {
      const chars = [...sealed];
      const at = randomInt(chars.length);
      const replacement = 'Aa0_-.'[randomInt(6)]!;
      if (chars[at] === replacement) continue;
      chars[at] = replacement;
      let opened: string | undefined;
      try {
        opened = openSecret(key, chars.join(''), 'idp_1');
      } catch (error) {
        expect((error as { code: string }).code).toBe('IDENTITY_SECRETS_KEY_MISSING');
      }
      // base64url has a few spellings of the same last bits: those may open, to the same secret only.
      if (opened !== undefined) expect(opened).toBe('s3cret');
    }
  });
});
