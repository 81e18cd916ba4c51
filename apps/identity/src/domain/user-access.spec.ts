import type { PlatformEvent } from '@rustronaut/contracts';
import { evolveUser, fold } from './aggregates';
import { IdentityErrorCode } from './errors';
import { decideDisableUser, decideEnableUser, type UserAccessCommand } from './user-access';

const ev = (type: string, data: object = {}, orgId = 'org_a') =>
  ({
    id: 'e',
    version: 1,
    aggregateType: 'user',
    aggregateId: 'usr_bob',
    orgId,
    occurredAt: '2026-01-01T00:00:00.000Z',
    actor: { kind: 'system', id: 'system' },
    commandId: 'c',
    trace: {},
    type,
    data,
  }) as unknown as PlatformEvent;
const registered = ev('UserRegistered', {
  email: 'bob@x.io',
  name: 'Bob',
  role: 'member',
  passwordHash: 'h',
});
const byAdmin: UserAccessCommand = { userId: 'usr_bob', orgId: 'org_a', callerUserId: 'usr_admin' };

/** given the user's events, when a decision is taken: the events it records (or the error's code). */
function given(events: PlatformEvent[]) {
  const state = fold(events, evolveUser);
  const outcome = (decide: () => { type: string }[]) => {
    try {
      return decide().map((e) => e.type);
    } catch (error) {
      return (error as { code: string }).code;
    }
  };
  return {
    whenDisabled: (command = byAdmin) => outcome(() => decideDisableUser(state, command)),
    whenEnabled: (command = byAdmin) => outcome(() => decideEnableUser(state, command)),
  };
}

describe('disabling and enabling a user (decide)', () => {
  it('given an active user, when an admin disables them, then UserDisabled', () => {
    expect(given([registered]).whenDisabled()).toEqual(['UserDisabled']);
  });

  it('given a disabled user, when disabled again, then nothing is recorded', () => {
    expect(given([registered, ev('UserDisabled')]).whenDisabled()).toEqual([]);
  });

  it('given a disabled user, when enabled, then UserEnabled; enabled twice records nothing', () => {
    expect(given([registered, ev('UserDisabled')]).whenEnabled()).toEqual(['UserEnabled']);
    expect(given([registered, ev('UserDisabled'), ev('UserEnabled')]).whenEnabled()).toEqual([]);
    expect(given([registered]).whenEnabled()).toEqual([]);
  });

  it('given any user, when the caller is that user, then they cannot disable themself', () => {
    expect(given([registered]).whenDisabled({ ...byAdmin, callerUserId: 'usr_bob' })).toBe(
      IdentityErrorCode.CannotDisableSelf,
    );
  });

  it('given no user, a deleted one, or one of another organisation, then not found', () => {
    expect(given([]).whenDisabled()).toBe(IdentityErrorCode.NotFound);
    expect(given([registered, ev('UserDeleted')]).whenDisabled()).toBe(IdentityErrorCode.NotFound);
    expect(given([registered, ev('UserDisabled'), ev('UserDeleted')]).whenEnabled()).toBe(
      IdentityErrorCode.NotFound,
    );
    expect(given([registered]).whenDisabled({ ...byAdmin, orgId: 'org_b' })).toBe(IdentityErrorCode.NotFound);
  });

  it('folds the flag through the life of the account', () => {
    expect(fold([registered, ev('UserDisabled')], evolveUser)?.disabled).toBe(true);
    expect(fold([registered, ev('UserDisabled'), ev('UserEnabled')], evolveUser)?.disabled).toBe(false);
  });
});
