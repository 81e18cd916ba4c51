import { PolicyDataSchema } from '@rustronaut/contracts';
import { decide, pathMatches, type AccessRequest, type PolicyRule } from './decide';

const rule = (id: string, data: unknown): PolicyRule => ({ id, ...PolicyDataSchema.parse(data) });
const request = (over: Partial<AccessRequest> = {}): AccessRequest => ({
  user: { id: 'usr_ada', role: 'member', groups: ['grp_eng'] },
  ip: '203.0.113.7',
  country: 'DE',
  path: '/',
  method: 'GET',
  at: new Date('2026-11-24T10:30:00Z'), // a Tuesday
  ...over,
});

describe('decide', () => {
  const engineers = rule('pol_1', { name: 'engineers', effect: 'allow', subjects: { groups: ['grp_eng'] } });
  const office = rule('pol_2', {
    name: 'office hours',
    effect: 'allow',
    subjects: { anyAuthenticated: true },
    conditions: {
      timeWindows: [
        {
          days: ['mon', 'tue', 'wed', 'thu', 'fri'],
          start: '09:00',
          end: '17:00',
          timeZone: 'Europe/Berlin',
        },
      ],
    },
  });
  const noAdminFromOutside = rule('pol_3', {
    name: 'admin only from the office',
    effect: 'deny',
    subjects: {},
    conditions: { paths: ['/admin'], sourceCidrs: ['0.0.0.0/0'] },
  });
  const officeNet = rule('pol_0', {
    name: 'office network',
    effect: 'allow',
    subjects: { anyAuthenticated: true },
    conditions: { sourceCidrs: ['10.0.0.0/8'] },
  });

  it('allows by group and names the rule', () => {
    expect(decide([engineers], 'res_1', request())).toEqual({
      allowed: true,
      decidedBy: { policyId: 'pol_1', name: 'engineers', effect: 'allow' },
      reason: 'allowed by policy "engineers"',
    });
  });

  it('denies when nothing allows, and anonymous users match only rules naming nobody', () => {
    expect(decide([engineers], 'res_1', request({ user: null }))).toMatchObject({
      allowed: false,
      decidedBy: null,
    });
    expect(
      decide([engineers], 'res_1', request({ user: { id: 'u2', role: 'member', groups: [] } })).allowed,
    ).toBe(false);
  });

  it('lets a matching deny win over any allow', () => {
    expect(decide([engineers, noAdminFromOutside], 'res_1', request({ path: '/admin/users' }))).toMatchObject(
      {
        allowed: false,
        decidedBy: { policyId: 'pol_3', effect: 'deny' },
      },
    );
    expect(
      decide([engineers, noAdminFromOutside], 'res_1', request({ path: '/administrator' })).allowed,
    ).toBe(true);
  });

  it('applies time windows in their time zone', () => {
    expect(decide([office], 'r', request({ at: new Date('2026-11-24T15:59:00Z') })).allowed).toBe(true); // 16:59 Berlin
    expect(decide([office], 'r', request({ at: new Date('2026-11-24T16:01:00Z') })).allowed).toBe(false); // 17:01 Berlin
    expect(decide([office], 'r', request({ at: new Date('2026-11-28T10:00:00Z') })).allowed).toBe(false); // Saturday
  });

  it('matches source networks, including IPv4-mapped addresses', () => {
    expect(decide([officeNet], 'r', request({ ip: '10.4.5.6' })).allowed).toBe(true);
    expect(decide([officeNet], 'r', request({ ip: '::ffff:10.4.5.6' })).allowed).toBe(true);
    expect(decide([officeNet], 'r', request({ ip: '192.0.2.1' })).allowed).toBe(false);
  });

  it('applies a policy only to the resources it names', () => {
    const scoped = rule('pol_9', {
      name: 'only r1',
      effect: 'allow',
      resourceIds: ['res_1'],
      subjects: { anyAuthenticated: true },
    });
    expect(decide([scoped], 'res_1', request()).allowed).toBe(true);
    expect(decide([scoped], 'res_2', request()).allowed).toBe(false);
  });

  it('matches countries and methods', () => {
    const euReads = rule('pol_5', {
      name: 'eu reads',
      effect: 'allow',
      subjects: {},
      conditions: { countries: ['DE', 'FR'], methods: ['GET'] },
    });
    expect(decide([euReads], 'r', request()).allowed).toBe(true);
    expect(decide([euReads], 'r', request({ method: 'POST' })).allowed).toBe(false);
    expect(decide([euReads], 'r', request({ country: null })).allowed).toBe(false);
  });

  it('matches paths by prefix segment or glob', () => {
    expect(pathMatches('/admin', '/admin')).toBe(true);
    expect(pathMatches('/admin', '/admin/x')).toBe(true);
    expect(pathMatches('/admin', '/adminx')).toBe(false);
    expect(pathMatches('/api/*', '/api/v1')).toBe(true);
  });

  describe("callers with a trusted issuer's token", () => {
    const ci = { id: 'deploy-bot', role: 'member' as const, groups: [], issuerId: 'tis_ci' };
    const ciDeploys = rule('pol_ci', {
      name: 'ci deploys',
      effect: 'allow',
      subjects: { tokens: [{ issuerId: 'tis_ci', subs: ['deploy-bot'] }] },
    });

    it('are admitted by a policy naming their issuer and sub, and by nothing else that names someone', () => {
      expect(decide([ciDeploys], 'r', request({ user: ci })).allowed).toBe(true);
      expect(decide([ciDeploys], 'r', request({ user: { ...ci, id: 'other-bot' } })).allowed).toBe(false);
      expect(decide([ciDeploys], 'r', request({ user: { ...ci, issuerId: 'tis_other' } })).allowed).toBe(
        false,
      );
      // A sub equal to a user's id, groups or role do not make the token that user.
      const asUser = { ...ci, id: 'usr_ada', groups: ['grp_eng'] };
      expect(decide([engineers, office], 'r', request({ user: asUser })).allowed).toBe(false);
      const adaById = rule('pol_ada', { name: 'ada', effect: 'allow', subjects: { users: ['usr_ada'] } });
      expect(decide([adaById], 'r', request({ user: asUser })).allowed).toBe(false);
    });

    it('an issuer listed without subs admits any of its tokens; a deny naming nobody still applies', () => {
      const anyCi = rule('pol_anyci', {
        name: 'any ci',
        effect: 'allow',
        subjects: { tokens: [{ issuerId: 'tis_ci' }] },
      });
      expect(decide([anyCi], 'r', request({ user: { ...ci, id: 'x' } })).allowed).toBe(true);
      expect(decide([anyCi, noAdminFromOutside], 'r', request({ user: ci, path: '/admin' })).allowed).toBe(
        false,
      );
    });

    it('a policy naming only token subjects does not apply to anonymous requests or users', () => {
      expect(decide([ciDeploys], 'r', request({ user: null })).allowed).toBe(false);
      expect(decide([ciDeploys], 'r', request()).allowed).toBe(false);
    });
  });
});
