import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

/** A CA certificate as clients pin it: the PEM, and its SHA-256 fingerprint (`AB:CD:…`, as openssl prints it). */
export interface PinnedCa {
  pem: string;
  sha256: string;
}

/**
 * The gateways' development CA, read from its file when asked (the gateway may make it after the
 * console starts) and kept until the file changes. No file, or one that is not a CA certificate,
 * means no development CA: clients then trust the system's roots only.
 */
export class DevelopmentCa {
  #cached: { mtimeMs: number; ca: PinnedCa | undefined } | undefined;

  constructor(private readonly file: string | undefined) {}

  current(): PinnedCa | undefined {
    if (!this.file) return undefined;
    let mtimeMs: number;
    try {
      mtimeMs = statSync(this.file).mtimeMs;
    } catch {
      return undefined;
    }
    if (this.#cached?.mtimeMs === mtimeMs) return this.#cached.ca;
    const ca = caOf(readFileSync(this.file, 'utf8'));
    this.#cached = { mtimeMs, ca };
    return ca;
  }
}

/** The first certificate of a PEM text, when it is a CA's. */
export function caOf(text: string): PinnedCa | undefined {
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text)?.[0];
  if (!pem) return undefined;
  try {
    const certificate = new X509Certificate(pem);
    return certificate.ca ? { pem: `${pem}\n`, sha256: certificate.fingerprint256 } : undefined;
  } catch {
    return undefined;
  }
}
