import { accessSecretMatches, hashAccessSecret } from './access-secrets';

describe('access secrets (resource PIN / password)', () => {
  it('stores a salted scrypt hash that matches the secret and nothing else', async () => {
    const stored = await hashAccessSecret('482913');
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(stored).not.toContain('482913');
    expect(await accessSecretMatches('482913', stored)).toBe(true);
    expect(await accessSecretMatches('482914', stored)).toBe(false);
    expect(await hashAccessSecret('482913')).not.toBe(stored); // salted
    expect(await accessSecretMatches('482913', 'md5$abc')).toBe(false);
  });
});
