import { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Logger } from '@rustronaut/observability';
import { CertificateStore, type CertificateSource, type StoredCertificate } from './certificate-store';
import type { LocalCa } from './local-ca';
import { needsRenewal } from './renewal';

/** At most this many on-demand local-CA leaves are kept (a wildcard resource has unbounded hosts). */
const LOCAL_CACHE = 1024;

/** A PEM certificate (chain) and key, as a stored certificate under the names the leaf covers. */
export function storedCertificate(
  cert: string,
  key: string,
  source: CertificateSource,
  names?: string[],
): StoredCertificate {
  const leaf = new X509Certificate(cert);
  return {
    context: createSecureContext({ cert, key }),
    pem: { cert, key },
    source,
    names: names ?? namesOf(leaf),
    notBefore: new Date(leaf.validFrom),
    notAfter: new Date(leaf.validTo),
    serial: leaf.serialNumber,
  };
}

/** The DNS names of a certificate: its subjectAltName entries, else its CN. */
export function namesOf(leaf: X509Certificate): string[] {
  const alt = (leaf.subjectAltName ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e.startsWith('DNS:'))
    .map((e) => e.slice(4).toLowerCase());
  if (alt.length) return alt;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(leaf.subject)?.[1];
  return cn ? [cn.toLowerCase()] : [];
}

export interface TlsCertificatesOptions {
  localCa: LocalCa;
  /** Hosts under it get a local-CA certificate even when no resource names them (`app.localhost`). */
  baseDomain: string;
  /** Whether some resource is published at this host. */
  serves: (host: string) => boolean;
  /** RN_GATEWAY_TLS_CERT/KEY: served for the names they cover, and as the default certificate. */
  files?: { cert: string; key: string } | undefined;
  logger: Logger;
}

/**
 * Which certificate a TLS handshake gets (the SNI callback): the store's certificate for the name
 * (ACME, then files), else — for a host this gateway serves or one under the base domain — a leaf
 * the local CA issues on demand, else the default certificate (and the request then gets 421).
 */
export class TlsCertificates {
  readonly store = new CertificateStore();
  readonly #pending = new Map<string, Promise<StoredCertificate>>();
  #default!: StoredCertificate;

  private constructor(private readonly options: TlsCertificatesOptions) {}

  static async create(options: TlsCertificatesOptions): Promise<TlsCertificates> {
    const certificates = new TlsCertificates(options);
    if (options.files) {
      let fromFiles: StoredCertificate;
      try {
        fromFiles = storedCertificate(options.files.cert, options.files.key, 'file');
      } catch (error) {
        throw new Error(
          `RN_GATEWAY_TLS_CERT/RN_GATEWAY_TLS_KEY cannot be served: ${(error as Error).message} (a PEM certificate chain and its own private key are needed)`,
        );
      }
      certificates.store.put(fromFiles);
      certificates.#default = fromFiles;
    } else {
      const issued = await options.localCa.kept(options.baseDomain);
      certificates.#default = storedCertificate(issued.cert, issued.key, 'local-ca', [options.baseDomain]);
      certificates.store.put(certificates.#default);
    }
    return certificates;
  }

  /** The certificate and key a handshake without SNI gets. */
  get defaultCertificate(): StoredCertificate {
    return this.#default;
  }

  /** For `tls.createServer({ SNICallback })`. */
  readonly sniCallback = (
    serverName: string,
    done: (error: Error | null, context?: SecureContext) => void,
  ) => {
    const name = serverName.toLowerCase().replace(/\.$/, '');
    const held = this.store.select(name);
    if (held && (held.source !== 'local-ca' || !needsRenewal(held.notBefore, held.notAfter, new Date())))
      return done(null, held.context);
    if (!this.#eligible(name)) return done(null, held?.context ?? this.#default.context);
    this.#issueLocally(name).then(
      (issued) => done(null, issued.context),
      (error: unknown) => {
        this.options.logger.error({ err: error, host: name }, 'the local CA could not issue a certificate');
        done(null, held?.context ?? this.#default.context);
      },
    );
  };

  #eligible(name: string): boolean {
    const base = this.options.baseDomain;
    return name === base || name.endsWith(`.${base}`) || this.options.serves(name);
  }

  #issueLocally(name: string): Promise<StoredCertificate> {
    let pending = this.#pending.get(name);
    if (!pending) {
      pending = this.options.localCa
        .issue(name)
        .then((issued) => {
          const stored = storedCertificate(issued.cert, issued.key, 'local-ca', [name]);
          this.store.put(stored);
          this.store.trim('local-ca', LOCAL_CACHE);
          return stored;
        })
        .finally(() => this.#pending.delete(name));
      this.#pending.set(name, pending);
    }
    return pending;
  }
}
