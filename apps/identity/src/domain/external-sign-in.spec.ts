import { randomInt } from 'node:crypto';
import { ClaimMappingsSchema } from '@rustronaut/contracts';
import {
  accessChanges,
  decideExternalSignIn,
  identityFromClaims,
  mapAccess,
  type KnownUser,
  type ProviderIdentity,
} from './external-sign-in';

const mappings = ClaimMappingsSchema.parse({
  groups: { engineers: ['grp_eng'], ops: ['grp_ops', 'grp_eng'] },
  roles: { 'rn-admins': 'admin' },
});
const identity = (over: Partial<ProviderIdentity> = {}): ProviderIdentity => ({
  subject: 'sub-1',
  email: 'ada@example.com',
  emailVerified: true,
  name: 'Ada',
  groups: [],
  ...over,
});
const user = (over: Partial<KnownUser> = {}): KnownUser => ({
  id: 'usr_1',
  orgId: 'org_a',
  role: 'member',
  groups: [],
  subjectAtProvider: null,
  ...over,
});
const decide = (over: Partial<Parameters<typeof decideExternalSignIn>[0]>) =>
  decideExternalSignIn({
    orgId: 'org_a',
    jitProvisioning: true,
    identity: identity(),
    linked: undefined,
    byEmail: undefined,
    ...over,
  });

describe('identityFromClaims', () => {
  it('reads the mapped claims', () => {
    expect(
      identityFromClaims(
        { sub: 's', email: 'a@b.io', email_verified: true, name: ' A ', groups: ['x', 3, 'y'] },
        mappings,
      ),
    ).toEqual({ subject: 's', email: 'a@b.io', emailVerified: true, name: 'A', groups: ['x', 'y'] });
  });

  it.each([false, 'false', 1, 'yes', null, undefined, {}])('email_verified %p is not verified', (v) => {
    expect(identityFromClaims({ sub: 's', email: 'a@b.io', email_verified: v }, mappings).emailVerified).toBe(
      false,
    );
  });

  it('drops an email that is not one, whatever the provider sends', () => {
    const junk = () =>
      String.fromCharCode(...Array.from({ length: randomInt(0, 40) }, () => randomInt(0, 128)));
    for (let i = 0; i < 500; i++) {
      const value = junk();
      const read = identityFromClaims({ sub: 's', email: value }, mappings).email;
      if (read !== undefined) expect(read).toMatch(/^[^\s@]+@[^\s@]+\.[^\s@]+$/);
    }
    expect(identityFromClaims({ sub: 's', email: ['a@b.io'] }, mappings).email).toBeUndefined();
  });
});

describe('mapAccess', () => {
  it('gives the groups and the highest role the provider groups map to', () => {
    expect(mapAccess(['ops', 'rn-admins', 'unmapped'], mappings)).toEqual({
      role: 'admin',
      groupIds: new Set(['grp_ops', 'grp_eng']),
      managedGroupIds: new Set(['grp_eng', 'grp_ops']),
    });
    expect(mapAccess([], mappings).role).toBe('member');
  });
});

describe('decideExternalSignIn', () => {
  it('opens the linked account, whatever the email says now', () => {
    expect(decide({ linked: user(), identity: identity({ email: undefined }) })).toEqual({
      kind: 'existing',
      userId: 'usr_1',
      link: false,
    });
  });

  it('links an existing account only by a verified email', () => {
    expect(decide({ byEmail: user() })).toEqual({ kind: 'existing', userId: 'usr_1', link: true });
    expect(decide({ byEmail: user(), identity: identity({ emailVerified: false }) })).toMatchObject({
      kind: 'refuse',
      reason: 'email_not_verified',
    });
  });

  it('never takes an account of another organisation or one linked to someone else', () => {
    expect(decide({ byEmail: user({ orgId: 'org_b' }) })).toMatchObject({ reason: 'account_conflict' });
    expect(decide({ byEmail: user({ subjectAtProvider: 'other' }) })).toMatchObject({
      reason: 'account_conflict',
    });
  });

  it('provisions only when the provider does, and only with an email', () => {
    expect(decide({})).toEqual({ kind: 'provision', email: 'ada@example.com', name: 'Ada' });
    expect(decide({ jitProvisioning: false })).toMatchObject({ kind: 'refuse', reason: 'no_account' });
    expect(decide({ identity: identity({ email: undefined }) })).toMatchObject({ reason: 'missing_email' });
    expect(decide({ identity: identity({ subject: '' }) })).toMatchObject({ reason: 'invalid_response' });
  });

  it('never opens an existing unlinked account without a verified email (generated cases)', () => {
    for (let i = 0; i < 2000; i++) {
      const verified = randomInt(2) === 1;
      const sameOrg = randomInt(2) === 1;
      const linkedElsewhere = randomInt(3) === 0;
      const decision = decide({
        jitProvisioning: randomInt(2) === 1,
        identity: identity({ emailVerified: verified }),
        byEmail: user({
          orgId: sameOrg ? 'org_a' : 'org_b',
          subjectAtProvider: linkedElsewhere ? 'x' : null,
        }),
      });
      const opened = decision.kind === 'existing';
      expect(opened).toBe(verified && sameOrg && !linkedElsewhere);
      expect(decision.kind).not.toBe('provision');
    }
  });
});

describe('accessChanges', () => {
  it('follows the provider for the managed groups only, and never touches an owner', () => {
    const access = mapAccess(['engineers'], mappings);
    expect(accessChanges({ role: 'admin', groups: ['grp_ops', 'grp_other'] }, access)).toEqual({
      role: 'member',
      addTo: ['grp_eng'],
      removeFrom: ['grp_ops'],
    });
    expect(accessChanges({ role: 'owner', groups: [] }, mapAccess([], mappings)).role).toBeUndefined();
    expect(accessChanges({ role: 'member', groups: ['grp_eng'] }, access)).toEqual({
      role: undefined,
      addTo: [],
      removeFrom: [],
    });
  });
});
