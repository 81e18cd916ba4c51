import { Secret, TOTP } from 'otpauth';

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export function totpUrl(secret: string, account: string): string {
  return new TOTP({ issuer: 'Rustronaut', label: account, secret: Secret.fromBase32(secret) }).toString();
}

/** Accepts the current code and the ones 30 s either side (clock drift). */
export function totpCodeValid(secret: string, code: string, now = Date.now()): boolean {
  return (
    new TOTP({ secret: Secret.fromBase32(secret) }).validate({ token: code, window: 1, timestamp: now }) !==
    null
  );
}

export function totpCode(secret: string, now = Date.now()): string {
  return new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: now });
}
