import { X509Certificate, randomBytes, webcrypto } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type * as X509 from '@peculiar/x509';
import { needsRenewal } from './renewal';

/** The library's own names for WebCrypto types (the DOM lib is not loaded in a Node project). */
type X509Crypto = Parameters<typeof X509.cryptoProvider.set>[0];
type X509Keys = X509.X509CertificateCreateSelfSignedParams['keys'];
type X509Key = X509.X509CertificateCreateWithKeyParams['signingKey'];

let x509Library: typeof X509 | undefined;
/**
 * @peculiar/x509 (about 16 MB resident with reflect-metadata and its ASN.1 schemas) is loaded when a
 * certificate is first made — the CA on a first start, a leaf on the first handshake for a host —
 * not by a gateway at rest that reopens its CA.
 */
function lib(): typeof X509 {
  if (!x509Library) {
    require('reflect-metadata'); // @peculiar/x509 needs it (tsyringe)
    x509Library = require('@peculiar/x509') as typeof X509;
    x509Library.cryptoProvider.set(webcrypto as unknown as X509Crypto);
  }
  return x509Library;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;
/** Leaf certificates live 30 days (re-issued once two thirds have passed, see renewal.ts). */
export const LOCAL_LEAF_LIFETIME_MS = 30 * DAY;

export interface IssuedCertificate {
  /** PEM: the leaf, then the CA. */
  cert: string;
  /** PEM PKCS#8. */
  key: string;
  notBefore: Date;
  notAfter: Date;
}

function keyToPem(pkcs8: ArrayBuffer): string {
  const lines =
    Buffer.from(pkcs8)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/**
 * A development certificate authority that lives in the gateway's data directory: its key and
 * certificate are made once (`tls/ca.key`, `tls/ca.crt`), and it issues a leaf certificate for a
 * host on demand. A developer who trusts `tls/ca.crt` gets valid HTTPS for `app.localhost`.
 */
export class LocalCa {
  #certificate: X509.X509Certificate | undefined;

  private constructor(
    readonly certPath: string,
    readonly certPem: string,
    private readonly privateKey: webcrypto.CryptoKey,
  ) {}

  /** Loads the CA from `<dataDir>/tls`, creating it on first use. */
  static async open(dataDir: string): Promise<LocalCa> {
    const dir = join(dataDir, 'tls');
    const certPath = join(dir, 'ca.crt');
    const keyPath = join(dir, 'ca.key');
    const existing = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      },
    );
    if (existing) {
      const [certPem, keyPem] = existing;
      const key = await webcrypto.subtle.importKey('pkcs8', pemToDer(keyPem), ALGORITHM, false, ['sign']);
      return new LocalCa(certPath, certPem, key);
    }
    const x509 = lib();
    const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
    const now = Date.now();
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomBytes(16)
        .toString('hex')
        .replace(/^[89a-f]/, '1'),
      name: `CN=Rustronaut development CA ${randomBytes(3).toString('hex')}, O=Rustronaut`,
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 10 * 365 * DAY),
      signingAlgorithm: ALGORITHM,
      keys: keys as unknown as X509Keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as unknown as X509Key),
      ],
    });
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
    await writeFile(keyPath, keyToPem(pkcs8), { mode: 0o600, flag: 'wx' });
    await writeFile(certPath, certificate.toString('pem'), { flag: 'wx' });
    const ca = new LocalCa(certPath, certificate.toString('pem'), keys.privateKey);
    ca.#certificate = certificate;
    return ca;
  }

  /**
   * The leaf for `host` kept in the data directory (`tls/leaf-<host>.crt` and `.key`): re-used
   * across restarts while this CA signed it and it is not due for renewal, else issued and kept.
   * The gateway's default certificate comes from here, so a restart does not load @peculiar/x509.
   */
  async kept(host: string, now = new Date()): Promise<IssuedCertificate> {
    if (!/^[a-z0-9][a-z0-9.-]*$/.test(host)) return this.issue(host);
    const base = join(dirname(this.certPath), `leaf-${host}`);
    const held = await Promise.all([readFile(`${base}.crt`, 'utf8'), readFile(`${base}.key`, 'utf8')]).catch(
      () => undefined,
    );
    if (held) {
      const [cert, key] = held;
      const leaf = new X509Certificate(cert);
      const ca = new X509Certificate(this.certPem);
      const notBefore = new Date(leaf.validFrom);
      const notAfter = new Date(leaf.validTo);
      if (leaf.checkIssued(ca) && leaf.verify(ca.publicKey) && !needsRenewal(notBefore, notAfter, now))
        return { cert, key, notBefore, notAfter };
    }
    const issued = await this.issue(host);
    // Written aside and renamed, so another process of the gateway never reads half a file.
    const suffix = `.${process.pid}.${randomBytes(4).toString('hex')}`;
    await writeFile(`${base}.key${suffix}`, issued.key, { mode: 0o600 });
    await writeFile(`${base}.crt${suffix}`, issued.cert);
    await rename(`${base}.key${suffix}`, `${base}.key`);
    await rename(`${base}.crt${suffix}`, `${base}.crt`);
    return issued;
  }

  /** A leaf certificate for one host name, signed by this CA. */
  async issue(host: string): Promise<IssuedCertificate> {
    const x509 = lib();
    const certificate = (this.#certificate ??= new x509.X509Certificate(this.certPem));
    const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
    const now = Date.now();
    const notBefore = new Date(now - 3600_000);
    const notAfter = new Date(now + LOCAL_LEAF_LIFETIME_MS);
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: randomBytes(16)
        .toString('hex')
        .replace(/^[89a-f]/, '1'),
      subject: `CN=${host}`,
      issuer: certificate.subject,
      notBefore,
      notAfter,
      signingAlgorithm: ALGORITHM,
      publicKey: keys.publicKey as unknown as X509Key,
      signingKey: this.privateKey as unknown as X509Key,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: host }]),
        await x509.AuthorityKeyIdentifierExtension.create(certificate),
      ],
    });
    const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
    return { cert: `${leaf.toString('pem')}\n${this.certPem}\n`, key: keyToPem(pkcs8), notBefore, notAfter };
  }
}
