import { z } from 'zod';
import { EmailSchema, IdSchema, NameSchema, PasswordSchema } from '../fields';
import { RoleSchema } from '../events/identity.events';
import { PrincipalSchema } from './principal';
import { SignInRequests, type SignInResponses } from './sign-in.messages';

const Email = EmailSchema;
const Password = PasswordSchema;
const Name = NameSchema;
const Id = IdSchema;
const Version = z.number().int().min(0).optional();
const Page = { cursor: z.string().max(200).optional(), limit: z.number().int().min(1).max(500).default(100) };
const Authed = { principal: PrincipalSchema };

/** Request schemas of the identity service, by NATS pattern. */
export const IdentityRequests = {
  'identity.login': z.object({
    email: Email,
    password: z.string().min(1).max(1024),
    totp: z
      .string()
      .regex(/^\d{6}$/, 'must be 6 digits')
      .optional(),
    ip: z.string().nullable(),
    userAgent: z.string().max(500).nullable(),
  }),
  'identity.refresh': z.object({ refreshToken: z.string().min(1).max(500) }),
  'identity.logout': z.object(Authed),
  'identity.jwks': z.object({}),
  /** A one-minute token that carries the caller's console session to a resource's gateway. */
  'identity.handoff.issue': z.object({ ...Authed, resourceId: Id, host: z.string().min(1).max(253) }),
  'identity.keys.rotate': z.object(Authed),
  'identity.apikey.verify': z.object({ key: z.string().min(1).max(500) }),
  /** An API key's caller gets a short access token (for gateways, which check tokens locally). */
  'identity.apikey.exchange': z.object(Authed),

  'identity.orgs.create': z.object({
    ...Authed,
    name: Name,
    owner: z.object({ email: Email, name: Name, password: Password }),
  }),
  /** Whether the platform still waits for its first administrator (the console's first-run page). */
  'identity.setup.status': z.object({}),
  /** The first run: the default organisation, named, and its first owner; refused once it exists. */
  'identity.setup.complete': z.object({ organization: Name, email: Email, name: Name, password: Password }),
  'identity.orgs.list': z.object(Authed),
  'identity.orgs.get': z.object({ ...Authed, id: Id }),
  'identity.orgs.update': z.object({ ...Authed, id: Id, expectedVersion: Version, name: Name }),
  'identity.orgs.delete': z.object({ ...Authed, id: Id, expectedVersion: Version }),

  'identity.users.create': z.object({
    ...Authed,
    email: Email,
    name: Name,
    password: Password,
    role: RoleSchema.default('member'),
  }),
  'identity.users.list': z.object({ ...Authed, ...Page }),
  'identity.users.get': z.object({ ...Authed, id: Id }),
  'identity.users.update': z.object({
    ...Authed,
    id: Id,
    expectedVersion: Version,
    name: Name.optional(),
    email: Email.optional(),
    role: RoleSchema.optional(),
    password: Password.optional(),
  }),
  'identity.users.delete': z.object({ ...Authed, id: Id, expectedVersion: Version }),
  /** Turns an account off (no sign-in, sessions ended, devices cut) or back on; admins only. */
  'identity.users.disable': z.object({ ...Authed, id: Id, expectedVersion: Version }),
  'identity.users.enable': z.object({ ...Authed, id: Id, expectedVersion: Version }),
  'identity.totp.setup': z.object(Authed),
  'identity.totp.enable': z.object({
    ...Authed,
    secret: z.string().min(16).max(128),
    code: z.string().regex(/^\d{6}$/),
  }),
  'identity.totp.disable': z.object(Authed),

  'identity.groups.create': z.object({ ...Authed, name: Name }),
  'identity.groups.list': z.object({ ...Authed, ...Page }),
  'identity.groups.get': z.object({ ...Authed, id: Id }),
  'identity.groups.update': z.object({ ...Authed, id: Id, expectedVersion: Version, name: Name }),
  'identity.groups.delete': z.object({ ...Authed, id: Id, expectedVersion: Version }),
  'identity.groups.members.add': z.object({ ...Authed, id: Id, userId: Id }),
  'identity.groups.members.remove': z.object({ ...Authed, id: Id, userId: Id }),

  'identity.apikeys.create': z.object({
    ...Authed,
    name: Name,
    role: RoleSchema.default('member'),
    expiresInDays: z.number().int().min(1).max(3650).optional(),
  }),
  'identity.apikeys.list': z.object({ ...Authed, ...Page }),
  'identity.apikeys.revoke': z.object({ ...Authed, id: Id }),
  ...SignInRequests,
} as const;

export type IdentityPattern = keyof typeof IdentityRequests;
/** What a caller sends (defaults may be left out). */
export type IdentityRequest<P extends IdentityPattern> = z.input<(typeof IdentityRequests)[P]>;
/** What the service works with once the request is parsed (defaults filled in). */
export type IdentityCommand<P extends IdentityPattern> = z.output<(typeof IdentityRequests)[P]>;

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export interface OrganizationView {
  id: string;
  name: string;
  slug: string;
  createdAt: string;
  version: number;
}

export interface UserView {
  id: string;
  orgId: string;
  email: string;
  name: string;
  role: z.infer<typeof RoleSchema>;
  totpEnabled: boolean;
  /** A disabled account cannot sign in, and its devices reach nothing. */
  disabled: boolean;
  groups: string[];
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface GroupView {
  id: string;
  orgId: string;
  name: string;
  members: string[];
  createdAt: string;
  version: number;
}

export interface ApiKeyView {
  id: string;
  orgId: string;
  name: string;
  role: z.infer<typeof RoleSchema>;
  ownerUserId: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Response types of the identity service, by NATS pattern. */
export interface IdentityResponses extends SignInResponses {
  'identity.login': TokenPair;
  'identity.refresh': TokenPair;
  'identity.logout': { revoked: true };
  'identity.jwks': { keys: Record<string, unknown>[] };
  'identity.handoff.issue': { token: string; expiresIn: number };
  'identity.keys.rotate': { kid: string };
  'identity.apikey.verify': z.infer<typeof PrincipalSchema>;
  'identity.apikey.exchange': { accessToken: string; expiresIn: number };
  'identity.orgs.create': { organization: OrganizationView; owner: UserView };
  'identity.setup.status': { needed: boolean };
  'identity.setup.complete': { organization: OrganizationView; owner: UserView };
  'identity.orgs.list': Page<OrganizationView>;
  'identity.orgs.get': OrganizationView;
  'identity.orgs.update': OrganizationView;
  'identity.orgs.delete': { deleted: true };
  'identity.users.create': UserView;
  'identity.users.list': Page<UserView>;
  'identity.users.get': UserView;
  'identity.users.update': UserView;
  'identity.users.delete': { deleted: true };
  'identity.users.disable': UserView;
  'identity.users.enable': UserView;
  'identity.totp.setup': { secret: string; otpauthUrl: string };
  'identity.totp.enable': UserView;
  'identity.totp.disable': UserView;
  'identity.groups.create': GroupView;
  'identity.groups.list': Page<GroupView>;
  'identity.groups.get': GroupView;
  'identity.groups.update': GroupView;
  'identity.groups.delete': { deleted: true };
  'identity.groups.members.add': GroupView;
  'identity.groups.members.remove': GroupView;
  'identity.apikeys.create': ApiKeyView & { key: string };
  'identity.apikeys.list': Page<ApiKeyView>;
  'identity.apikeys.revoke': ApiKeyView;
}
