import type { SecureContext } from 'node:tls';
import { CertificateStore, type CertificateSource, type StoredCertificate } from './certificate-store';

function cert(source: CertificateSource, ...names: string[]): StoredCertificate {
  return {
    context: {} as SecureContext,
    pem: { cert: '', key: '' },
    source,
    names,
    notBefore: new Date(0),
    notAfter: new Date(1),
    serial: `${source}:${names.join(',')}`,
  };
}

describe('CertificateStore', () => {
  it('selects the exact name before the wildcard one label up, case and trailing dot aside', () => {
    const store = new CertificateStore();
    const wildcard = cert('file', '*.company.com');
    const exact = cert('acme', 'app.company.com');
    store.put(wildcard);
    store.put(exact);
    expect(store.select('app.company.com')).toBe(exact);
    expect(store.select('APP.Company.com.')).toBe(exact);
    expect(store.select('wiki.company.com')).toBe(wildcard);
    expect(store.select('a.b.company.com')).toBeUndefined();
    expect(store.select('company.com')).toBeUndefined();
    expect(store.select('localhost')).toBeUndefined();
  });

  it('lets a renewal replace a certificate of the same source, but never an ACME one by a weaker source', () => {
    const store = new CertificateStore();
    const first = cert('acme', 'app.company.com');
    const renewed = cert('acme', 'app.company.com');
    store.put(first);
    store.put(renewed);
    expect(store.select('app.company.com')).toBe(renewed);
    store.put(cert('local-ca', 'app.company.com'));
    expect(store.select('app.company.com')).toBe(renewed);
    const local = cert('local-ca', 'dev.localhost');
    store.put(local);
    const fromAcme = cert('acme', 'dev.localhost');
    store.put(fromAcme);
    expect(store.select('dev.localhost')).toBe(fromAcme);
  });

  it('removes only what the named source stored', () => {
    const store = new CertificateStore();
    store.put(cert('acme', 'app.company.com'));
    store.remove('app.company.com', 'local-ca');
    expect(store.select('app.company.com')).toBeDefined();
    store.remove('app.company.com', 'acme');
    expect(store.select('app.company.com')).toBeUndefined();
  });

  it('keeps the on-demand local-CA cache bounded, dropping the oldest first', () => {
    const store = new CertificateStore();
    const acme = cert('acme', 'h0.localhost');
    store.put(acme);
    for (let i = 1; i <= 5; i++) store.put(cert('local-ca', `h${i}.localhost`));
    store.trim('local-ca', 3);
    expect(store.count('local-ca')).toBe(3);
    expect(store.select('h1.localhost')).toBeUndefined();
    expect(store.select('h2.localhost')).toBeUndefined();
    expect(store.select('h5.localhost')).toBeDefined();
    expect(store.select('h0.localhost')).toBe(acme);
  });
});
