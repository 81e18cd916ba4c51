import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { IdentityError, IdentityErrorCode } from './errors';

/**
 * Secrets the console must use later (an identity provider's client secret) are kept sealed:
 * AES-256-GCM under the configured secrets key, bound to what they belong to (the associated data,
 * e.g. the provider's id), so a sealed value copied onto another record does not open.
 * Format: `v1.<iv>.<ciphertext+tag>` in base64url.
 */
export function sealSecret(key: Buffer | undefined, secret: string, boundTo: string): string {
  const k = requireKey(key);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', k, iv);
  cipher.setAAD(Buffer.from(boundTo));
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `v1.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
}

export function openSecret(key: Buffer | undefined, sealed: string, boundTo: string): string {
  const k = requireKey(key);
  const [version, iv, body] = sealed.split('.');
  const data = Buffer.from(body ?? '', 'base64url');
  if (version !== 'v1' || !iv || data.length < 16) throw unreadable();
  try {
    const decipher = createDecipheriv('aes-256-gcm', k, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(boundTo));
    decipher.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw unreadable();
  }
}

function requireKey(key: Buffer | undefined): Buffer {
  if (!key)
    throw new IdentityError(
      IdentityErrorCode.SecretsKeyMissing,
      'the console has no secrets key: set RN_SECRETS_KEY (32 random bytes in base64) on the identity service',
    );
  return key;
}

const unreadable = () =>
  new IdentityError(
    IdentityErrorCode.SecretsKeyMissing,
    'a sealed secret does not open with this RN_SECRETS_KEY (was the key changed?): set the client secret again',
  );
