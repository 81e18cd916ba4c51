import type {
  AccessRecordView,
  ApiKeyView,
  AuditEntryView,
  GroupView,
  OrganizationView,
  Page,
  TokenPair,
  UserView,
} from '@rustronaut/contracts';

/** Responses are built here, field by field: nothing internal (hashes, secrets) can leak by accident. */
export const tokensJson = (t: TokenPair) => ({
  access_token: t.accessToken,
  refresh_token: t.refreshToken,
  token_type: 'Bearer',
  expires_in: t.expiresIn,
});

export const userJson = (u: UserView) => ({
  id: u.id,
  org_id: u.orgId,
  email: u.email,
  name: u.name,
  role: u.role,
  totp_enabled: u.totpEnabled,
  disabled: u.disabled,
  groups: u.groups,
  created_at: u.createdAt,
  updated_at: u.updatedAt,
  version: u.version,
});

export const groupJson = (g: GroupView) => ({
  id: g.id,
  org_id: g.orgId,
  name: g.name,
  members: g.members,
  created_at: g.createdAt,
  version: g.version,
});

export const apiKeyJson = (k: ApiKeyView) => ({
  id: k.id,
  org_id: k.orgId,
  name: k.name,
  role: k.role,
  owner_user_id: k.ownerUserId,
  created_at: k.createdAt,
  expires_at: k.expiresAt,
  revoked_at: k.revokedAt,
});

export const orgJson = (o: OrganizationView) => ({
  id: o.id,
  name: o.name,
  slug: o.slug,
  created_at: o.createdAt,
  version: o.version,
});

export const auditJson = (e: AuditEntryView) => ({
  id: e.id,
  sequence: e.sequence,
  org_id: e.orgId,
  type: e.type,
  aggregate_type: e.aggregateType,
  aggregate_id: e.aggregateId,
  actor: e.actor,
  occurred_at: e.occurredAt,
  trace_id: e.traceId,
  data: e.data,
});

export const accessRecordJson = (r: AccessRecordView) => ({
  id: r.id,
  at: r.at,
  org_id: r.orgId,
  gateway_id: r.gatewayId,
  site_id: r.siteId,
  resource_id: r.resourceId,
  user: r.userId ? { id: r.userId, email: r.email } : null,
  ip: r.ip,
  method: r.method,
  host: r.host,
  path: r.path,
  status: r.status,
  decision: r.decision,
  decided_by: r.decidedBy,
  rule: r.ruleId ? { id: r.ruleId, name: r.ruleName } : null,
  reason: r.reason,
  admission_ms: r.admissionMs,
  total_ms: r.totalMs,
  bytes_in: r.bytesIn,
  bytes_out: r.bytesOut,
  trace_id: r.traceId,
});

export const pageJson = <T, J>(page: Page<T>, map: (item: T) => J) => ({
  items: page.items.map(map),
  next_cursor: page.nextCursor,
});
