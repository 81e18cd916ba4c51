import { z } from 'zod';
import { IdSchema, NameSchema } from '../fields';
import { CredentialIdSchema } from '../events/passkey.events';
import { ClaimMappingsSchema, ScopeSchema, type ClaimMappings } from '../events/sign-in.events';
import { PrincipalSchema } from './principal';
import type { TokenPair } from './identity.messages';

const Authed = { principal: PrincipalSchema };
const Version = z.number().int().min(0).optional();

/** Where the console's OIDC callback for a provider lives; the redirect URI to register at the provider. */
export const oidcCallbackPath = (providerId: string) => `/api/v1/auth/oidc/${providerId}/callback`;
/** Where a browser starts signing in through a provider. */
export const oidcStartPath = (providerId: string) => `/api/v1/auth/oidc/${providerId}/start`;

const Settings = {
  name: NameSchema,
  issuer: z.url().max(500),
  clientId: z.string().min(1).max(500),
  clientSecret: z.string().min(1).max(2000),
  scopes: z.array(ScopeSchema).min(1).max(30),
  claimMappings: ClaimMappingsSchema,
  jitProvisioning: z.boolean(),
  requireSso: z.boolean(),
};

/**
 * Where the browser goes once a provider sign-in is complete: a resource behind a gateway (through
 * the console's login page), a path of the console itself, or the CLI (a loopback redirect, or
 * `manual`: the one-time code is shown for the person to paste). The CLI binds the code to its own
 * PKCE challenge, so a code seen by anyone else is useless.
 */
export const SignInReturnSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('resource'), url: z.string().min(1).max(2000) }),
  z.object({ kind: z.literal('console'), path: z.string().regex(/^\/(?!\/)[^\s\\]{0,1999}$/) }),
  z.object({
    kind: z.literal('cli'),
    redirect: z.union([z.literal('manual'), z.string().max(200)]),
    challenge: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url SHA-256 (PKCE S256)'),
  }),
]);
export type SignInReturn = z.infer<typeof SignInReturnSchema>;

const WebAuthnResponse = z
  .record(z.string(), z.unknown())
  .refine((r) => JSON.stringify(r).length <= 16_000, { message: 'is too large for a WebAuthn answer' });

/** Request schemas of sign-in through identity providers, by NATS pattern (served by identity). */
export const SignInRequests = {
  'identity.idp.create': z.object({
    ...Authed,
    type: z.literal('oidc'),
    ...Settings,
    scopes: Settings.scopes.default(['openid', 'email', 'profile']),
    claimMappings: ClaimMappingsSchema.default(ClaimMappingsSchema.parse({})),
    jitProvisioning: z.boolean().default(true),
    requireSso: z.boolean().default(false),
  }),
  'identity.idp.list': z.object(Authed),
  'identity.idp.get': z.object({ ...Authed, id: IdSchema }),
  'identity.idp.update': z.object({
    ...Authed,
    id: IdSchema,
    expectedVersion: Version,
    changes: z.object(Settings).partial(),
  }),
  'identity.idp.delete': z.object({ ...Authed, id: IdSchema, expectedVersion: Version }),
  /** The providers a sign-in page offers: of the organisation with this slug or id, else the default one. */
  'identity.idp.forSignIn': z.object({
    orgSlug: z
      .string()
      .regex(/^[a-z0-9-]{1,63}$/)
      .optional(),
    orgId: IdSchema.optional(),
  }),
  'identity.oidc.start': z.object({
    providerId: IdSchema,
    /** A random value the API keeps in a cookie of this browser: the callback must come back with it. */
    browserBinding: z.string().min(32).max(200),
    returnTo: SignInReturnSchema,
  }),
  'identity.oidc.complete': z.object({
    providerId: IdSchema,
    /** The callback's query string as received (code, state, iss, or error). */
    query: z.string().max(8000),
    browserBinding: z.string().max(200).nullable(),
    ip: z.string().nullable(),
    userAgent: z.string().max(500).nullable(),
  }),
  /** A one-time sign-in code (from a provider sign-in) for tokens; the CLI sends its PKCE verifier. */
  'identity.signin.redeem': z.object({
    code: z.string().min(1).max(200),
    verifier: z.string().min(43).max(128).optional(),
    ip: z.string().nullable(),
    userAgent: z.string().max(500).nullable(),
  }),

  /** A browser's WebAuthn answer (registration or assertion) as @simplewebauthn/browser gives it. */
  'identity.passkeys.registrationOptions': z.object(Authed),
  'identity.passkeys.register': z.object({ ...Authed, response: WebAuthnResponse, name: NameSchema }),
  'identity.passkeys.list': z.object(Authed),
  'identity.passkeys.rename': z.object({ ...Authed, credentialId: CredentialIdSchema, name: NameSchema }),
  'identity.passkeys.remove': z.object({ ...Authed, credentialId: CredentialIdSchema }),
  'identity.passkeys.only': z.object({ ...Authed, enabled: z.boolean() }),
  'identity.passkeys.authenticationOptions': z.object({}),
  'identity.passkeys.authenticate': z.object({
    response: WebAuthnResponse,
    ip: z.string().nullable(),
    userAgent: z.string().max(500).nullable(),
  }),
} as const;

export interface PasskeyView {
  /** The credential id (base64url). */
  id: string;
  name: string;
  transports: string[];
  createdAt: string;
  lastUsedAt: string | null;
}

export interface IdentityProviderView {
  id: string;
  orgId: string;
  type: 'oidc';
  name: string;
  issuer: string;
  clientId: string;
  scopes: string[];
  claimMappings: ClaimMappings;
  jitProvisioning: boolean;
  requireSso: boolean;
  /** The exact redirect URI to register at the provider. */
  redirectUri: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** A provider as a sign-in page shows it: no settings, just where to start. */
export interface SignInProviderView {
  id: string;
  name: string;
  type: 'oidc';
  startPath: string;
}

export interface SignInResponses {
  'identity.idp.create': IdentityProviderView;
  'identity.idp.list': { items: IdentityProviderView[] };
  'identity.idp.get': IdentityProviderView;
  'identity.idp.update': IdentityProviderView;
  'identity.idp.delete': { deleted: true };
  'identity.idp.forSignIn': { organization: string; items: SignInProviderView[] };
  'identity.oidc.start': { authorizationUrl: string };
  /** `code` is the one-time sign-in code (60 s) to redeem; `returnTo` as given at the start. */
  'identity.oidc.complete': { code: string; returnTo: SignInReturn };
  'identity.signin.redeem': TokenPair;
  'identity.passkeys.registrationOptions': Record<string, unknown>;
  'identity.passkeys.register': PasskeyView;
  'identity.passkeys.list': { items: PasskeyView[]; passkeyOnly: boolean };
  'identity.passkeys.rename': PasskeyView;
  'identity.passkeys.remove': { removed: true };
  'identity.passkeys.only': { passkeyOnly: boolean };
  'identity.passkeys.authenticationOptions': Record<string, unknown>;
  'identity.passkeys.authenticate': TokenPair;
}
