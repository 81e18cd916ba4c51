import type { SecureContext } from 'node:tls';

/** Where a served certificate came from, for logs and for which source may replace which. */
export type CertificateSource = 'acme' | 'file' | 'local-ca';

export interface StoredCertificate {
  context: SecureContext;
  /** The PEM chain and key, for a server's default (no-SNI) certificate. */
  pem: { cert: string; key: string };
  source: CertificateSource;
  /** The names it was stored under (`app.company.com`, `*.company.com`). */
  names: string[];
  notBefore: Date;
  notAfter: Date;
  /** The leaf's serial number (hex), for logs. */
  serial: string;
}

/** A stronger source is not replaced by a weaker one: an ACME certificate outranks a file's and the local CA's. */
const RANK: Record<CertificateSource, number> = { acme: 3, file: 2, 'local-ca': 1 };

/**
 * The certificates the HTTPS listener serves, keyed by host: an exact name first, then the
 * wildcard one label up (`*.company.com` covers `app.company.com`, not `a.b.company.com`). A
 * renewal replaces the entry, and the next handshake gets the new SecureContext — no restart.
 */
export class CertificateStore {
  readonly #exact = new Map<string, StoredCertificate>();
  readonly #wildcard = new Map<string, StoredCertificate>();

  /** Stores a certificate under each of its names, unless a stronger source already holds that name. */
  put(certificate: StoredCertificate): void {
    for (const raw of certificate.names) {
      const name = raw.toLowerCase();
      const [table, key] = name.startsWith('*.') ? [this.#wildcard, name.slice(2)] : [this.#exact, name];
      const held = table.get(key);
      if (held && RANK[held.source] > RANK[certificate.source]) continue;
      table.set(key, certificate);
    }
  }

  /** Forgets what a source stored under a name (a domain no resource uses any more). */
  remove(name: string, source: CertificateSource): void {
    const [table, key] = name.startsWith('*.') ? [this.#wildcard, name.slice(2)] : [this.#exact, name];
    if (table.get(key)?.source === source) table.delete(key);
  }

  /** The certificate for a TLS server name: exact, then wildcard; undefined when none covers it. */
  select(serverName: string): StoredCertificate | undefined {
    const name = serverName.toLowerCase().replace(/\.$/, '');
    const exact = this.#exact.get(name);
    if (exact) return exact;
    const dot = name.indexOf('.');
    return dot === -1 ? undefined : this.#wildcard.get(name.slice(dot + 1));
  }

  /** Every certificate it holds, once each (one stored under several names is one). */
  served(): StoredCertificate[] {
    return [...new Set([...this.#exact.values(), ...this.#wildcard.values()])];
  }

  /** How many names hold a certificate of a source (the local CA's cache is bounded with it). */
  count(source: CertificateSource): number {
    let n = 0;
    for (const c of this.#exact.values()) if (c.source === source) n++;
    return n;
  }

  /** Drops the oldest-inserted exact entries of a source beyond `keep` (a bounded on-demand cache). */
  trim(source: CertificateSource, keep: number): void {
    let excess = this.count(source) - keep;
    for (const [name, c] of this.#exact) {
      if (excess <= 0) break;
      if (c.source === source) {
        this.#exact.delete(name);
        excess--;
      }
    }
  }
}
