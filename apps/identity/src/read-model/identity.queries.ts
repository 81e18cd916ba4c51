import type { DataSource } from 'typeorm';
import type { ApiKeyView, GroupView, OrganizationView, Page, Role, UserView } from '@rustronaut/contracts';

/** Every read is scoped: a query that does not name its organisation does not compile. */
export interface OrgScope {
  orgId: string;
}

interface UserRow {
  id: string;
  org_id: string;
  email: string;
  name: string;
  role: Role;
  password_hash: string;
  totp_secret: string | null;
  disabled: boolean;
  created_at: Date;
  updated_at: Date;
  version: string;
  groups: string[] | null;
}

export interface UserCredentials {
  id: string;
  orgId: string;
  email: string;
  role: Role;
  passwordHash: string;
  totpSecret: string | null;
  disabled: boolean;
}

export interface ApiKeyRecord {
  id: string;
  orgId: string;
  role: Role;
  ownerUserId: string;
  secretHash: string;
  expiresAt: Date | null;
  revokedAt: Date | null;
  ownerRole: Role | null;
  ownerDisabled: boolean;
}

const toUser = (r: UserRow): UserView => ({
  id: r.id,
  orgId: r.org_id,
  email: r.email,
  name: r.name,
  role: r.role,
  totpEnabled: r.totp_secret !== null,
  disabled: r.disabled,
  groups: r.groups ?? [],
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  version: Number(r.version),
});

/** Cursor pagination over ids, which sort by creation order within a page request. */
function page<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
}

export class IdentityQueries {
  readonly #t: (table: string) => string;

  constructor(
    private readonly db: DataSource,
    schema: string,
  ) {
    this.#t = (table) => `"${schema}"."${table}"`;
  }

  async anyOrganization(): Promise<boolean> {
    const rows: unknown[] = await this.db.query(`SELECT 1 FROM ${this.#t('organizations')} LIMIT 1`);
    return rows.length > 0;
  }

  async organization(id: string): Promise<OrganizationView | undefined> {
    const rows: { id: string; name: string; slug: string; created_at: Date; version: string }[] =
      await this.db.query(`SELECT * FROM ${this.#t('organizations')} WHERE id = $1 AND NOT deleted`, [id]);
    const r = rows[0];
    return (
      r && {
        id: r.id,
        name: r.name,
        slug: r.slug,
        createdAt: r.created_at.toISOString(),
        version: Number(r.version),
      }
    );
  }

  async organizations(ids: string[] | 'all'): Promise<OrganizationView[]> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM ${this.#t('organizations')} WHERE NOT deleted ${ids === 'all' ? '' : 'AND id = ANY($1)'} ORDER BY created_at`,
      ids === 'all' ? [] : [ids],
    );
    const views = await Promise.all(rows.map((r) => this.organization(r.id)));
    return views.filter((v): v is OrganizationView => v !== undefined);
  }

  async user(scope: OrgScope, id: string): Promise<UserView | undefined> {
    const rows: UserRow[] = await this.db.query(
      `SELECT u.*, (SELECT array_agg(gm.group_id ORDER BY gm.group_id) FROM ${this.#t('group_members')} gm WHERE gm.user_id = u.id) AS groups
       FROM ${this.#t('users')} u WHERE u.org_id = $1 AND u.id = $2 AND NOT u.deleted`,
      [scope.orgId, id],
    );
    return rows[0] && toUser(rows[0]);
  }

  async users(scope: OrgScope, cursor: string | undefined, limit: number): Promise<Page<UserView>> {
    const rows: UserRow[] = await this.db.query(
      `SELECT u.*, (SELECT array_agg(gm.group_id ORDER BY gm.group_id) FROM ${this.#t('group_members')} gm WHERE gm.user_id = u.id) AS groups
       FROM ${this.#t('users')} u WHERE u.org_id = $1 AND NOT u.deleted AND ($2::text IS NULL OR u.id > $2)
       ORDER BY u.id LIMIT $3`,
      [scope.orgId, cursor ?? null, limit + 1],
    );
    const p = page(rows, limit);
    return { items: p.items.map(toUser), nextCursor: p.nextCursor };
  }

  async countOwners(scope: OrgScope): Promise<number> {
    const rows: { n: string }[] = await this.db.query(
      `SELECT count(*) AS n FROM ${this.#t('users')} WHERE org_id = $1 AND role = 'owner' AND NOT deleted AND NOT disabled`,
      [scope.orgId],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** For login only: the credentials of the account with this email, in any organisation. */
  async credentialsByEmail(email: string): Promise<UserCredentials | undefined> {
    const rows: UserRow[] = await this.db.query(
      `SELECT u.* FROM ${this.#t('users')} u JOIN ${this.#t('organizations')} o ON o.id = u.org_id
       WHERE lower(u.email) = lower($1) AND NOT u.deleted AND NOT o.deleted`,
      [email],
    );
    const r = rows[0];
    return (
      r && {
        id: r.id,
        orgId: r.org_id,
        email: r.email,
        role: r.role,
        passwordHash: r.password_hash,
        totpSecret: r.totp_secret,
        disabled: r.disabled,
      }
    );
  }

  async group(scope: OrgScope, id: string): Promise<GroupView | undefined> {
    const rows: {
      id: string;
      org_id: string;
      name: string;
      created_at: Date;
      version: string;
      members: string[] | null;
    }[] = await this.db.query(
      `SELECT g.*, (SELECT array_agg(user_id ORDER BY user_id) FROM ${this.#t('group_members')} WHERE group_id = g.id) AS members
         FROM ${this.#t('groups')} g WHERE g.org_id = $1 AND g.id = $2 AND NOT g.deleted`,
      [scope.orgId, id],
    );
    const r = rows[0];
    return (
      r && {
        id: r.id,
        orgId: r.org_id,
        name: r.name,
        members: r.members ?? [],
        createdAt: r.created_at.toISOString(),
        version: Number(r.version),
      }
    );
  }

  async groups(scope: OrgScope, cursor: string | undefined, limit: number): Promise<Page<GroupView>> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM ${this.#t('groups')} WHERE org_id = $1 AND NOT deleted AND ($2::text IS NULL OR id > $2) ORDER BY id LIMIT $3`,
      [scope.orgId, cursor ?? null, limit + 1],
    );
    const p = page(rows, limit);
    const items = await Promise.all(p.items.map((r) => this.group(scope, r.id)));
    return { items: items.filter((g): g is GroupView => g !== undefined), nextCursor: p.nextCursor };
  }

  async apiKeys(
    scope: OrgScope & { ownerUserId?: string },
    cursor: string | undefined,
    limit: number,
  ): Promise<Page<ApiKeyView>> {
    const rows: ApiKeyRowView[] = await this.db.query(
      `SELECT * FROM ${this.#t('api_keys')} WHERE org_id = $1 AND ($2::text IS NULL OR owner_user_id = $2)
       AND ($3::text IS NULL OR id > $3) ORDER BY id LIMIT $4`,
      [scope.orgId, scope.ownerUserId ?? null, cursor ?? null, limit + 1],
    );
    const p = page(rows, limit);
    return { items: p.items.map(toApiKey), nextCursor: p.nextCursor };
  }

  async apiKey(scope: OrgScope, id: string): Promise<ApiKeyView | undefined> {
    const rows: ApiKeyRowView[] = await this.db.query(
      `SELECT * FROM ${this.#t('api_keys')} WHERE org_id = $1 AND id = $2`,
      [scope.orgId, id],
    );
    return rows[0] && toApiKey(rows[0]);
  }

  /** For API-key authentication only: the key's record with its owner's current role. */
  async apiKeyRecord(id: string): Promise<ApiKeyRecord | undefined> {
    const rows: (ApiKeyRowView & {
      secret_hash: string;
      owner_role: Role | null;
      owner_disabled: boolean | null;
    })[] = await this.db.query(
      `SELECT k.*, u.role AS owner_role, u.disabled AS owner_disabled FROM ${this.#t('api_keys')} k
       JOIN ${this.#t('organizations')} o ON o.id = k.org_id AND NOT o.deleted
       LEFT JOIN ${this.#t('users')} u ON u.id = k.owner_user_id AND NOT u.deleted
       WHERE k.id = $1`,
      [id],
    );
    const r = rows[0];
    return (
      r && {
        id: r.id,
        orgId: r.org_id,
        role: r.role,
        ownerUserId: r.owner_user_id,
        secretHash: r.secret_hash,
        expiresAt: r.expires_at,
        revokedAt: r.revoked_at,
        ownerRole: r.owner_role,
        ownerDisabled: r.owner_disabled === true,
      }
    );
  }

  /** The ids of the user's API keys that are not revoked (their exchanged tokens carry them as session). */
  async liveApiKeyIds(scope: OrgScope, userId: string): Promise<string[]> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM ${this.#t('api_keys')} WHERE org_id = $1 AND owner_user_id = $2 AND revoked_at IS NULL`,
      [scope.orgId, userId],
    );
    return rows.map((r) => r.id);
  }

  async activeSessionIds(scope: OrgScope, userId: string): Promise<string[]> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM ${this.#t('sessions')} WHERE org_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now()`,
      [scope.orgId, userId],
    );
    return rows.map((r) => r.id);
  }
}

interface ApiKeyRowView {
  id: string;
  org_id: string;
  name: string;
  role: Role;
  owner_user_id: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const toApiKey = (r: ApiKeyRowView): ApiKeyView => ({
  id: r.id,
  orgId: r.org_id,
  name: r.name,
  role: r.role,
  ownerUserId: r.owner_user_id,
  createdAt: r.created_at.toISOString(),
  expiresAt: r.expires_at?.toISOString() ?? null,
  revokedAt: r.revoked_at?.toISOString() ?? null,
});
