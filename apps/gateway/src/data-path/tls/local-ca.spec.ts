import 'reflect-metadata';
import { X509Certificate, webcrypto } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer } from 'node:tls';
import * as x509 from '@peculiar/x509';
import { readElement, time } from './der';
import { LocalCa } from './local-ca';

/** What a TLS client that trusts only `ca` says of a server with `leaf` when it asks for `servername`. */
async function handshake(
  leaf: { cert: string; key: string },
  ca: string,
  servername: string,
): Promise<{ authorized: boolean; error?: string }> {
  const server = createServer({ cert: leaf.cert, key: leaf.key }, (socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await new Promise((resolve) => {
      const socket = connect({
        port: (server.address() as AddressInfo).port,
        host: '127.0.0.1',
        servername,
        ca,
        rejectUnauthorized: false,
      });
      socket.once('secureConnect', () => {
        resolve({ authorized: socket.authorized, error: socket.authorizationError?.toString() });
        socket.destroy();
      });
      socket.once('error', (error) => resolve({ authorized: false, error: error.message }));
    });
  } finally {
    server.close();
  }
}

describe('LocalCa', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'rn-local-ca-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('makes a CA whose leaves a client trusting only tls/ca.crt accepts for their host', async () => {
    const dir = tempDir();
    const ca = await LocalCa.open(dir);
    const caCert = new X509Certificate(readFileSync(join(dir, 'tls', 'ca.crt')));
    expect(caCert.ca).toBe(true);
    expect(caCert.subject).toMatch(/^CN=Rustronaut development CA [0-9a-f]{6}\nO=Rustronaut$/);

    const leaf = await ca.issue('app.localhost');
    expect(new X509Certificate(leaf.cert).subjectAltName).toBe('DNS:app.localhost');
    expect(await handshake(leaf, ca.certPem, 'app.localhost')).toEqual({ authorized: true });
    expect(await handshake(leaf, ca.certPem, 'other.localhost')).toEqual({
      authorized: false,
      error: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    // Another CA's client does not trust it.
    const other = await LocalCa.open(tempDir());
    expect((await handshake(leaf, other.certPem, 'app.localhost')).authorized).toBe(false);
  });

  it('keeps issuing leaves clients accept from a CA an earlier gateway made with @peculiar/x509', async () => {
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = (await webcrypto.subtle.generateKey(algorithm, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const made = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '0bc0fa236709835f',
      name: 'CN=Rustronaut development CA 985014, O=Rustronaut',
      notBefore: new Date(Date.now() - 86400_000),
      notAfter: new Date(Date.now() + 3650 * 86400_000),
      signingAlgorithm: algorithm,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const dir = tempDir();
    mkdirSync(join(dir, 'tls'));
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    writeFileSync(
      join(dir, 'tls', 'ca.key'),
      `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64')}\n-----END PRIVATE KEY-----\n`,
    );
    writeFileSync(join(dir, 'tls', 'ca.crt'), made.toString('pem'));

    const ca = await LocalCa.open(dir);
    const leaf = await ca.kept('localhost');
    expect(new X509Certificate(leaf.cert).checkIssued(new X509Certificate(made.toString('pem')))).toBe(true);
    expect(await handshake(leaf, made.toString('pem'), 'localhost')).toEqual({ authorized: true });
  });
});

describe('der time', () => {
  it('writes UTCTime through 2049 and GeneralizedTime after (RFC 5280)', () => {
    const utc = readElement(time(new Date('2049-12-31T23:59:59.900Z')));
    expect([utc.tag, utc.contents.toString()]).toEqual([0x17, '491231235959Z']);
    const generalized = readElement(time(new Date('2050-01-01T00:00:00Z')));
    expect([generalized.tag, generalized.contents.toString()]).toEqual([0x18, '20500101000000Z']);
  });
});
