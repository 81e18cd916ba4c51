import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Secrets the console must use later (an identity provider's client secret, a token issuer's HMAC
 * key) are kept sealed: AES-256-GCM under the configured secrets key (RN_SECRETS_KEY), bound to
 * what they belong to (the associated data, e.g. the provider's id), so a sealed value copied onto
 * another record does not open. Format: `v1.<iv>.<ciphertext+tag>` in base64url.
 */
export function sealSecret(key: Buffer, secret: string, boundTo: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(boundTo));
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `v1.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
}

/** The sealed secret, or undefined when it does not open with this key and binding. */
export function openSecret(key: Buffer, sealed: string, boundTo: string): string | undefined {
  const [version, iv, body] = sealed.split('.');
  const data = Buffer.from(body ?? '', 'base64url');
  if (version !== 'v1' || !iv || data.length < 16) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(boundTo));
    decipher.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    return undefined;
  }
}
