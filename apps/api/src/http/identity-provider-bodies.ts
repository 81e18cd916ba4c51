import { z } from 'zod';
import {
  ClaimMappingsSchema,
  IdSchema,
  MappedRoleSchema,
  NameSchema,
  ScopeSchema,
  type ClaimMappings,
  type IdentityProviderView,
  type SignInProviderView,
} from '@rustronaut/contracts';

/**
 * Identity providers over HTTP, snake_case as clients send them. Written out (not `keys: 'camel'`):
 * the claim mappings' record keys are the provider's group names, which must reach us untouched.
 */
const ClaimName = z.string().min(1).max(100);
const ProviderGroups = z.record(z.string().min(1).max(200), z.array(IdSchema).max(50));
const ProviderRoles = z.record(z.string().min(1).max(200), MappedRoleSchema);

export const ClaimMappingsBody = z.strictObject({
  email_claim: ClaimName.optional().describe('the claim with the email (default "email")'),
  name_claim: ClaimName.optional().describe('the claim with the display name (default "name")'),
  groups_claim: ClaimName.optional().describe('the claim with the provider groups (default "groups")'),
  groups: ProviderGroups.optional().describe('provider group → our group ids'),
  roles: ProviderRoles.optional().describe('provider group → role (admin or member); the highest wins'),
  default_role: MappedRoleSchema.optional().describe('the role when no provider group maps to one'),
});

const Settings = {
  name: NameSchema,
  issuer: z
    .url()
    .max(500)
    .describe("the provider's issuer URL (discovery: <issuer>/.well-known/openid-configuration)"),
  client_id: z.string().min(1).max(500),
  client_secret: z.string().min(1).max(2000).describe('stored sealed; never shown again'),
  scopes: z.array(ScopeSchema).min(1).max(30).describe('default openid email profile'),
  claim_mappings: ClaimMappingsBody,
  jit_provisioning: z.boolean().describe('create an account at a first sign-in (default true)'),
  require_sso: z
    .boolean()
    .describe('people who signed in through this provider may not sign in with a password (default false)'),
};

export const CreateIdentityProviderBody = z.strictObject({
  type: z.literal('oidc'),
  name: Settings.name,
  issuer: Settings.issuer,
  client_id: Settings.client_id,
  client_secret: Settings.client_secret,
  scopes: Settings.scopes.optional(),
  claim_mappings: Settings.claim_mappings.optional(),
  jit_provisioning: Settings.jit_provisioning.optional(),
  require_sso: Settings.require_sso.optional(),
});
export const UpdateIdentityProviderBody = z.strictObject(Settings).partial();

export const claimMappingsOf = (body: z.output<typeof ClaimMappingsBody>): ClaimMappings =>
  ClaimMappingsSchema.parse({
    emailClaim: body.email_claim,
    nameClaim: body.name_claim,
    groupsClaim: body.groups_claim,
    groups: body.groups,
    roles: body.roles,
    defaultRole: body.default_role,
  });

/** The settings of a body, camelCase; only what the body has. */
export function providerSettingsOf(body: z.output<typeof UpdateIdentityProviderBody>) {
  const settings = {
    name: body.name,
    issuer: body.issuer,
    clientId: body.client_id,
    clientSecret: body.client_secret,
    scopes: body.scopes,
    claimMappings: body.claim_mappings && claimMappingsOf(body.claim_mappings),
    jitProvisioning: body.jit_provisioning,
    requireSso: body.require_sso,
  };
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as Partial<
    typeof settings
  >;
}

export const identityProviderJson = (p: IdentityProviderView) => ({
  id: p.id,
  type: p.type,
  name: p.name,
  issuer: p.issuer,
  client_id: p.clientId,
  scopes: p.scopes,
  claim_mappings: {
    email_claim: p.claimMappings.emailClaim,
    name_claim: p.claimMappings.nameClaim,
    groups_claim: p.claimMappings.groupsClaim,
    groups: p.claimMappings.groups,
    roles: p.claimMappings.roles,
    default_role: p.claimMappings.defaultRole,
  },
  jit_provisioning: p.jitProvisioning,
  require_sso: p.requireSso,
  redirect_uri: p.redirectUri,
  created_at: p.createdAt,
  updated_at: p.updatedAt,
  version: p.version,
});

export const IdentityProviderJson = z.object({
  id: IdSchema,
  type: z.literal('oidc'),
  name: z.string(),
  issuer: z.string(),
  client_id: z.string(),
  scopes: z.array(z.string()),
  claim_mappings: z.object({
    email_claim: z.string(),
    name_claim: z.string(),
    groups_claim: z.string(),
    groups: z.record(z.string(), z.array(z.string())),
    roles: z.record(z.string(), MappedRoleSchema),
    default_role: MappedRoleSchema,
  }),
  jit_provisioning: z.boolean(),
  require_sso: z.boolean(),
  redirect_uri: z.string().describe('register exactly this redirect URI at the provider'),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.number().int(),
});
export const IdentityProviderListJson = z.object({ items: z.array(IdentityProviderJson) });

export const signInProviderJson = (p: SignInProviderView) => ({
  id: p.id,
  name: p.name,
  type: p.type,
  start_url: p.startPath,
});
export const SignInProvidersJson = z.object({
  organization: z.string().describe('the organisation whose providers these are'),
  providers: z.array(
    z.object({
      id: IdSchema,
      name: z.string(),
      type: z.literal('oidc'),
      start_url: z
        .string()
        .describe(
          'send the browser here (GET) to sign in; add ?return=<resource URL>, ?console=/<path>, or for the CLI ?cli_redirect=…&cli_challenge=…',
        ),
    }),
  ),
});

export const SignInProvidersQuery = z.strictObject({
  org: z
    .string()
    .regex(/^[a-z0-9-]{1,63}$/)
    .optional()
    .describe("the organisation's slug; the default organisation when left out"),
});

/** Where the browser goes back after signing in through a provider: exactly one of these. */
export const OidcStartQuery = z
  .strictObject({
    return: z
      .string()
      .min(1)
      .max(2000)
      .optional()
      .describe('a resource URL (through the console login page)'),
    console: z
      .string()
      .regex(/^\/(?!\/)[^\s\\]{0,1999}$/, 'must be a path of the console, such as /')
      .optional()
      .describe('a path of the web console'),
    cli_redirect: z
      .string()
      .max(200)
      .optional()
      .describe('the CLI: http://127.0.0.1:<port>/… (loopback) or "manual" (the code is shown to copy)'),
    cli_challenge: z
      .string()
      .regex(/^[A-Za-z0-9_-]{43}$/)
      .optional()
      .describe('the CLI: base64url SHA-256 of its verifier (PKCE S256), needed with cli_redirect'),
  })
  .refine((q) => [q.return, q.console, q.cli_redirect].filter((v) => v !== undefined).length <= 1, {
    message: 'give one of return, console or cli_redirect',
  })
  .refine((q) => (q.cli_redirect === undefined) === (q.cli_challenge === undefined), {
    message: 'cli_redirect and cli_challenge go together',
  });

export const RedeemSignInBody = z.strictObject({
  code: z.string().min(1).max(200).describe('the one-time code the callback gave (60 seconds)'),
  verifier: z.string().min(43).max(128).optional().describe('the PKCE verifier of the client that started'),
});
