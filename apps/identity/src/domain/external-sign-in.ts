import type { ClaimMappings, EXTERNAL_SIGN_IN_REFUSALS, Role } from '@rustronaut/contracts';

/**
 * Who a provider says someone is, and who that makes them here. Pure: the ID token was checked
 * (issuer, audience, expiry, signature, nonce) before its claims reach these functions.
 */
export interface ProviderIdentity {
  subject: string;
  email: string | undefined;
  emailVerified: boolean;
  name: string | undefined;
  groups: string[];
}

export type RefusalReason = (typeof EXTERNAL_SIGN_IN_REFUSALS)[number];

/** Reads the claims the mapping names; a claim of the wrong type counts as absent. */
export function identityFromClaims(
  claims: Record<string, unknown>,
  mappings: ClaimMappings,
): ProviderIdentity {
  const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  const groupsClaim = claims[mappings.groupsClaim];
  const groups = Array.isArray(groupsClaim)
    ? groupsClaim.filter((g): g is string => typeof g === 'string')
    : typeof groupsClaim === 'string'
      ? [groupsClaim]
      : [];
  const email = text(claims[mappings.emailClaim]);
  return {
    subject: String(claims['sub'] ?? ''),
    email: email && EMAIL.test(email) && email.length <= 254 ? email : undefined,
    // Only a boolean true (or the string "true" some providers send) says the address was verified.
    emailVerified: claims['email_verified'] === true || claims['email_verified'] === 'true',
    name: text(claims[mappings.nameClaim])?.slice(0, 200),
    groups,
  };
}
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface MappedAccess {
  role: 'admin' | 'member';
  /** The groups the person belongs to according to the provider (among the mapped ones). */
  groupIds: Set<string>;
  /** Every group the mapping manages: membership in these follows the provider. */
  managedGroupIds: Set<string>;
}

/** The role is the highest any of the person's provider groups maps to, else the default. */
export function mapAccess(groups: readonly string[], mappings: ClaimMappings): MappedAccess {
  const mine = new Set(groups);
  let role = mappings.defaultRole;
  const groupIds = new Set<string>();
  const managedGroupIds = new Set<string>();
  for (const [providerGroup, ids] of Object.entries(mappings.groups)) {
    for (const id of ids) {
      managedGroupIds.add(id);
      if (mine.has(providerGroup)) groupIds.add(id);
    }
  }
  for (const [providerGroup, mapped] of Object.entries(mappings.roles)) {
    if (mine.has(providerGroup) && mapped === 'admin') role = 'admin';
  }
  return { role, groupIds, managedGroupIds };
}

export interface KnownUser {
  id: string;
  orgId: string;
  role: Role;
  groups: string[];
  /** The subject this user is linked to at this provider, if any. */
  subjectAtProvider: string | null;
}

export type SignInDecision =
  | { kind: 'refuse'; reason: RefusalReason; detail: string }
  | { kind: 'existing'; userId: string; link: boolean }
  | { kind: 'provision'; email: string; name: string };

/**
 * Whose account a provider sign-in opens: the one linked to this subject; else the one with this
 * email, only when the provider says the email is verified (then it is linked); else a new one,
 * when the provider provisions just in time. Everything else is refused.
 */
export function decideExternalSignIn(input: {
  orgId: string;
  jitProvisioning: boolean;
  identity: ProviderIdentity;
  linked: KnownUser | undefined;
  byEmail: KnownUser | undefined;
}): SignInDecision {
  const { identity, linked, byEmail } = input;
  if (!identity.subject)
    return { kind: 'refuse', reason: 'invalid_response', detail: 'the ID token has no subject' };
  if (linked) return { kind: 'existing', userId: linked.id, link: false };
  if (!identity.email)
    return { kind: 'refuse', reason: 'missing_email', detail: 'the provider sent no usable email address' };
  if (byEmail) {
    if (byEmail.orgId !== input.orgId)
      return {
        kind: 'refuse',
        reason: 'account_conflict',
        detail: 'this email belongs to an account of another organisation',
      };
    if (byEmail.subjectAtProvider && byEmail.subjectAtProvider !== identity.subject)
      return {
        kind: 'refuse',
        reason: 'account_conflict',
        detail: 'this email belongs to an account linked to another identity at this provider',
      };
    if (!identity.emailVerified)
      return {
        kind: 'refuse',
        reason: 'email_not_verified',
        detail: 'an account with this email exists, and the provider does not say the email is verified',
      };
    return { kind: 'existing', userId: byEmail.id, link: true };
  }
  if (!input.jitProvisioning)
    return {
      kind: 'refuse',
      reason: 'no_account',
      detail: 'there is no account for this person and this provider does not create accounts',
    };
  return {
    kind: 'provision',
    email: identity.email,
    name: identity.name ?? identity.email.slice(0, identity.email.indexOf('@')),
  };
}

export interface AccessChanges {
  role: 'admin' | 'member' | undefined;
  addTo: string[];
  removeFrom: string[];
}

/**
 * What must change for the account to match the provider: its role (owners keep theirs: the
 * provider never demotes or names an owner), and its membership of the groups the mapping manages.
 */
export function accessChanges(
  user: { role: Role; groups: readonly string[] },
  access: MappedAccess,
): AccessChanges {
  const current = new Set(user.groups);
  return {
    role: user.role !== 'owner' && user.role !== access.role ? access.role : undefined,
    addTo: [...access.groupIds].filter((g) => !current.has(g)).sort(),
    removeFrom: [...access.managedGroupIds].filter((g) => current.has(g) && !access.groupIds.has(g)).sort(),
  };
}
