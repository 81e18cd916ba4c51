import {
  X509Certificate,
  createHash,
  createPrivateKey,
  generateKeyPair,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import {
  bitString,
  boolean,
  children,
  directoryString,
  explicit,
  objectIdentifier,
  octetString,
  readElement,
  sequence,
  set,
  smallInteger,
  time,
  tlv,
  unsignedInteger,
} from './der';
import { needsRenewal } from './renewal';

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

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
};

const newKeyPair = async () =>
  promisify(generateKeyPair)('ec', { namedCurve: 'P-256' }) as Promise<{
    publicKey: KeyObject;
    privateKey: KeyObject;
  }>;

const privateKeyPem = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();

function certificatePem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----`;
}

/** A Name (RDNSequence) of one attribute per RDN, in this order. */
const distinguishedName = (...attributes: [oid: string, value: string][]) =>
  sequence(...attributes.map(([oid, value]) => set(sequence(objectIdentifier(oid), directoryString(value)))));

const extension = (oid: string, critical: boolean, value: Buffer) =>
  sequence(objectIdentifier(oid), ...(critical ? [boolean(true)] : []), octetString(value));

/** RFC 5280 §4.2.1.2 (1): the SHA-1 of the subjectPublicKey bits (as the CAs made before did). */
function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = readElement(publicKey.export({ type: 'spki', format: 'der' }));
  const bits = children(spki)[1];
  if (!bits) throw new Error('a public key without its bits');
  return createHash('sha1').update(bits.contents.subarray(1)).digest();
}

/** The subject Name of a certificate, as its own bytes (a leaf's issuer must be exactly these). */
function subjectOf(certificate: X509Certificate): Buffer {
  const tbs = children(readElement(certificate.raw))[0];
  const fields = tbs ? children(tbs) : [];
  const subject = fields[fields[0]?.tag === 0xa0 ? 5 : 4];
  if (!subject) throw new Error('a certificate without a subject');
  return subject.bytes;
}

/** A random positive serial number of 16 bytes. */
function serialNumber(): Buffer {
  const serial = randomBytes(16);
  serial[0] = serial.readUInt8(0) & 0x7f || 1;
  return serial;
}

/** An X.509 v3 certificate signed with ECDSA P-256 / SHA-256, as PEM. */
function signedCertificate(fields: {
  issuer: Buffer;
  subject: Buffer;
  notBefore: Date;
  notAfter: Date;
  publicKey: KeyObject;
  extensions: Buffer[];
  signingKey: KeyObject;
}): string {
  const algorithm = sequence(objectIdentifier(OID.ecdsaWithSha256));
  const tbs = sequence(
    explicit(0, smallInteger(2)),
    unsignedInteger(serialNumber()),
    algorithm,
    fields.issuer,
    sequence(time(fields.notBefore), time(fields.notAfter)),
    fields.subject,
    fields.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...fields.extensions)),
  );
  const signature = sign('sha256', tbs, { key: fields.signingKey, dsaEncoding: 'der' });
  return certificatePem(sequence(tbs, algorithm, bitString(signature)));
}

/**
 * A development certificate authority that lives in the gateway's data directory: its key and
 * certificate are made once (`tls/ca.key`, `tls/ca.crt`), and it issues a leaf certificate for a
 * host on demand. A developer who trusts `tls/ca.crt` gets valid HTTPS for `app.localhost`.
 */
export class LocalCa {
  #certificate: X509Certificate | undefined;

  private constructor(
    readonly certPath: string,
    readonly certPem: string,
    private readonly privateKey: KeyObject,
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
      return new LocalCa(certPath, certPem, createPrivateKey(keyPem));
    }
    const keys = await newKeyPair();
    const now = Date.now();
    const name = distinguishedName(
      [OID.commonName, `Rustronaut development CA ${randomBytes(3).toString('hex')}`],
      [OID.organization, 'Rustronaut'],
    );
    const certPem = signedCertificate({
      issuer: name,
      subject: name,
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 10 * 365 * DAY),
      publicKey: keys.publicKey,
      signingKey: keys.privateKey,
      extensions: [
        extension(OID.basicConstraints, true, sequence(boolean(true), smallInteger(0))),
        extension(OID.keyUsage, true, bitString(Buffer.from([0x06]), 1)), // keyCertSign, cRLSign
        extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(keys.publicKey))),
      ],
    });
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(keyPath, privateKeyPem(keys.privateKey), { mode: 0o600, flag: 'wx' });
    await writeFile(certPath, certPem, { flag: 'wx' });
    return new LocalCa(certPath, certPem, keys.privateKey);
  }

  /**
   * The leaf for `host` kept in the data directory (`tls/leaf-<host>.crt` and `.key`): re-used
   * across restarts while this CA signed it and it is not due for renewal, else issued and kept.
   * The gateway's default certificate comes from here, so a restart signs nothing.
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
    const ca = (this.#certificate ??= new X509Certificate(this.certPem));
    const keys = await newKeyPair();
    const now = Date.now();
    const notBefore = new Date(now - 3600_000);
    const notAfter = new Date(now + LOCAL_LEAF_LIFETIME_MS);
    const leaf = signedCertificate({
      issuer: subjectOf(ca),
      subject: distinguishedName([OID.commonName, host]),
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      signingKey: this.privateKey,
      extensions: [
        extension(OID.basicConstraints, true, sequence()),
        extension(OID.keyUsage, true, bitString(Buffer.from([0x80]), 7)), // digitalSignature
        extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.serverAuth))),
        extension(OID.subjectAltName, false, sequence(tlv(0x82, Buffer.from(host, 'ascii')))), // dNSName
        extension(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, keyIdentifier(ca.publicKey)))),
      ],
    });
    return { cert: `${leaf}\n${this.certPem}\n`, key: privateKeyPem(keys.privateKey), notBefore, notAfter };
  }
}
