import {
  issuerKeyBinding,
  type IssuerJwk,
  type PlatformEvent,
  type PolicyData,
  type ResourceAccess,
  type ResourceData,
  type Role,
  type SiteData,
  type SiteSnapshot,
  type SnapshotDevice,
  type SnapshotTokenIssuer,
  type StoredTokenIssuer,
  type TargetData,
} from '@rustronaut/contracts';

interface SiteEntry {
  orgId: string;
  data: SiteData;
  deleted: boolean;
  connectorTokenHash?: string;
}
interface ResourceEntry {
  orgId: string;
  data: ResourceData;
  targets: Map<string, TargetData>;
  deleted: boolean;
  pinHash?: string | undefined;
  passwordHash?: string | undefined;
  shareLinks: Map<string, { tokenSha256: string; expiresAt: string; revoked: boolean }>;
  /** Trusted token issuers by id (HMAC keys sealed, as the events keep them). Absent in states of format 2. */
  tokenIssuers?: Map<string, IssuerEntry>;
}
type IssuerEntry = StoredTokenIssuer;

/** Opens an issuer's sealed HMAC key (RN_SECRETS_KEY); undefined when it does not open. */
export type OpenIssuerKey = (sealed: string, boundTo: string) => string | undefined;

/**
 * The version of what `toState` writes: bump it whenever the fold's state or the events it folds
 * change, so a stored state of the old shape is rebuilt from the first event instead of trusted.
 */
export const SITE_CONFIG_FOLD_FORMAT = 3;

/** The fold's whole state as JSON (maps as entry lists), for a snapshot that a restart resumes from. */
export interface SiteConfigFoldState {
  sites: [string, SiteEntry][];
  resources: [
    string,
    Omit<ResourceEntry, 'targets' | 'shareLinks' | 'tokenIssuers'> & {
      targets: [string, TargetData][];
      shareLinks: [string, { tokenSha256: string; expiresAt: string; revoked: boolean }][];
      tokenIssuers: [string, IssuerEntry][];
    },
  ][];
  policies: [string, { orgId: string; data: PolicyData; deleted: boolean }][];
  groups: [string, { orgId: string; members: string[] }][];
  jwks: Record<string, unknown>[];
  revisions: [string, number][];
  sessions: [string, { orgId: string; expiresAt: number; revoked: boolean }][];
  devices: [
    string,
    { orgId: string; siteId: string; userId: string; name: string; publicKey: string; address: string },
  ][];
  roles: [string, Role][];
  disabledUsers: string[];
  apiKeys: [string, { orgId: string; ownerUserId: string }][];
}

/** How many of the newest token-signing keys a snapshot carries (older ones have expired tokens). */
const JWKS_KEPT = 3;

/**
 * The whole platform's edge configuration, folded in memory from the events in stream order.
 * `apply` says which sites an event changed; `snapshot` builds a site's snapshot, whose revision is
 * the sequence of the last event that changed that site (so revisions only grow, across restarts).
 */
export class SiteConfigFold {
  readonly #sites = new Map<string, SiteEntry>();
  readonly #resources = new Map<string, ResourceEntry>();
  readonly #policies = new Map<string, { orgId: string; data: PolicyData; deleted: boolean }>();
  readonly #groups = new Map<string, { orgId: string; members: Set<string> }>();
  readonly #jwks: Record<string, unknown>[] = [];
  readonly #revisions = new Map<string, number>();
  /** Console sessions: their organisation, when they end (refresh expiry), and whether they were revoked. */
  readonly #sessions = new Map<string, { orgId: string; expiresAt: number; revoked: boolean }>();
  /** WireGuard devices that are not revoked, by id. */
  readonly #devices = new Map<
    string,
    { orgId: string; siteId: string; userId: string; name: string; publicKey: string; address: string }
  >();
  /** Users' roles (what device policies see of their owner); a deleted user is gone. */
  readonly #roles = new Map<string, Role>();
  /** Users an admin disabled: their devices leave the snapshots, their API keys' tokens are refused. */
  readonly #disabled = new Set<string>();
  /** API keys that are not revoked, with their owner (tokens exchanged for a key carry its id as session). */
  readonly #apiKeys = new Map<string, { orgId: string; ownerUserId: string }>();

  toState(): SiteConfigFoldState {
    return {
      sites: [...this.#sites],
      resources: [...this.#resources].map(([id, r]) => [
        id,
        {
          ...r,
          targets: [...r.targets],
          shareLinks: [...r.shareLinks],
          tokenIssuers: [...(r.tokenIssuers ?? [])],
        },
      ]),
      policies: [...this.#policies],
      groups: [...this.#groups].map(([id, g]) => [id, { orgId: g.orgId, members: [...g.members] }]),
      jwks: [...this.#jwks],
      revisions: [...this.#revisions],
      sessions: [...this.#sessions],
      devices: [...this.#devices],
      roles: [...this.#roles],
      disabledUsers: [...this.#disabled],
      apiKeys: [...this.#apiKeys],
    };
  }

  /** A fold that continues from a state `toState` wrote (throws on a state of another shape). */
  static fromState(state: SiteConfigFoldState): SiteConfigFold {
    const fold = new SiteConfigFold();
    const entries = <T>(list: [string, T][] | undefined, what: string): [string, T][] => {
      if (!Array.isArray(list)) throw new Error(`the stored fold state has no ${what}`);
      return list;
    };
    for (const [id, site] of entries(state.sites, 'sites')) fold.#sites.set(id, site);
    for (const [id, r] of entries(state.resources, 'resources'))
      fold.#resources.set(id, {
        ...r,
        targets: new Map(r.targets),
        shareLinks: new Map(r.shareLinks),
        tokenIssuers: new Map(r.tokenIssuers ?? []),
      });
    for (const [id, policy] of entries(state.policies, 'policies')) fold.#policies.set(id, policy);
    for (const [id, g] of entries(state.groups, 'groups'))
      fold.#groups.set(id, { orgId: g.orgId, members: new Set(g.members) });
    if (!Array.isArray(state.jwks)) throw new Error('the stored fold state has no jwks');
    fold.#jwks.push(...state.jwks);
    for (const [id, revision] of entries(state.revisions, 'revisions')) fold.#revisions.set(id, revision);
    for (const [id, session] of entries(state.sessions, 'sessions')) fold.#sessions.set(id, session);
    for (const [id, device] of entries(state.devices, 'devices')) fold.#devices.set(id, device);
    for (const [id, role] of entries(state.roles, 'roles')) fold.#roles.set(id, role);
    if (!Array.isArray(state.disabledUsers)) throw new Error('the stored fold state has no disabledUsers');
    for (const id of state.disabledUsers) fold.#disabled.add(id);
    for (const [id, key] of entries(state.apiKeys, 'apiKeys')) fold.#apiKeys.set(id, key);
    return fold;
  }

  /** Applies one event; returns the ids of the sites whose snapshot changed. */
  apply(event: PlatformEvent, sequence: number): string[] {
    const changed = this.#affected(event);
    this.#evolve(event);
    for (const siteId of changed) this.#revisions.set(siteId, sequence);
    return changed;
  }

  siteIds(): string[] {
    return [...this.#sites.keys()];
  }

  isLive(siteId: string): boolean {
    const site = this.#sites.get(siteId);
    return !!site && !site.deleted;
  }

  /**
   * The site's snapshot. `openKey` opens the trusted issuers' sealed HMAC keys for the gateways; a
   * key it cannot open (or without it) is left out, so its tokens are refused (fail closed).
   */
  snapshot(siteId: string, issuedAt: Date, openKey?: OpenIssuerKey): SiteSnapshot | undefined {
    const site = this.#sites.get(siteId);
    if (!site || site.deleted) return undefined;
    const resources = [...this.#resources]
      .filter(([, r]) => !r.deleted && r.data.siteId === siteId)
      .map(([id, r]) => ({
        ...r.data,
        id,
        targets: [...r.targets].map(([targetId, t]) => ({ ...t, id: targetId })),
        ...accessOf(r, issuedAt),
        ...issuersOf(id, r, openKey),
      }));
    const resourceIds = new Set(resources.map((r) => r.id));
    const policies = [...this.#policies]
      .filter(([, p]) => !p.deleted && p.orgId === site.orgId)
      .filter(
        ([, p]) => p.data.resourceIds.length === 0 || p.data.resourceIds.some((id) => resourceIds.has(id)),
      )
      .map(([id, p]) => ({ ...guardedForOlderGateways(p.data), id }))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const groups: Record<string, string[]> = {};
    for (const groupId of new Set(policies.flatMap((p) => p.subjects.groups))) {
      const group = this.#groups.get(groupId);
      if (group && group.orgId === site.orgId) groups[groupId] = [...group.members].sort();
    }
    const now = issuedAt.getTime();
    const revokedSessions: string[] = [];
    for (const [sessionId, session] of this.#sessions) {
      if (session.expiresAt <= now)
        this.#sessions.delete(sessionId); // no token or cookie of it can be live
      else if (session.revoked && session.orgId === site.orgId) revokedSessions.push(sessionId);
    }
    // A disabled owner's API keys: the tokens exchanged for them are refused while the owner is disabled.
    for (const [keyId, key] of this.#apiKeys)
      if (key.orgId === site.orgId && this.#disabled.has(key.ownerUserId)) revokedSessions.push(keyId);
    return {
      format: 1,
      siteId,
      orgId: site.orgId,
      revision: this.#revisions.get(siteId) ?? 0,
      issuedAt: issuedAt.toISOString(),
      site: site.data,
      connector: site.connectorTokenHash ? { tokenHash: site.connectorTokenHash } : null,
      resources,
      policies,
      groups,
      jwks: this.#jwks.slice(-JWKS_KEPT),
      revokedSessions: revokedSessions.sort(),
      devices: this.#siteDevices(siteId),
    };
  }

  /** The site's devices whose owner still exists and is not disabled, in a stable order. */
  #siteDevices(siteId: string): SnapshotDevice[] {
    const devices: SnapshotDevice[] = [];
    for (const [id, d] of this.#devices) {
      const role = this.#roles.get(d.userId);
      if (d.siteId !== siteId || !role || this.#disabled.has(d.userId)) continue;
      devices.push({ id, name: d.name, publicKey: d.publicKey, address: d.address, userId: d.userId, role });
    }
    return devices.sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  #userSites(userId: string): string[] {
    return [...new Set([...this.#devices.values()].filter((d) => d.userId === userId).map((d) => d.siteId))];
  }

  #orgSites(orgId: string): string[] {
    return [...this.#sites].filter(([, s]) => s.orgId === orgId && !s.deleted).map(([id]) => id);
  }

  #affected(event: PlatformEvent): string[] {
    switch (event.type) {
      case 'SiteCreated':
      case 'SiteUpdated':
      case 'SiteDeleted':
      case 'SiteConnectorTokenIssued':
        return [event.aggregateId];
      case 'ResourceCreated':
        return [event.data.siteId];
      case 'ResourceUpdated':
      case 'ResourceDeleted':
      case 'ResourceAccessSecretSet':
      case 'ResourceShareLinkCreated':
      case 'ResourceShareLinkRevoked':
      case 'ResourceTokenIssuerAdded':
      case 'ResourceTokenIssuerRemoved':
      case 'ResourceTargetAdded':
      case 'ResourceTargetUpdated':
      case 'ResourceTargetRemoved': {
        const siteId = this.#resources.get(event.aggregateId)?.data.siteId;
        return siteId ? [siteId] : [];
      }
      case 'PolicyCreated':
      case 'PolicyUpdated':
      case 'PolicyDeleted':
      case 'GroupMemberAdded':
      case 'GroupMemberRemoved':
      case 'GroupDeleted':
      case 'UserDeleted':
      case 'UserDisabled':
      case 'UserEnabled':
        return this.#orgSites(event.orgId);
      case 'SigningKeyRotated':
        return [...this.#sites].filter(([, s]) => !s.deleted).map(([id]) => id);
      case 'SessionRevoked':
        return this.#sessions.has(event.aggregateId) ? this.#orgSites(event.orgId) : [];
      case 'ApiKeyRevoked':
        return this.#orgSites(event.orgId);
      case 'DeviceRegistered':
        return [event.data.siteId];
      case 'DeviceRevoked': {
        const siteId = this.#devices.get(event.aggregateId)?.siteId;
        return siteId ? [siteId] : [];
      }
      case 'UserRegistered':
      case 'UserRoleChanged':
        return this.#userSites(event.aggregateId);
      default:
        return [];
    }
  }

  #evolve(event: PlatformEvent): void {
    const id = event.aggregateId;
    switch (event.type) {
      case 'SiteCreated':
        this.#sites.set(id, { orgId: event.orgId, data: event.data, deleted: false });
        return;
      case 'SiteUpdated': {
        const site = this.#sites.get(id);
        if (site) site.data = { ...site.data, ...defined(event.data) };
        return;
      }
      case 'SiteDeleted': {
        const site = this.#sites.get(id);
        if (site) site.deleted = true;
        return;
      }
      case 'SiteConnectorTokenIssued': {
        const site = this.#sites.get(id);
        if (site) site.connectorTokenHash = event.data.tokenHash;
        return;
      }
      case 'ResourceCreated':
        this.#resources.set(id, {
          orgId: event.orgId,
          data: event.data,
          targets: new Map(),
          deleted: false,
          shareLinks: new Map(),
          tokenIssuers: new Map(),
        });
        return;
      case 'ResourceUpdated': {
        const resource = this.#resources.get(id);
        if (resource) resource.data = { ...resource.data, ...defined(event.data) };
        return;
      }
      case 'ResourceDeleted': {
        const resource = this.#resources.get(id);
        if (resource) resource.deleted = true;
        return;
      }
      case 'ResourceTargetAdded':
      case 'ResourceTargetUpdated': {
        const { targetId, ...target } = event.data;
        const resource = this.#resources.get(id);
        const current = resource?.targets.get(targetId);
        if (resource)
          resource.targets.set(targetId, { ...(current ?? {}), ...defined(target) } as TargetData);
        return;
      }
      case 'ResourceTargetRemoved':
        this.#resources.get(id)?.targets.delete(event.data.targetId);
        return;
      case 'ResourceAccessSecretSet': {
        const resource = this.#resources.get(id);
        if (resource)
          resource[event.data.method === 'pin' ? 'pinHash' : 'passwordHash'] = event.data.hash ?? undefined;
        return;
      }
      case 'ResourceShareLinkCreated':
        this.#resources.get(id)?.shareLinks.set(event.data.linkId, {
          tokenSha256: event.data.tokenSha256,
          expiresAt: event.data.expiresAt,
          revoked: false,
        });
        return;
      case 'ResourceShareLinkRevoked': {
        const link = this.#resources.get(id)?.shareLinks.get(event.data.linkId);
        if (link) link.revoked = true;
        return;
      }
      case 'ResourceTokenIssuerAdded': {
        const resource = this.#resources.get(id);
        const { issuerId, ...issuer } = event.data;
        if (resource) (resource.tokenIssuers ??= new Map()).set(issuerId, issuer);
        return;
      }
      case 'ResourceTokenIssuerRemoved':
        this.#resources.get(id)?.tokenIssuers?.delete(event.data.issuerId);
        return;
      case 'PolicyCreated':
        this.#policies.set(id, { orgId: event.orgId, data: event.data, deleted: false });
        return;
      case 'PolicyUpdated': {
        const policy = this.#policies.get(id);
        if (policy) policy.data = { ...policy.data, ...defined(event.data) };
        return;
      }
      case 'PolicyDeleted': {
        const policy = this.#policies.get(id);
        if (policy) policy.deleted = true;
        return;
      }
      case 'GroupCreated':
        this.#groups.set(id, { orgId: event.orgId, members: new Set() });
        return;
      case 'GroupMemberAdded':
        this.#groups.get(id)?.members.add(event.data.userId);
        return;
      case 'GroupMemberRemoved':
        this.#groups.get(id)?.members.delete(event.data.userId);
        return;
      case 'GroupDeleted':
        this.#groups.delete(id);
        return;
      case 'UserDeleted':
        for (const group of this.#groups.values()) group.members.delete(id);
        this.#roles.delete(id);
        this.#disabled.delete(id);
        return;
      case 'UserDisabled':
        this.#disabled.add(id);
        return;
      case 'UserEnabled':
        this.#disabled.delete(id);
        return;
      case 'ApiKeyCreated':
        this.#apiKeys.set(id, { orgId: event.orgId, ownerUserId: event.data.ownerUserId });
        return;
      case 'UserRegistered':
      case 'UserRoleChanged':
        this.#roles.set(id, event.data.role);
        return;
      case 'DeviceRegistered':
        this.#devices.set(id, { orgId: event.orgId, ...event.data });
        return;
      case 'DeviceRevoked':
        this.#devices.delete(id);
        return;
      case 'SigningKeyRotated':
        this.#jwks.push(event.data.publicJwk);
        return;
      case 'SessionStarted':
        this.#sessions.set(id, {
          orgId: event.orgId,
          expiresAt: Date.parse(event.data.expiresAt),
          revoked: false,
        });
        return;
      case 'SessionRefreshed': {
        const session = this.#sessions.get(id);
        if (session) session.expiresAt = Date.parse(event.data.expiresAt);
        return;
      }
      case 'SessionRevoked': {
        const session = this.#sessions.get(id);
        if (session) session.revoked = true;
        return;
      }
      case 'ApiKeyRevoked':
        this.#apiKeys.delete(id);
        // Tokens exchanged for an API key live 15 minutes at most: an hour covers them, with margin.
        this.#sessions.set(id, {
          orgId: event.orgId,
          expiresAt: Date.parse(event.occurredAt) + 3_600_000,
          revoked: true,
        });
        return;
      default:
        return;
    }
  }
}

/** What a gateway needs to admit people without an account: hashes, and the live share links. */
function accessOf(resource: ResourceEntry, at: Date): { access?: ResourceAccess } {
  const shareLinks = [...resource.shareLinks]
    .filter(([, l]) => !l.revoked && Date.parse(l.expiresAt) > at.getTime())
    .map(([id, l]) => ({ id, tokenSha256: l.tokenSha256, expiresAt: l.expiresAt }));
  if (!resource.pinHash && !resource.passwordHash && shareLinks.length === 0) return {};
  return {
    access: {
      ...(resource.pinHash ? { pinHash: resource.pinHash } : {}),
      ...(resource.passwordHash ? { passwordHash: resource.passwordHash } : {}),
      shareLinks,
    },
  };
}

/**
 * A gateway older than trusted issuers reads a policy naming only token subjects as one naming
 * nobody, which applies to everyone, anonymous requests included. The snapshot adds to it a user
 * id no account can have (ids never hold ':'), so such a gateway lets nobody in by it (fail closed)
 * while a current one matches the token subjects as before.
 */
export const TOKEN_SUBJECTS_GUARD = 'token-subjects:no-user';

function guardedForOlderGateways(policy: PolicyData): PolicyData {
  if (!policy.subjects.tokens?.length) return policy;
  return {
    ...policy,
    subjects: { ...policy.subjects, users: [...policy.subjects.users, TOKEN_SUBJECTS_GUARD] },
  };
}

/** The resource's trusted issuers with the keys gateways verify with (HMAC keys opened, or left out). */
function issuersOf(
  resourceId: string,
  resource: ResourceEntry,
  openKey: OpenIssuerKey | undefined,
): { tokenIssuers?: SnapshotTokenIssuer[] } {
  if (!resource.tokenIssuers?.size) return {};
  const tokenIssuers = [...resource.tokenIssuers].map(([id, issuer]) => {
    const secrets: IssuerJwk[] = [];
    for (const key of issuer.secretKeys) {
      const k = openKey?.(key.sealed, issuerKeyBinding(resourceId, id));
      if (k === undefined) continue;
      secrets.push({
        kty: 'oct',
        k,
        ...(key.kid !== null ? { kid: key.kid } : {}),
        ...(key.alg !== null ? { alg: key.alg } : {}),
      });
    }
    return {
      id,
      name: issuer.name,
      issuer: issuer.issuer,
      audience: issuer.audience,
      algorithms: issuer.algorithms,
      keys: [...issuer.publicKeys, ...secrets],
    };
  });
  return { tokenIssuers };
}

function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
