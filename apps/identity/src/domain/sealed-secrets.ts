import { openSecret as open, sealSecret as seal } from '@rustronaut/contracts';
import { IdentityError, IdentityErrorCode } from './errors';

/** A secret sealed under RN_SECRETS_KEY (see contracts' sealed-secrets), or a clear error without the key. */
export function sealSecret(key: Buffer | undefined, secret: string, boundTo: string): string {
  return seal(requireKey(key), secret, boundTo);
}

export function openSecret(key: Buffer | undefined, sealed: string, boundTo: string): string {
  const secret = open(requireKey(key), sealed, boundTo);
  if (secret === undefined) throw unreadable();
  return secret;
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
