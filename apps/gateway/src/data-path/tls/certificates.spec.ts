import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import { createLogger } from '@rustronaut/observability';
import { LocalCa } from './local-ca';
import { TlsCertificates, storedCertificate } from './certificates';

/** Which certificate the SNI callback hands out, with a real development CA in a temporary directory. */
describe('TlsCertificates (SNI selection)', () => {
  let dir: string;
  let ca: LocalCa;
  let certificates: TlsCertificates;
  const served = new Set(['app.company.com']);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rn-certs-'));
    ca = await LocalCa.open(dir);
    certificates = await TlsCertificates.create({
      localCa: ca,
      baseDomain: 'localhost',
      serves: (host) => served.has(host),
      logger: createLogger('test', 'silent'),
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const select = (name: string) =>
    new Promise<SecureContext | undefined>((resolve, reject) =>
      certificates.sniCallback(name, (error, context) => (error ? reject(error) : resolve(context))),
    );
  const holder = (name: string) => certificates.store.select(name);

  it('issues a leaf for a served host and for hosts under the base domain, once', async () => {
    const first = await select('app.company.com');
    expect(first).toBeDefined();
    expect(await select('APP.company.com.')).toBe(first);
    expect(holder('app.company.com')?.source).toBe('local-ca');
    await select('dev.localhost');
    expect(holder('dev.localhost')?.names).toEqual(['dev.localhost']);
  });

  it('gives a host it does not serve the default certificate and stores nothing for it', async () => {
    expect(await select('evil.example.org')).toBe(certificates.defaultCertificate.context);
    expect(holder('evil.example.org')).toBeUndefined();
  });

  it('reuses the CA kept in the data directory', async () => {
    const again = await LocalCa.open(dir);
    expect(new X509Certificate(again.certPem).fingerprint256).toBe(
      new X509Certificate(ca.certPem).fingerprint256,
    );
    // The reopened CA (its certificate parsed only when it first issues) signs leaves the CA verifies.
    const issued = await again.issue('reopened.company.com');
    const leaf = new X509Certificate(issued.cert);
    const caCert = new X509Certificate(ca.certPem);
    expect(leaf.checkIssued(caCert)).toBe(true);
    expect(leaf.verify(caCert.publicKey)).toBe(true);
    expect(leaf.subjectAltName).toBe('DNS:reopened.company.com');
    expect(createPrivateKey(issued.key).asymmetricKeyType).toBe('ec');
  });

  it('keeps the default certificate across restarts, and replaces one this CA did not sign or that is due', async () => {
    const create = (localCa: LocalCa) =>
      TlsCertificates.create({
        localCa,
        baseDomain: 'localhost',
        serves: () => false,
        logger: createLogger('test', 'silent'),
      });
    const serial = certificates.defaultCertificate.serial;
    // A restart: the same CA from the data directory serves the same default certificate.
    expect((await create(await LocalCa.open(dir))).defaultCertificate.serial).toBe(serial);
    // A leaf file from another CA (a data directory whose CA was replaced) is not served.
    const otherDir = mkdtempSync(join(tmpdir(), 'rn-certs-other-'));
    try {
      const other = await LocalCa.open(otherDir);
      const foreign = await other.issue('localhost');
      writeFileSync(join(dir, 'tls', 'leaf-localhost.crt'), foreign.cert);
      writeFileSync(join(dir, 'tls', 'leaf-localhost.key'), foreign.key);
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
    const replaced = (await create(ca)).defaultCertificate;
    expect(replaced.serial).not.toBe(serial);
    expect(new X509Certificate(replaced.pem.cert).checkIssued(new X509Certificate(ca.certPem))).toBe(true);
    // One past two thirds of its life is issued again (25 of its 30 days from now).
    const later = await ca.kept('localhost', new Date(Date.now() + 25 * 86400_000));
    expect(new X509Certificate(later.cert).serialNumber).not.toBe(replaced.serial);
    expect((await create(ca)).defaultCertificate.serial).toBe(new X509Certificate(later.cert).serialNumber);
  });

  it('prefers an ACME certificate, and re-issues a local leaf past its renewal time', async () => {
    const issued = await ca.issue('app.company.com');
    const acme = storedCertificate(issued.cert, issued.key, 'acme', ['app.company.com']);
    certificates.store.put(acme);
    expect(await select('app.company.com')).toBe(acme.context);

    const stale = {
      ...storedCertificate(issued.cert, issued.key, 'local-ca', ['old.localhost']),
      context: createSecureContext({}),
      notBefore: new Date(Date.now() - 30 * 86400_000),
      notAfter: new Date(Date.now() + 86400_000),
    };
    certificates.store.put(stale);
    const renewed = await select('old.localhost');
    expect(renewed).not.toBe(stale.context);
    expect(holder('old.localhost')?.notAfter.getTime()).toBeGreaterThan(stale.notAfter.getTime());
  });

  it('refuses RN_GATEWAY_TLS_CERT with a key that is not its own, saying so', async () => {
    const one = await ca.issue('a.company.com');
    const other = await ca.issue('b.company.com');
    await expect(
      TlsCertificates.create({
        localCa: ca,
        baseDomain: 'localhost',
        serves: () => false,
        files: { cert: one.cert, key: other.key },
        logger: createLogger('test', 'silent'),
      }),
    ).rejects.toThrow(/^RN_GATEWAY_TLS_CERT\/RN_GATEWAY_TLS_KEY cannot be served: .*key values mismatch/);
  });

  it('serves RN_GATEWAY_TLS_CERT for the names it covers and as the default', async () => {
    const file = await ca.issue('files.company.com');
    const withFiles = await TlsCertificates.create({
      localCa: ca,
      baseDomain: 'localhost',
      serves: () => true,
      files: { cert: file.cert, key: file.key },
      logger: createLogger('test', 'silent'),
    });
    expect(withFiles.store.select('files.company.com')?.source).toBe('file');
    expect(withFiles.defaultCertificate.names).toEqual(['files.company.com']);
    const other = await new Promise<SecureContext | undefined>((resolve) =>
      withFiles.sniCallback('other.company.com', (_e, c) => resolve(c)),
    );
    expect(other).not.toBe(withFiles.defaultCertificate.context); // a served host gets its own leaf
    expect(withFiles.store.select('other.company.com')?.source).toBe('local-ca');
  });
});
