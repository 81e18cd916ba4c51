import { PolicyDataSchema } from '@rustronaut/contracts';
import { closedPublicPort, decidePublicPort, publicPortPolicies } from './public-port';

const policy = (id: string, data: Record<string, unknown>) => ({
  ...PolicyDataSchema.parse({ name: id, ...data }),
  id,
});
const db = { id: 'res_db', protocol: 'tcp', publicPort: 5432, authRequired: true };
const at = new Date('2026-12-07T10:00:00Z');

describe('public ports of TCP/UDP resources', () => {
  const office = policy('pol_office', {
    effect: 'allow',
    resourceIds: ['res_db'],
    subjects: {},
    conditions: { sourceCidrs: ['10.1.0.0/16'] },
  });
  const engineers = policy('pol_eng', { effect: 'allow', subjects: { groups: ['grp_eng'] } });
  const withPaths = policy('pol_paths', { effect: 'allow', subjects: {}, conditions: { paths: ['/'] } });
  const blockKp = policy('pol_kp', { effect: 'deny', subjects: {}, conditions: { countries: ['KP'] } });

  it('given no policy that names nobody, the port of an auth-required resource is closed, and says why', () => {
    expect(closedPublicPort(db, [])).toMatch(/public port 5432 admits no connection/);
    expect(closedPublicPort(db, [engineers, withPaths])).toMatch(/source address or country/);
    // A policy naming only a token issuer's callers names someone: it never opens the port.
    const ci = policy('pol_ci', { effect: 'allow', subjects: { tokens: [{ issuerId: 'tis_ci' }] } });
    expect(publicPortPolicies([ci], db.id)).toEqual([]);
    expect(
      decidePublicPort(publicPortPolicies([engineers, withPaths], db.id), db.id, '10.1.2.3', null, at)
        .allowed,
    ).toBe(false);
  });

  it('given an allow by source CIDR, only that network gets in; a deny still wins', () => {
    const policies = publicPortPolicies([office, engineers, blockKp], db.id);
    expect(policies.map((p) => p.id)).toEqual(['pol_office', 'pol_kp']);
    expect(closedPublicPort(db, policies)).toBeNull();
    expect(decidePublicPort(policies, db.id, '10.1.2.3', null, at)).toMatchObject({ allowed: true });
    expect(decidePublicPort(policies, db.id, '192.0.2.7', null, at)).toMatchObject({ allowed: false });
    expect(decidePublicPort(policies, db.id, '10.1.2.3', 'KP', at)).toMatchObject({ allowed: false });
  });

  it('a public resource, an HTTP one, or one without a public port is not closed by policy', () => {
    expect(closedPublicPort({ ...db, authRequired: false }, [])).toBeNull();
    expect(closedPublicPort({ ...db, publicPort: null }, [])).toBeNull();
    expect(closedPublicPort({ ...db, protocol: 'http' }, [])).toBeNull();
  });
});
