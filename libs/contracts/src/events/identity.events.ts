import { z } from 'zod';
import { EmailSchema, NameSchema } from '../fields';
import { defineEvent } from '../event-definition';

/** Roles, from most to least powerful. */
export const ROLES = ['owner', 'admin', 'member'] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

const Email = EmailSchema;
const Name = NameSchema;

// Organization — a tenant. Every other aggregate belongs to exactly one.
export const OrganizationCreated = defineEvent({
  type: 'OrganizationCreated',
  aggregate: 'organization',
  schema: z.object({ name: Name, slug: z.string().regex(/^[a-z0-9-]{1,63}$/) }),
});
export const OrganizationRenamed = defineEvent({
  type: 'OrganizationRenamed',
  aggregate: 'organization',
  schema: z.object({ name: Name }),
});
export const OrganizationDeleted = defineEvent({
  type: 'OrganizationDeleted',
  aggregate: 'organization',
  schema: z.object({}),
});

// Email — one aggregate per address (id: a hash of it), so two users can never claim one address.
export const EmailClaimed = defineEvent({
  type: 'EmailClaimed',
  aggregate: 'email',
  schema: z.object({ userId: z.string(), email: Email }),
});
export const EmailReleased = defineEvent({
  type: 'EmailReleased',
  aggregate: 'email',
  schema: z.object({ userId: z.string() }),
});

// User
export const UserRegistered = defineEvent({
  type: 'UserRegistered',
  aggregate: 'user',
  schema: z.object({ email: Email, name: Name, role: RoleSchema, passwordHash: z.string().min(1) }),
  sensitive: ['passwordHash'],
});
export const UserProfileUpdated = defineEvent({
  type: 'UserProfileUpdated',
  aggregate: 'user',
  schema: z.object({ name: Name.optional(), email: Email.optional() }),
});
export const UserRoleChanged = defineEvent({
  type: 'UserRoleChanged',
  aggregate: 'user',
  schema: z.object({ role: RoleSchema }),
});
export const UserPasswordChanged = defineEvent({
  type: 'UserPasswordChanged',
  aggregate: 'user',
  schema: z.object({ passwordHash: z.string().min(1) }),
  sensitive: ['passwordHash'],
});
export const UserTotpEnabled = defineEvent({
  type: 'UserTotpEnabled',
  aggregate: 'user',
  schema: z.object({ totpSecret: z.string().min(16) }),
  sensitive: ['totpSecret'],
});
export const UserTotpDisabled = defineEvent({
  type: 'UserTotpDisabled',
  aggregate: 'user',
  schema: z.object({}),
});
export const UserDeleted = defineEvent({ type: 'UserDeleted', aggregate: 'user', schema: z.object({}) });
/** An admin turned the account off: it keeps its data, but cannot sign in and its devices reach nothing. */
export const UserDisabled = defineEvent({ type: 'UserDisabled', aggregate: 'user', schema: z.object({}) });
/** A disabled account turned back on. */
export const UserEnabled = defineEvent({ type: 'UserEnabled', aggregate: 'user', schema: z.object({}) });

// Group
export const GroupCreated = defineEvent({
  type: 'GroupCreated',
  aggregate: 'group',
  schema: z.object({ name: Name }),
});
export const GroupRenamed = defineEvent({
  type: 'GroupRenamed',
  aggregate: 'group',
  schema: z.object({ name: Name }),
});
export const GroupMemberAdded = defineEvent({
  type: 'GroupMemberAdded',
  aggregate: 'group',
  schema: z.object({ userId: z.string() }),
});
export const GroupMemberRemoved = defineEvent({
  type: 'GroupMemberRemoved',
  aggregate: 'group',
  schema: z.object({ userId: z.string() }),
});
export const GroupDeleted = defineEvent({ type: 'GroupDeleted', aggregate: 'group', schema: z.object({}) });

// API key — for the CLI and automation; only a hash of the secret is kept.
export const ApiKeyCreated = defineEvent({
  type: 'ApiKeyCreated',
  aggregate: 'api_key',
  schema: z.object({
    name: Name,
    role: RoleSchema,
    ownerUserId: z.string(),
    secretHash: z.string().min(1),
    expiresAt: z.iso.datetime().nullable(),
  }),
  sensitive: ['secretHash'],
});
export const ApiKeyRevoked = defineEvent({
  type: 'ApiKeyRevoked',
  aggregate: 'api_key',
  schema: z.object({}),
});

// Session — a login; its refresh token is rotated on every refresh.
export const SessionStarted = defineEvent({
  type: 'SessionStarted',
  aggregate: 'session',
  schema: z.object({
    userId: z.string(),
    refreshHash: z.string().min(1),
    expiresAt: z.iso.datetime(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
  }),
  sensitive: ['refreshHash'],
});
export const SessionRefreshed = defineEvent({
  type: 'SessionRefreshed',
  aggregate: 'session',
  schema: z.object({ refreshHash: z.string().min(1), expiresAt: z.iso.datetime() }),
  sensitive: ['refreshHash'],
});
export const SessionRevoked = defineEvent({
  type: 'SessionRevoked',
  aggregate: 'session',
  schema: z.object({
    reason: z.enum([
      'logout',
      'revoked',
      'user_deleted',
      'user_disabled',
      'password_changed',
      'refresh_reuse',
    ]),
  }),
});

// Signing keys — only public material; private keys never enter the event stream.
export const SigningKeyRotated = defineEvent({
  type: 'SigningKeyRotated',
  aggregate: 'signing_key',
  schema: z.object({ kid: z.string(), publicJwk: z.record(z.string(), z.unknown()) }),
});

export const identityEvents = [
  OrganizationCreated,
  OrganizationRenamed,
  OrganizationDeleted,
  EmailClaimed,
  EmailReleased,
  UserRegistered,
  UserProfileUpdated,
  UserRoleChanged,
  UserPasswordChanged,
  UserTotpEnabled,
  UserTotpDisabled,
  UserDeleted,
  UserDisabled,
  UserEnabled,
  GroupCreated,
  GroupRenamed,
  GroupMemberAdded,
  GroupMemberRemoved,
  GroupDeleted,
  ApiKeyCreated,
  ApiKeyRevoked,
  SessionStarted,
  SessionRefreshed,
  SessionRevoked,
  SigningKeyRotated,
] as const;
