import type { PlatformEvent, Role } from '@rustronaut/contracts';

/**
 * The state each identity aggregate needs to decide, folded from its events. Pure functions:
 * `evolve(state, event) → state`; the use cases load events, fold, decide, and append.
 */
export interface OrganizationState {
  orgId: string;
  name: string;
  slug: string;
  deleted: boolean;
}

export interface UserState {
  orgId: string;
  email: string;
  name: string;
  role: Role;
  passwordHash: string;
  totpSecret: string | null;
  /** Turned off by an admin: no sign-in, no device traffic; the account and its data stay. */
  disabled: boolean;
  deleted: boolean;
}

export interface GroupState {
  orgId: string;
  name: string;
  members: Set<string>;
  deleted: boolean;
}

export interface ApiKeyState {
  orgId: string;
  name: string;
  role: Role;
  ownerUserId: string;
  secretHash: string;
  expiresAt: string | null;
  revoked: boolean;
}

export interface SessionState {
  orgId: string;
  userId: string;
  refreshHash: string;
  expiresAt: string;
  revoked: boolean;
}

export interface EmailState {
  userId: string | null;
}

type Evolve<S> = (state: S | undefined, event: PlatformEvent) => S | undefined;

export function fold<S>(events: readonly PlatformEvent[], evolve: Evolve<S>): S | undefined {
  return events.reduce<S | undefined>(evolve, undefined);
}

export const evolveOrganization: Evolve<OrganizationState> = (state, event) => {
  switch (event.type) {
    case 'OrganizationCreated':
      return { orgId: event.orgId, name: event.data.name, slug: event.data.slug, deleted: false };
    case 'OrganizationRenamed':
      return state && { ...state, name: event.data.name };
    case 'OrganizationDeleted':
      return state && { ...state, deleted: true };
    default:
      return state;
  }
};

export const evolveUser: Evolve<UserState> = (state, event) => {
  switch (event.type) {
    case 'UserRegistered':
      return {
        orgId: event.orgId,
        email: event.data.email,
        name: event.data.name,
        role: event.data.role,
        passwordHash: event.data.passwordHash,
        totpSecret: null,
        disabled: false,
        deleted: false,
      };
    case 'UserProvisioned':
      // Made by a provider sign-in: no password (an empty hash never verifies).
      return {
        orgId: event.orgId,
        email: event.data.email,
        name: event.data.name,
        role: event.data.role,
        passwordHash: '',
        totpSecret: null,
        disabled: false,
        deleted: false,
      };
    case 'UserProfileUpdated':
      return (
        state && { ...state, name: event.data.name ?? state.name, email: event.data.email ?? state.email }
      );
    case 'UserRoleChanged':
      return state && { ...state, role: event.data.role };
    case 'UserPasswordChanged':
      return state && { ...state, passwordHash: event.data.passwordHash };
    case 'UserTotpEnabled':
      return state && { ...state, totpSecret: event.data.totpSecret };
    case 'UserTotpDisabled':
      return state && { ...state, totpSecret: null };
    case 'UserDisabled':
      return state && { ...state, disabled: true };
    case 'UserEnabled':
      return state && { ...state, disabled: false };
    case 'UserDeleted':
      return state && { ...state, deleted: true };
    default:
      return state;
  }
};

export const evolveGroup: Evolve<GroupState> = (state, event) => {
  switch (event.type) {
    case 'GroupCreated':
      return { orgId: event.orgId, name: event.data.name, members: new Set(), deleted: false };
    case 'GroupRenamed':
      return state && { ...state, name: event.data.name };
    case 'GroupMemberAdded':
      return state && { ...state, members: new Set([...state.members, event.data.userId]) };
    case 'GroupMemberRemoved':
      return (
        state && { ...state, members: new Set([...state.members].filter((m) => m !== event.data.userId)) }
      );
    case 'GroupDeleted':
      return state && { ...state, deleted: true };
    default:
      return state;
  }
};

export const evolveApiKey: Evolve<ApiKeyState> = (state, event) => {
  switch (event.type) {
    case 'ApiKeyCreated':
      return {
        orgId: event.orgId,
        name: event.data.name,
        role: event.data.role,
        ownerUserId: event.data.ownerUserId,
        secretHash: event.data.secretHash,
        expiresAt: event.data.expiresAt,
        revoked: false,
      };
    case 'ApiKeyRevoked':
      return state && { ...state, revoked: true };
    default:
      return state;
  }
};

export const evolveSession: Evolve<SessionState> = (state, event) => {
  switch (event.type) {
    case 'SessionStarted':
      return {
        orgId: event.orgId,
        userId: event.data.userId,
        refreshHash: event.data.refreshHash,
        expiresAt: event.data.expiresAt,
        revoked: false,
      };
    case 'SessionRefreshed':
      return state && { ...state, refreshHash: event.data.refreshHash, expiresAt: event.data.expiresAt };
    case 'SessionRevoked':
      return state && { ...state, revoked: true };
    default:
      return state;
  }
};

export const evolveEmail: Evolve<EmailState> = (state, event) => {
  switch (event.type) {
    case 'EmailClaimed':
      return { userId: event.data.userId };
    case 'EmailReleased':
      return { userId: null };
    default:
      return state;
  }
};
