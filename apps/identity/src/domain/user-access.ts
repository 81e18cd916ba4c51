import type { NewEvent, PlatformEvent } from '@rustronaut/contracts';
import type { UserState } from './aggregates';
import { IdentityError, IdentityErrorCode, notFound } from './errors';

type Events = NewEvent<PlatformEvent>[];

/** Who asks, and about which account of which organisation. */
export interface UserAccessCommand {
  userId: string;
  orgId: string;
  /** The account behind the caller (an API key's owner), which may not disable itself. */
  callerUserId: string;
}

function existing(user: UserState | undefined, command: UserAccessCommand): UserState {
  if (!user || user.deleted || user.orgId !== command.orgId) throw notFound('user', command.userId);
  return user;
}

/**
 * Turning an account off: it stays (its devices, groups and history), but nothing signs in as it.
 * Nobody disables themself (an admin could lock the last door); disabling twice records nothing.
 */
export function decideDisableUser(user: UserState | undefined, command: UserAccessCommand): Events {
  const found = existing(user, command);
  if (command.callerUserId === command.userId)
    throw new IdentityError(
      IdentityErrorCode.CannotDisableSelf,
      'you cannot disable your own account: ask another admin',
      { details: { id: command.userId } },
    );
  return found.disabled ? [] : [{ type: 'UserDisabled', data: {} }];
}

/** Turning a disabled account back on; enabling an enabled account records nothing. */
export function decideEnableUser(user: UserState | undefined, command: UserAccessCommand): Events {
  return existing(user, command).disabled ? [{ type: 'UserEnabled', data: {} }] : [];
}
