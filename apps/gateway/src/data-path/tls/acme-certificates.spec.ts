import { acmeCanCertify } from './acme-certificates';

describe('acmeCanCertify', () => {
  it('orders exact public names only: no wildcard (needs DNS-01), no localhost names (RFC 6761)', () => {
    expect(acmeCanCertify('app.company.com')).toBe(true);
    expect(acmeCanCertify('shop.example.test')).toBe(true);
    expect(acmeCanCertify('*.company.com')).toBe(false);
    expect(acmeCanCertify('localhost')).toBe(false);
    expect(acmeCanCertify('app.localhost')).toBe(false);
  });
});
