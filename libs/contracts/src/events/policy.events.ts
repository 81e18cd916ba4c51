import { z } from 'zod';
import { DEFAULT_MAX_BODY_BYTES } from '../defaults';
import { IdSchema, NameSchema } from '../fields';
import { RoleSchema } from './identity.events';
import { isCidr, isDomainPattern, parseTargetAddress } from '../net';
import { MAX_PATTERN_LENGTH, patternProblem, userAgentPatternOf } from '../patterns';
import { defineEvent } from '../event-definition';
import { deviceEvents } from './device.events';
import { SealedIssuerKeySchema, TokenAlgorithmSchema, TokenSubjectsSchema } from '../token-issuers';

export * from './device.events';

/**
 * The schema of a partial update: every field optional and *without* its default, so a change that
 * does not mention a field leaves it as it is (`.partial()` would fill in the defaults).
 */
export function patchOf<Shape extends z.ZodRawShape>(schema: z.ZodObject<Shape>) {
  const shape = Object.fromEntries(
    Object.entries(schema.shape).map(([key, field]) => {
      const inner = field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : (field as z.ZodType);
      return [key, inner.optional()];
    }),
  ) as unknown as {
    [K in keyof Shape]: z.ZodOptional<Shape[K] extends z.ZodDefault<infer I> ? I : Shape[K]>;
  };
  return z.strictObject(shape);
}

// The shapes of sites, resources, targets and policies: validated here once, used by the policy
// service, the API (bodies), the config snapshot and the gateway.

const Name = NameSchema;
const Id = IdSchema;
export const CidrSchema = z.string().refine(isCidr, 'is not a CIDR such as 10.1.0.0/24');
export const DomainSchema = z
  .string()
  .transform((d) => d.trim().toLowerCase())
  .refine(isDomainPattern, 'is not a domain such as app.company.com or *.api.company.com');
export const TargetAddressSchema = z
  .string()
  .refine(
    (a) => parseTargetAddress(a) !== undefined,
    'is not an address such as 10.1.0.100:80 or unix:/var/run/app.sock',
  );

export const ConnectionTypeSchema = z.enum(['wireguard', 'local', 'tunnel']);
export const ResourceProtocolSchema = z.enum(['http', 'tcp', 'udp']);
export const TargetProtocolSchema = z.enum(['http', 'https', 'tcp', 'udp']);
export const AuthMethodSchema = z.enum(['sso', 'pin', 'password', 'share_link']);
export const LoadBalancingSchema = z.enum(['round_robin', 'weighted', 'least_connections', 'region_aware']);

export const SiteDataSchema = z.strictObject({
  name: Name,
  subnet: CidrSchema,
  region: z.string().trim().min(1).max(64),
  connectionType: ConnectionTypeSchema,
});
export type SiteData = z.infer<typeof SiteDataSchema>;

export const HealthCheckSchema = z.strictObject({
  kind: z.enum(['http', 'tcp']),
  path: z.string().startsWith('/').max(1000).default('/'),
  intervalS: z.number().int().min(1).max(3600).default(10),
  timeoutS: z.number().int().min(1).max(60).default(2),
  healthyThreshold: z.number().int().min(1).max(20).default(2),
  unhealthyThreshold: z.number().int().min(1).max(20).default(3),
});

export const TargetDataSchema = z.strictObject({
  address: TargetAddressSchema,
  protocol: TargetProtocolSchema,
  weight: z.number().int().min(0).max(1000).default(1),
  region: z.string().trim().min(1).max(64).nullable().default(null),
  healthCheck: HealthCheckSchema.nullable().default(null),
});
export type TargetData = z.infer<typeof TargetDataSchema>;

/** A regular expression from configuration that compiles and cannot backtrack catastrophically. */
const SafePatternSchema = z
  .string()
  .max(MAX_PATTERN_LENGTH)
  .superRefine((pattern, ctx) => {
    const problem = patternProblem(pattern);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
export const FirewallRuleSchema = z.strictObject({
  action: z.enum(['allow', 'deny']),
  cidrs: z.array(CidrSchema).max(500).default([]),
  countries: z
    .array(z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 country code such as DE'))
    .max(250)
    .default([]),
  paths: z.array(z.string().startsWith('/').max(1000)).max(100).default([]),
  headers: z
    .array(
      z.strictObject({
        name: z
          .string()
          .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, 'must be an HTTP header name such as X-Api-Client'),
        pattern: SafePatternSchema,
      }),
    )
    .max(20)
    .default([]),
  /** Case-insensitive substrings of the User-Agent; `/…/` is a regular expression instead. */
  userAgents: z
    .array(
      z
        .string()
        .min(1)
        .max(MAX_PATTERN_LENGTH)
        .superRefine((entry, ctx) => {
          const pattern = userAgentPatternOf(entry);
          const problem = pattern === undefined ? undefined : patternProblem(pattern);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
    )
    .max(50)
    .default([]),
});
export type FirewallRule = z.infer<typeof FirewallRuleSchema>;
export const RateLimitSchema = z.strictObject({
  requestsPerMinute: z.number().int().min(1).max(1_000_000),
  burst: z.number().int().min(1).max(1_000_000),
  per: z.enum(['ip', 'user', 'resource']).default('ip'),
});

export { DEFAULT_MAX_BODY_BYTES } from '../defaults';
/**
 * A resource that is an exposed service: its one target is the tunnel of a `rustronaut expose`
 * client, which authenticates with a token whose SHA-256 is kept here. Set by the services API only.
 */
export const TunnelExposureSchema = z.strictObject({
  localAddress: z.string().min(1).max(300),
  tokenHash: z.string().min(1).max(100),
  exposedBy: Id,
  /** The policy created with the service to let signed-in users in (when it requires auth). */
  policyId: Id.nullable().default(null),
});
export type TunnelExposure = z.infer<typeof TunnelExposureSchema>;

const ResourceFields = {
  siteId: Id,
  name: Name,
  protocol: ResourceProtocolSchema,
  domains: z.array(DomainSchema).max(50).default([]),
  publicPort: z.number().int().min(1).max(65535).nullable().default(null),
  pathPrefix: z.string().startsWith('/').max(1000).nullable().default(null),
  authRequired: z.boolean().default(true),
  authMethods: z.array(AuthMethodSchema).max(4).default(['sso']),
  loadBalancing: LoadBalancingSchema.default('round_robin'),
  firewallRules: z.array(FirewallRuleSchema).max(100).default([]),
  rateLimit: RateLimitSchema.nullable().default(null),
  /** Requests that look automated must solve a small proof-of-work page first (browsers pass it unseen). */
  botChallenge: z.boolean().default(false),
  /** The largest request body the gateway passes on; larger ones are refused with 413. */
  maxBodyBytes: z
    .number()
    .int()
    .min(0)
    .max(2 ** 40)
    .default(DEFAULT_MAX_BODY_BYTES),
  tunnel: TunnelExposureSchema.nullable().default(null),
};
export const ResourceDataSchema = z.strictObject(ResourceFields);
export type ResourceData = z.infer<typeof ResourceDataSchema>;

export const TimeWindowSchema = z.strictObject({
  days: z
    .array(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']))
    .min(1)
    .max(7),
  start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM'),
  end: z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/, 'must be HH:MM'),
  timeZone: z.string().max(64).default('UTC'),
});

export const PolicySubjectsSchema = z.strictObject({
  users: z.array(Id).max(1000).default([]),
  groups: z.array(Id).max(1000).default([]),
  roles: z.array(RoleSchema).max(3).default([]),
  anyAuthenticated: z.boolean().default(false),
  /**
   * Callers with a token of one of the resource's trusted issuers (machines, services). They match
   * only these entries: never users, groups, roles or "any authenticated user". Absent: none.
   */
  tokens: z.array(TokenSubjectsSchema).max(100).optional(),
});
export const PolicyConditionsSchema = z.strictObject({
  sourceCidrs: z.array(CidrSchema).max(500).default([]),
  countries: z
    .array(z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 country code such as DE'))
    .max(250)
    .default([]),
  paths: z.array(z.string().startsWith('/').max(1000)).max(100).default([]),
  methods: z
    .array(z.string().regex(/^[A-Z]{3,10}$/, 'must be an HTTP method such as GET'))
    .max(10)
    .default([]),
  timeWindows: z.array(TimeWindowSchema).max(20).default([]),
});
export const PolicyDataSchema = z.strictObject({
  name: Name,
  effect: z.enum(['allow', 'deny']),
  /** The resources it governs; empty means every resource of the organisation. */
  resourceIds: z.array(Id).max(1000).default([]),
  subjects: PolicySubjectsSchema,
  conditions: PolicyConditionsSchema.default({
    sourceCidrs: [],
    countries: [],
    paths: [],
    methods: [],
    timeWindows: [],
  }),
});
export type PolicyData = z.infer<typeof PolicyDataSchema>;

// Site
export const SiteCreated = defineEvent({ type: 'SiteCreated', aggregate: 'site', schema: SiteDataSchema });
export const SiteUpdated = defineEvent({
  type: 'SiteUpdated',
  aggregate: 'site',
  schema: SiteDataSchema.partial(),
});
export const SiteDeleted = defineEvent({
  type: 'SiteDeleted',
  aggregate: 'site',
  schema: z.strictObject({}),
});
/** A connector token for the site (`rustronaut connector --token`): only its SHA-256 is kept; a new one replaces the old. */
export const SiteConnectorTokenIssued = defineEvent({
  type: 'SiteConnectorTokenIssued',
  aggregate: 'site',
  schema: z.strictObject({ tokenHash: z.string().min(1).max(100) }),
});
export const SitePortClaimed = defineEvent({
  type: 'SitePortClaimed',
  aggregate: 'site',
  schema: z.strictObject({
    port: z.number().int().min(1).max(65535),
    protocol: z.enum(['tcp', 'udp']),
    resourceId: Id,
  }),
});
export const SitePortReleased = defineEvent({
  type: 'SitePortReleased',
  aggregate: 'site',
  schema: z.strictObject({ port: z.number().int().min(1).max(65535), protocol: z.enum(['tcp', 'udp']) }),
});

// The subnets of an organisation's sites, kept in one aggregate (id: the org id) so two sites can
// never get overlapping subnets, whatever the timing.
export const SiteSubnetRegistered = defineEvent({
  type: 'SiteSubnetRegistered',
  aggregate: 'site_subnets',
  schema: z.strictObject({ siteId: Id, subnet: CidrSchema }),
});
export const SiteSubnetReleased = defineEvent({
  type: 'SiteSubnetReleased',
  aggregate: 'site_subnets',
  schema: z.strictObject({ siteId: Id }),
});

// A domain served by at most one resource across the whole platform (id: a hash of the domain).
export const DomainClaimed = defineEvent({
  type: 'DomainClaimed',
  aggregate: 'domain',
  schema: z.strictObject({ domain: z.string(), resourceId: Id }),
});
export const DomainReleased = defineEvent({
  type: 'DomainReleased',
  aggregate: 'domain',
  schema: z.strictObject({ resourceId: Id }),
});

// Resource and its targets
export const ResourceCreated = defineEvent({
  type: 'ResourceCreated',
  aggregate: 'resource',
  schema: ResourceDataSchema,
});
export const ResourceUpdated = defineEvent({
  type: 'ResourceUpdated',
  aggregate: 'resource',
  schema: patchOf(ResourceDataSchema.omit({ siteId: true, protocol: true, tunnel: true })),
});
export const ResourceDeleted = defineEvent({
  type: 'ResourceDeleted',
  aggregate: 'resource',
  schema: z.strictObject({}),
});
export const ResourceTargetAdded = defineEvent({
  type: 'ResourceTargetAdded',
  aggregate: 'resource',
  schema: TargetDataSchema.extend({ targetId: Id }),
});
export const ResourceTargetUpdated = defineEvent({
  type: 'ResourceTargetUpdated',
  aggregate: 'resource',
  schema: patchOf(TargetDataSchema).extend({ targetId: Id }),
});
export const ResourceTargetRemoved = defineEvent({
  type: 'ResourceTargetRemoved',
  aggregate: 'resource',
  schema: z.strictObject({ targetId: Id }),
});

// A resource's own ways in without an account: a PIN or password (stored as a scrypt hash), and
// share links (only the SHA-256 of the link's token is kept).
export const AccessSecretMethodSchema = z.enum(['pin', 'password']);
export const ResourceAccessSecretSet = defineEvent({
  type: 'ResourceAccessSecretSet',
  aggregate: 'resource',
  schema: z.strictObject({ method: AccessSecretMethodSchema, hash: z.string().min(1).max(500).nullable() }),
  sensitive: ['hash'],
});
export const ResourceShareLinkCreated = defineEvent({
  type: 'ResourceShareLinkCreated',
  aggregate: 'resource',
  schema: z.strictObject({
    linkId: Id,
    tokenSha256: z.string().min(1).max(100),
    expiresAt: z.iso.datetime(),
  }),
});
export const ResourceShareLinkRevoked = defineEvent({
  type: 'ResourceShareLinkRevoked',
  aggregate: 'resource',
  schema: z.strictObject({ linkId: Id }),
});

// A resource's trusted token issuers (machine / service access): public keys as JWKs, HMAC keys
// sealed under RN_SECRETS_KEY (never in the clear in the events).
export const ResourceTokenIssuerAdded = defineEvent({
  type: 'ResourceTokenIssuerAdded',
  aggregate: 'resource',
  schema: z.strictObject({
    issuerId: Id,
    name: Name,
    issuer: z.string().min(1).max(500),
    audience: z.string().min(1).max(500),
    algorithms: z.array(TokenAlgorithmSchema).min(1).max(6),
    publicKeys: z.array(z.record(z.string(), z.string())).max(10),
    secretKeys: z.array(SealedIssuerKeySchema).max(10),
  }),
  sensitive: ['secretKeys'],
});
export const ResourceTokenIssuerRemoved = defineEvent({
  type: 'ResourceTokenIssuerRemoved',
  aggregate: 'resource',
  schema: z.strictObject({ issuerId: Id }),
});

// Policy
export const PolicyCreated = defineEvent({
  type: 'PolicyCreated',
  aggregate: 'policy',
  schema: PolicyDataSchema,
});
export const PolicyUpdated = defineEvent({
  type: 'PolicyUpdated',
  aggregate: 'policy',
  schema: PolicyDataSchema.partial(),
});
export const PolicyDeleted = defineEvent({
  type: 'PolicyDeleted',
  aggregate: 'policy',
  schema: z.strictObject({}),
});

export const policyEvents = [
  SiteCreated,
  SiteUpdated,
  SiteDeleted,
  SiteConnectorTokenIssued,
  SitePortClaimed,
  SitePortReleased,
  SiteSubnetRegistered,
  SiteSubnetReleased,
  DomainClaimed,
  DomainReleased,
  ResourceCreated,
  ResourceUpdated,
  ResourceDeleted,
  ResourceTargetAdded,
  ResourceTargetUpdated,
  ResourceTargetRemoved,
  ResourceAccessSecretSet,
  ResourceShareLinkCreated,
  ResourceShareLinkRevoked,
  ResourceTokenIssuerAdded,
  ResourceTokenIssuerRemoved,
  PolicyCreated,
  PolicyUpdated,
  PolicyDeleted,
  ...deviceEvents,
] as const;
