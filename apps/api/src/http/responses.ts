import { z } from 'zod';
import {
  AccessDeciderSchema,
  AccessDecisionSchema,
  GatewayReportSchema,
  GatewaySettingsSchema,
  IdSchema,
  PolicyDataSchema,
  ResourceDataSchema,
  RoleSchema,
  SiteDataSchema,
  TargetDataSchema,
  TokenAlgorithmSchema,
  type DnsRecord,
  type GatewayView,
  type Page,
  type PolicyView,
  type ResourceView,
  type ServiceView,
  type ShareLinkView,
  type SimulationView,
  type SiteView,
  type TargetView,
  type TokenIssuerView,
} from '@rustronaut/contracts';
import type { DeviceWithActivity } from '../devices/devices';
import type {
  accessRecordJson,
  apiKeyJson,
  auditJson,
  groupJson,
  orgJson,
  tokensJson,
  userJson,
} from './mappers';

/**
 * What the API answers, as schemas: the OpenAPI document and the generated client are made from
 * these. Each is checked at compile time against the type the handler really returns (a contracts
 * view, or a mapper's result), so a field added there and not here fails `tsc`, and the other way.
 */

/** Compiles only when the schema's output and T are the same type. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const describes =
  <T>() =>
  <S extends z.ZodType>(schema: S, ok: Same<z.output<S>, T>): S => (void ok, schema);

const Id = IdSchema;
const Time = z.string().describe('ISO 8601 date-time');
const Version = z.number().int().describe('the version; sent back as If-Match');

/** A page of a list: its items and the cursor of the next page (null at the end). */
const pageOf = <S extends z.ZodType>(item: S) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });
const snakePageOf = <S extends z.ZodType>(item: S) =>
  z.object({ items: z.array(item), next_cursor: z.string().nullable() });

// ---- camelCase views of the contracts (the wire has them in snake_case, see `keys: 'camel'`) ----

export const SiteJson = describes<SiteView>()(
  SiteDataSchema.extend({ id: Id, orgId: Id, createdAt: Time, updatedAt: Time, version: Version }),
  true,
);
export const SitePageJson = describes<Page<SiteView>>()(pageOf(SiteJson), true);
const DeviceFields = {
  id: Id,
  orgId: Id,
  siteId: Id,
  userId: Id,
  name: z.string(),
  publicKey: z.string(),
  address: z.string(),
  createdAt: Time,
  revokedAt: Time.nullable(),
  lastSeenAt: Time.nullable().describe('the latest WireGuard handshake a gateway of the site saw'),
  rxBytes: z.number().int(),
  txBytes: z.number().int(),
};
export const DeviceJson = describes<DeviceWithActivity>()(z.object(DeviceFields), true);
export const DeviceListJson = z.object({ items: z.array(DeviceJson) });
export const CreatedDeviceJson = z.object({
  ...DeviceFields,
  privateKey: z
    .string()
    .optional()
    .describe('only when the console made the key pair: shown once, never stored'),
  config: z
    .string()
    .nullable()
    .optional()
    .describe('the wg-quick config with that key (null until the site has a WireGuard gateway)'),
});
export const ConnectorJson = z.object({ siteId: Id, token: z.string(), endpoint: z.string() });

export const TargetJson = describes<TargetView>()(TargetDataSchema.extend({ id: Id, resourceId: Id }), true);
export const TargetListJson = z.object({ items: z.array(TargetJson) });
export const ResourceJson = describes<ResourceView>()(
  ResourceDataSchema.extend({
    id: Id,
    orgId: Id,
    access: z.object({ pin: z.boolean(), password: z.boolean() }).optional(),
    targets: z.array(TargetJson),
    createdAt: Time,
    updatedAt: Time,
    version: Version,
  }),
  true,
);
export const ResourcePageJson = describes<Page<ResourceView>>()(pageOf(ResourceJson), true);
/** A resource as just saved (or read), with what its owner should know about it. */
export const SavedResourceJson = ResourceJson.extend({
  warnings: z
    .array(z.object({ code: z.enum(['PUBLIC_PORT_CLOSED', 'PUBLIC_PORT_UNCHECKED']), message: z.string() }))
    .describe('e.g. a TCP/UDP public port that requires sign-in and that no policy opens admits nobody'),
});

export const PolicyJson = describes<PolicyView>()(
  PolicyDataSchema.extend({ id: Id, orgId: Id, createdAt: Time, updatedAt: Time, version: Version }),
  true,
);
export const PolicyPageJson = describes<Page<PolicyView>>()(pageOf(PolicyJson), true);
export const SimulationJson = describes<SimulationView>()(
  z.object({
    resourceId: Id,
    allowed: z.boolean(),
    decidedBy: z.object({ policyId: Id, name: z.string(), effect: z.enum(['allow', 'deny']) }).nullable(),
    reason: z.string(),
    evaluated: z.number().int(),
  }),
  true,
);

export const ServiceJson = describes<ServiceView>()(
  z.object({
    id: Id,
    orgId: Id,
    siteId: Id,
    name: z.string(),
    protocol: z.enum(['http', 'tcp', 'udp']),
    localAddress: z.string(),
    publicUrl: z.string(),
    authRequired: z.boolean(),
    status: z.literal('exposed'),
    dnsRecord: z.object({ type: z.enum(['CNAME', 'A']), name: z.string(), value: z.string() }),
    tunnel: z.object({
      endpoint: z.string().describe('host:port of the gateway the tunnel dials'),
      token: z.string().optional().describe('in the answer that created the service only'),
    }),
    exposedBy: Id,
    createdAt: Time,
  }),
  true,
);
export const ServicePageJson = describes<Page<ServiceView>>()(pageOf(ServiceJson), true);

export const GatewayJson = describes<GatewayView>()(
  GatewaySettingsSchema.extend({
    id: Id,
    orgId: Id,
    status: z.enum(['pending', 'healthy', 'unhealthy']),
    enrolledAt: Time.nullable(),
    configRevision: z.number().int().nullable(),
    configAppliedAt: Time.nullable(),
    lastHeartbeatAt: Time.nullable(),
    runtime: GatewayReportSchema.shape.runtime
      .unwrap()
      .extend({ reportedAt: Time })
      .nullable()
      .describe("what the gateway last reported it serves: targets' health, connected tunnels, certificates"),
    createdAt: Time,
    version: Version,
  }),
  true,
);
export const GatewayPageJson = describes<Page<GatewayView>>()(pageOf(GatewayJson), true);
export const CreatedGatewayJson = GatewayJson.extend({
  enrollmentToken: z.string().describe('single-use; shown once'),
  enrollmentExpiresAt: Time,
});
export const EnrolmentJson = z.object({
  gatewayId: Id,
  orgId: Id,
  siteIds: z.array(Id),
  heartbeatIntervalS: z.number().int(),
  natsJwt: z.string(),
  wireguardPort: z.number().int().describe("the UDP port the gateway's WireGuard listens on"),
});
const DnsRecordJson = describes<DnsRecord>()(
  z.object({ type: z.enum(['A', 'AAAA', 'CNAME']), name: z.string(), value: z.string(), gatewayId: Id }),
  true,
);
export const DnsJson = z.object({
  resourceId: Id,
  records: z.array(DnsRecordJson),
  notes: z.array(z.string()),
});

// ---- snake_case answers built by the mappers ----

export const TokensJson = describes<ReturnType<typeof tokensJson>>()(
  z.object({
    access_token: z.string(),
    refresh_token: z.string(),
    token_type: z.string(),
    expires_in: z.number().int().describe('seconds'),
  }),
  true,
);
export const AccessTokenJson = z.object({
  access_token: z.string(),
  token_type: z.string(),
  expires_in: z.number().int().describe('seconds'),
});
export const UserJson = describes<ReturnType<typeof userJson>>()(
  z.object({
    id: Id,
    org_id: Id,
    email: z.string(),
    name: z.string(),
    role: RoleSchema,
    totp_enabled: z.boolean(),
    disabled: z.boolean(),
    groups: z.array(Id),
    created_at: Time,
    updated_at: Time,
    version: Version,
  }),
  true,
);
export const UserPageJson = snakePageOf(UserJson);
export const MeJson = z.object({
  principal: z.object({
    kind: z.enum(['user', 'api_key', 'gateway']),
    id: z.string(),
    org_id: Id,
    role: RoleSchema,
  }),
  user: UserJson,
});
export const TotpSetupJson = z.object({ secret: z.string(), otpauth_url: z.string() });
export const GroupJson = describes<ReturnType<typeof groupJson>>()(
  z.object({
    id: Id,
    org_id: Id,
    name: z.string(),
    members: z.array(Id),
    created_at: Time,
    version: Version,
  }),
  true,
);
export const GroupPageJson = snakePageOf(GroupJson);
export const ApiKeyJson = describes<ReturnType<typeof apiKeyJson>>()(
  z.object({
    id: Id,
    org_id: Id,
    name: z.string(),
    role: RoleSchema,
    owner_user_id: Id,
    created_at: Time,
    expires_at: Time.nullable(),
    revoked_at: Time.nullable(),
  }),
  true,
);
export const ApiKeyPageJson = snakePageOf(ApiKeyJson);
export const CreatedApiKeyJson = ApiKeyJson.extend({ key: z.string().describe('rnk_…, shown once') });
export const OrgJson = describes<ReturnType<typeof orgJson>>()(
  z.object({ id: Id, name: z.string(), slug: z.string(), created_at: Time, version: Version }),
  true,
);
export const OrgPageJson = snakePageOf(OrgJson);
export const CreatedOrgJson = OrgJson.extend({ owner: UserJson });
export const SetupStatusJson = z.object({
  needed: z.boolean().describe('true while the platform has no administrator (RN_ADMIN_SETUP=console)'),
});
export const AuditEntryJson = describes<ReturnType<typeof auditJson>>()(
  z.object({
    id: z.string(),
    sequence: z.number().int(),
    org_id: Id,
    type: z.string(),
    aggregate_type: z.string(),
    aggregate_id: z.string(),
    actor: z.object({ kind: z.string(), id: z.string() }),
    occurred_at: Time,
    trace_id: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
  }),
  true,
);
export const AuditPageJson = snakePageOf(AuditEntryJson);
export const AccessRecordJson = describes<ReturnType<typeof accessRecordJson>>()(
  z.object({
    id: z.string(),
    at: Time,
    org_id: Id,
    gateway_id: z.string(),
    site_id: z.string().nullable(),
    resource_id: z.string().nullable(),
    user: z.object({ id: z.string(), email: z.string().nullable() }).nullable(),
    ip: z.string(),
    method: z.string(),
    host: z.string(),
    path: z.string(),
    status: z.number().int(),
    decision: AccessDecisionSchema,
    decided_by: AccessDeciderSchema,
    rule: z.object({ id: z.string(), name: z.string().nullable() }).nullable(),
    reason: z.string().nullable(),
    admission_ms: z.number(),
    total_ms: z.number(),
    bytes_in: z.number().int(),
    bytes_out: z.number().int(),
    trace_id: z.string().nullable(),
  }),
  true,
);
export const AccessRecordPageJson = snakePageOf(AccessRecordJson);
export const ShareLinkJson = describes<{
  id: ShareLinkView['id'];
  resource_id: ShareLinkView['resourceId'];
  created_at: ShareLinkView['createdAt'];
  expires_at: ShareLinkView['expiresAt'];
  revoked_at: ShareLinkView['revokedAt'];
}>()(
  z.object({
    id: Id,
    resource_id: Id,
    created_at: Time,
    expires_at: Time,
    revoked_at: Time.nullable(),
  }),
  true,
);
export const ShareLinkListJson = z.object({ items: z.array(ShareLinkJson) });
export const TokenIssuerJson = describes<TokenIssuerView>()(
  z.object({
    id: Id,
    resourceId: Id,
    name: z.string(),
    issuer: z.string().describe('the iss its tokens carry'),
    audience: z.string().describe('the aud its tokens must name'),
    algorithms: z.array(TokenAlgorithmSchema),
    keys: z
      .array(z.object({ fingerprint: z.string() }).catchall(z.string()))
      .describe('public keys as JWKs; HMAC (oct) keys by kty, kid, alg and fingerprint only, never k'),
    createdAt: Time,
  }),
  true,
);
export const TokenIssuerListJson = z.object({ items: z.array(TokenIssuerJson) });
export const CreatedShareLinkJson = ShareLinkJson.extend({
  path: z.string().describe('/.rustronaut/share/<token>, on any host of the resource'),
  url: z.string().nullable().describe('the link on the first exact domain of the resource'),
});

// ---- small answers ----

export const JwksJson = z.object({ keys: z.array(z.record(z.string(), z.unknown())) });
export const RotatedKeyJson = z.object({ kid: z.string() });
export const RevokedJson = z.object({ revoked: z.literal(true) });
export const HandoffJson = z.object({ redirect_url: z.string() });
export const ConfigKeysJson = z.object({
  keys: z.array(z.object({ id: z.string(), public_key: z.string() })),
});
export const EdgeJson = z.object({
  tunnel_endpoint: z.string().describe('host:port where `rustronaut expose`, forward and connectors dial'),
  base_domain: z.string(),
  https_port: z.number().int(),
  development_ca: z
    .object({
      pem: z.string().describe('the CA certificate (PEM)'),
      sha256: z.string().describe('its SHA-256 fingerprint, AB:CD:… (as openssl prints it)'),
    })
    .nullable()
    .describe("the CA the gateways' development certificates come from; null when they serve none"),
});
export const StartedSessionJson = z.object({
  csrf_token: z.string().describe('send it as X-CSRF-Token with every write'),
  expires_in: z.number().int().describe('seconds until the access token expires'),
});
export const ConsoleSessionJson = z.object({ user_id: z.string(), org_id: Id, role: RoleSchema });
export const SignedOutJson = z.object({ signed_out: z.literal(true) });
export const GatewayChangeJson = z
  .object({ gateway_id: Id, type: z.string(), at: Time })
  .describe('an event of the gateway, or `GatewayRuntimeReported` when what it serves changed');
export const HealthJson = z.object({ status: z.literal('ok') });
export const LoginPageHtml = z.string().describe('an HTML page');
export const DocsPageHtml = LoginPageHtml;
export const OpenApiJson = z.record(z.string(), z.unknown()).describe('an OpenAPI 3.1 document');
