import type { PlatformEvent } from '@rustronaut/contracts';
import { evolveGroup, evolveSession, evolveUser, fold } from './aggregates';

const meta = {
  id: 'e',
  version: 1,
  aggregateType: 'user',
  aggregateId: 'usr_1',
  orgId: 'org_a',
  occurredAt: '2026-01-01T00:00:00.000Z',
  actor: { kind: 'system', id: 'system' },
  commandId: 'c',
  trace: {},
} as const;
const ev = (type: string, data: object) => ({ ...meta, type, data }) as unknown as PlatformEvent;

describe('identity aggregates', () => {
  it('folds a user through its life', () => {
    const sut = fold(
      [
        ev('UserRegistered', { email: 'a@x.io', name: 'A', role: 'member', passwordHash: 'h1' }),
        ev('UserRoleChanged', { role: 'admin' }),
        ev('UserProfileUpdated', { name: 'Ada' }),
        ev('UserTotpEnabled', { totpSecret: 'S'.repeat(32) }),
        ev('UserPasswordChanged', { passwordHash: 'h2' }),
      ],
      evolveUser,
    );
    expect(sut).toEqual({
      orgId: 'org_a',
      email: 'a@x.io',
      name: 'Ada',
      role: 'admin',
      passwordHash: 'h2',
      totpSecret: 'S'.repeat(32),
      disabled: false,
      deleted: false,
    });
    expect(
      fold(
        [
          ...[ev('UserRegistered', { email: 'a@x.io', name: 'A', role: 'member', passwordHash: 'h' })],
          ev('UserDeleted', {}),
        ],
        evolveUser,
      )?.deleted,
    ).toBe(true);
  });

  it('has no state before the creating event', () => {
    expect(fold([ev('UserRoleChanged', { role: 'admin' })], evolveUser)).toBeUndefined();
  });

  it('tracks group membership', () => {
    const sut = fold(
      [
        ev('GroupCreated', { name: 'ops' }),
        ev('GroupMemberAdded', { userId: 'u1' }),
        ev('GroupMemberAdded', { userId: 'u2' }),
        ev('GroupMemberRemoved', { userId: 'u1' }),
      ],
      evolveGroup,
    );
    expect([...(sut?.members ?? [])]).toEqual(['u2']);
  });

  it('rotates a session refresh hash and revokes it', () => {
    const started = ev('SessionStarted', {
      userId: 'u',
      refreshHash: 'r1',
      expiresAt: 'x',
      ip: null,
      userAgent: null,
    });
    const refreshed = ev('SessionRefreshed', { refreshHash: 'r2', expiresAt: 'y' });
    expect(fold([started, refreshed], evolveSession)).toMatchObject({ refreshHash: 'r2', revoked: false });
    expect(
      fold([started, refreshed, ev('SessionRevoked', { reason: 'logout' })], evolveSession)?.revoked,
    ).toBe(true);
  });
});
