import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  type KeyObject,
} from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Caller } from '../../model';

/** How long an assertion is valid, and how long the gateway reuses one it signed. */
export const ASSERTION_TTL_S = 60;
const REUSE_MS = 30_000;

/**
 * The gateway's own signing key (Ed25519, in its data dir), used to sign `X-Rustronaut-Assertion`:
 * a short JWT saying who the caller is, for which resource, signed by which gateway, so an upstream
 * can check a request came through us (the public keys are at `/.rustronaut/jwks.json`). Signing is
 * synchronous (node:crypto), and an assertion is reused for half its life, so the hot path rarely signs.
 */
export class AssertionKey {
  readonly #header: string;

  private constructor(
    readonly gatewayId: string,
    readonly kid: string,
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
  ) {
    this.#header = b64url(JSON.stringify({ alg: 'EdDSA', typ: 'JWT', kid }));
  }

  /** The key in `<dataDir>/assertion-key.pem`, made on first use. */
  static async load(dataDir: string, gatewayId: string): Promise<AssertionKey> {
    const path = join(dataDir, 'assertion-key.pem');
    let pem: string;
    try {
      pem = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      await mkdir(dataDir, { recursive: true });
      await writeFile(path, pem, { mode: 0o600 });
    }
    return AssertionKey.#of(gatewayId, createPrivateKey(pem));
  }

  /** A key that lives as long as the process, never written to disk (tests, tools/bench). */
  static ephemeral(gatewayId: string): AssertionKey {
    return AssertionKey.#of(gatewayId, generateKeyPairSync('ed25519').privateKey);
  }

  static #of(gatewayId: string, privateKey: KeyObject): AssertionKey {
    const publicKey = createPublicKey(privateKey);
    const der = publicKey.export({ type: 'spki', format: 'der' });
    const kid = `gw-${createHash('sha256').update(der).digest('base64url').slice(0, 16)}`;
    return new AssertionKey(gatewayId, kid, privateKey, publicKey);
  }

  /** The public key set an upstream verifies assertions with. */
  jwks(): { keys: Record<string, unknown>[] } {
    return {
      keys: [{ ...this.publicKey.export({ format: 'jwk' }), kid: this.kid, alg: 'EdDSA', use: 'sig' }],
    };
  }

  sign(caller: Caller, resourceId: string, nowMs: number): SignedAssertion {
    const iat = Math.floor(nowMs / 1000);
    const payload = b64url(
      JSON.stringify({
        iss: this.gatewayId,
        aud: resourceId,
        // A trusted issuer's machine: `sub` is qualified by the issuer (a ':' no console user id
        // has), so an upstream reading `sub` can never take it for a console user.
        ...(caller.issuerId === undefined
          ? { sub: caller.id, email: caller.email, groups: caller.groups }
          : { sub: `${caller.issuerId}:${caller.id}`, token_issuer: caller.issuerId, token_sub: caller.id }),
        iat,
        exp: iat + ASSERTION_TTL_S,
      }),
    );
    const input = `${this.#header}.${payload}`;
    const signature = sign(null, Buffer.from(input), this.privateKey).toString('base64url');
    return { jwt: `${input}.${signature}`, renewAt: nowMs + REUSE_MS };
  }
}

export interface SignedAssertion {
  jwt: string;
  /** After this (epoch ms) a new one is signed rather than reusing this one. */
  renewAt: number;
}

function b64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}
