import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { WireGuardError, WireGuardErrorCode } from './errors';

/** A WireGuard key as its tools write it: 32 bytes in standard base64 (44 characters, one `=`). */
export type WireGuardKey = string;

export interface WireGuardKeyPair {
  privateKey: WireGuardKey;
  publicKey: WireGuardKey;
}

const KEY_TEXT = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
/** The PKCS#8 prefix of an X25519 private key: node:crypto takes the raw 32 bytes after it. */
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** True for 44-character base64 of exactly 32 bytes (what `wg genkey` / `wg pubkey` print). */
export function isWireGuardKey(value: unknown): value is WireGuardKey {
  return typeof value === 'string' && KEY_TEXT.test(value);
}

/** The 32 bytes of a key; a clear error for anything else. */
export function keyBytes(key: string, what = 'key'): Buffer {
  if (!isWireGuardKey(key)) {
    throw new WireGuardError(
      WireGuardErrorCode.InvalidKey,
      `${what} is not a WireGuard key (44 characters of base64, such as \`wg genkey\` prints)`,
    );
  }
  return Buffer.from(key, 'base64');
}

/** A new X25519 key pair, the private key clamped as `wg genkey` does. */
export function generateKeyPair(): WireGuardKeyPair {
  const raw = randomBytes(32);
  raw[0] = raw[0]! & 248;
  raw[31] = (raw[31]! & 127) | 64;
  const privateKey = raw.toString('base64');
  return { privateKey, publicKey: publicKeyOf(privateKey) };
}

/** The public key of a private key (what `wg pubkey` prints). */
export function publicKeyOf(privateKey: WireGuardKey): WireGuardKey {
  const raw = keyBytes(privateKey, 'private key');
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_X25519, raw]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return spki.subarray(spki.length - 32).toString('base64');
}

/** base64 → the lower-case hex the UAPI speaks. */
export const keyToHex = (key: WireGuardKey): string => keyBytes(key).toString('hex');

/** UAPI hex → base64; undefined when it is not 64 hex digits. */
export function hexToKey(hex: string): WireGuardKey | undefined {
  if (!/^[0-9a-f]{64}$/i.test(hex)) return undefined;
  return Buffer.from(hex, 'hex').toString('base64');
}
