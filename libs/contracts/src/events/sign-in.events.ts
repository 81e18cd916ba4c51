import { z } from 'zod';
import { defineEvent } from '../event-definition';
import { EmailSchema, IdSchema, NameSchema } from '../fields';

/** The roles an identity provider's claims may give (never owner: owners are named by owners). */
export const MappedRoleSchema = z.enum(['admin', 'member']);

const ClaimName = z.string().min(1).max(100);
const ProviderGroup = z.string().min(1).max(200);
const boundedRecord = <V extends z.ZodType>(value: V) =>
  z
    .record(ProviderGroup, value)
    .refine((r) => Object.keys(r).length <= 200, { message: 'at most 200 provider groups' });

/**
 * How a provider's ID token claims become who someone is here: which claims carry the email, the
 * name and the groups; which of our groups and which role each provider group gives. The role is
 * the highest any of the person's provider groups maps to, else `defaultRole`.
 */
export const ClaimMappingsSchema = z.strictObject({
  emailClaim: ClaimName.default('email'),
  nameClaim: ClaimName.default('name'),
  groupsClaim: ClaimName.default('groups'),
  groups: boundedRecord(z.array(IdSchema).max(50)).default({}),
  roles: boundedRecord(MappedRoleSchema).default({}),
  defaultRole: MappedRoleSchema.default('member'),
});
export type ClaimMappings = z.infer<typeof ClaimMappingsSchema>;

/** An OpenID scope token (RFC 6749 §3.3). */
export const ScopeSchema = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/, 'is not a scope token');

const ProviderSettings = {
  name: NameSchema,
  issuer: z.url().max(500),
  clientId: z.string().min(1).max(500),
  /** The client secret sealed with the console's secrets key (AES-256-GCM); never the secret itself. */
  clientSecretSealed: z.string().min(1).max(4000),
  scopes: z.array(ScopeSchema).min(1).max(30),
  claimMappings: ClaimMappingsSchema,
  /** Create an account on a first sign-in from someone the organisation does not know yet. */
  jitProvisioning: z.boolean(),
  /** People who signed in through this provider may not sign in with a password. */
  requireSso: z.boolean(),
};

// Identity provider — an organisation's OpenID Connect provider.
export const IdentityProviderAdded = defineEvent({
  type: 'IdentityProviderAdded',
  aggregate: 'identity_provider',
  schema: z.object({ type: z.literal('oidc'), ...ProviderSettings }),
  sensitive: ['clientSecretSealed'],
});
export const IdentityProviderChanged = defineEvent({
  type: 'IdentityProviderChanged',
  aggregate: 'identity_provider',
  schema: z.object(ProviderSettings).partial(),
  sensitive: ['clientSecretSealed'],
});
export const IdentityProviderRemoved = defineEvent({
  type: 'IdentityProviderRemoved',
  aggregate: 'identity_provider',
  schema: z.object({}),
});

// User — accounts made or linked by a provider sign-in.
export const UserProvisioned = defineEvent({
  type: 'UserProvisioned',
  aggregate: 'user',
  schema: z.object({
    email: EmailSchema,
    name: NameSchema,
    role: MappedRoleSchema,
    providerId: IdSchema,
    subject: z.string().min(1).max(255),
  }),
});
export const UserExternalIdentityLinked = defineEvent({
  type: 'UserExternalIdentityLinked',
  aggregate: 'user',
  schema: z.object({ providerId: IdSchema, subject: z.string().min(1).max(255) }),
});

/** Why a sign-in through a provider was refused (also the audit log's vocabulary). */
export const EXTERNAL_SIGN_IN_REFUSALS = [
  'invalid_response',
  'missing_email',
  'email_not_verified',
  'no_account',
  'account_conflict',
  'provider_unavailable',
] as const;

// External sign-in — one aggregate per attempt, so the audit log has every one.
export const ExternalSignInCompleted = defineEvent({
  type: 'ExternalSignInCompleted',
  aggregate: 'external_sign_in',
  schema: z.object({
    providerId: IdSchema,
    userId: IdSchema,
    subject: z.string().min(1).max(255),
    email: EmailSchema,
    provisioned: z.boolean(),
    linked: z.boolean(),
  }),
});
export const ExternalSignInRefused = defineEvent({
  type: 'ExternalSignInRefused',
  aggregate: 'external_sign_in',
  schema: z.object({
    providerId: IdSchema,
    reason: z.enum(EXTERNAL_SIGN_IN_REFUSALS),
    detail: z.string().max(500),
    subject: z.string().max(255).nullable(),
    email: z.string().max(254).nullable(),
  }),
});

export const signInEvents = [
  IdentityProviderAdded,
  IdentityProviderChanged,
  IdentityProviderRemoved,
  UserProvisioned,
  UserExternalIdentityLinked,
  ExternalSignInCompleted,
  ExternalSignInRefused,
] as const;
