import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DevelopmentCa, caOf } from './development-ca';

describe('the development CA handed to clients', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'rn-dev-ca-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A self-signed certificate made by openssl, as PEM text: a CA's when `ca`, else a leaf's. */
  const certificate = (name: string, ca: boolean): string => {
    const out = join(dir, `${name}.crt`);
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2'],
        ...['-subj', `/CN=${name}`, '-keyout', join(dir, `${name}.key`), '-out', out],
        ...['-addext', `basicConstraints=critical,CA:${ca ? 'TRUE' : 'FALSE'}`],
      ],
      { stdio: 'ignore' },
    );
    return readFileSync(out, 'utf8');
  };
  const touch = (file: string, secondsAhead: number) =>
    utimesSync(file, new Date(), new Date(Date.now() + secondsAhead * 1000));

  it('is the PEM and the SHA-256 fingerprint of a CA certificate', () => {
    const file = join(dir, 'ca.crt');
    writeFileSync(file, certificate('ca-one', true));
    const ca = new DevelopmentCa(file).current();
    expect(ca?.pem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    expect(ca?.sha256).toBe(new X509Certificate(ca!.pem).fingerprint256);
    expect(ca?.sha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('is absent until the gateway makes it, and follows the file when a new CA replaces it', () => {
    const file = join(dir, 'later.crt');
    const sut = new DevelopmentCa(file);
    expect(sut.current()).toBeUndefined();
    writeFileSync(file, `text before the certificate\n${certificate('first', true)}`);
    const first = sut.current();
    expect(first).toBeDefined();
    writeFileSync(file, certificate('second', true));
    touch(file, 5);
    const second = sut.current();
    expect(second?.sha256).not.toBe(first?.sha256);
    expect(second?.pem).toBe(readFileSync(join(dir, 'second.crt'), 'utf8'));
  });

  it('is nothing for a leaf certificate, a broken one, text that is no certificate, or no setting', () => {
    const leaf = certificate('leaf', false);
    expect(caOf(leaf)).toBeUndefined();
    const lines = leaf.split('\n');
    lines[3] = 'A'.repeat(lines[3]!.length);
    expect(caOf(lines.join('\n'))).toBeUndefined();
    expect(caOf('not a certificate')).toBeUndefined();
    expect(new DevelopmentCa(undefined).current()).toBeUndefined();
  });
});
