import type { DataSource } from 'typeorm';
import type { ClaimMappings, PasskeyView, Role } from '@rustronaut/contracts';
import type { KnownUser } from '../domain/external-sign-in';
import type { OrgScope } from './identity.queries';

interface ProviderRow {
  id: string;
  org_id: string;
  type: 'oidc';
  name: string;
  issuer: string;
  client_id: string;
  client_secret_sealed: string;
  scopes: string[];
  claim_mappings: ClaimMappings;
  jit_provisioning: boolean;
  require_sso: boolean;
  created_at: Date;
  updated_at: Date;
  version: string;
}

export interface ProviderRecord {
  id: string;
  orgId: string;
  type: 'oidc';
  name: string;
  issuer: string;
  clientId: string;
  clientSecretSealed: string;
  scopes: string[];
  claimMappings: ClaimMappings;
  jitProvisioning: boolean;
  requireSso: boolean;
  createdAt: string;
  updatedAt: string;
  version: number;
}

const toRecord = (r: ProviderRow): ProviderRecord => ({
  id: r.id,
  orgId: r.org_id,
  type: r.type,
  name: r.name,
  issuer: r.issuer,
  clientId: r.client_id,
  clientSecretSealed: r.client_secret_sealed,
  scopes: r.scopes,
  claimMappings: r.claim_mappings,
  jitProvisioning: r.jit_provisioning,
  requireSso: r.require_sso,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  version: Number(r.version),
});

/** The read side of sign-in through identity providers. */
export class SignInQueries {
  readonly #t: (table: string) => string;

  constructor(
    private readonly db: DataSource,
    schema: string,
  ) {
    this.#t = (table) => `"${schema}"."${table}"`;
  }

  async providers(scope: OrgScope): Promise<ProviderRecord[]> {
    const rows: ProviderRow[] = await this.db.query(
      `SELECT * FROM ${this.#t('identity_providers')} WHERE org_id = $1 AND NOT deleted ORDER BY created_at, id`,
      [scope.orgId],
    );
    return rows.map(toRecord);
  }

  async provider(scope: OrgScope, id: string): Promise<ProviderRecord | undefined> {
    const record = await this.providerRecord(id);
    return record?.orgId === scope.orgId ? record : undefined;
  }

  /** For sign-in only (no caller yet): the provider with this id, in whichever organisation. */
  async providerRecord(id: string): Promise<ProviderRecord | undefined> {
    const rows: ProviderRow[] = await this.db.query(
      `SELECT p.* FROM ${this.#t('identity_providers')} p JOIN ${this.#t('organizations')} o ON o.id = p.org_id
       WHERE p.id = $1 AND NOT p.deleted AND NOT o.deleted`,
      [id],
    );
    return rows[0] && toRecord(rows[0]);
  }

  async organizationIdBySlug(slug: string): Promise<string | undefined> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM ${this.#t('organizations')} WHERE slug = $1 AND NOT deleted ORDER BY created_at LIMIT 1`,
      [slug],
    );
    return rows[0]?.id;
  }

  async groupIds(scope: OrgScope): Promise<Set<string>> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM ${this.#t('groups')} WHERE org_id = $1 AND NOT deleted`,
      [scope.orgId],
    );
    return new Set(rows.map((r) => r.id));
  }

  /** The account this provider's subject is linked to. */
  async linkedUser(providerId: string, subject: string): Promise<KnownUser | undefined> {
    return this.#knownUser(
      `JOIN ${this.#t('external_identities')} x ON x.user_id = u.id AND x.provider_id = $1 WHERE x.subject = $2`,
      [providerId, subject],
    );
  }

  /** The account with this email, in any organisation (emails are unique on the platform). */
  async userByEmail(providerId: string, email: string): Promise<KnownUser | undefined> {
    return this.#knownUser(
      `LEFT JOIN ${this.#t('external_identities')} x ON x.user_id = u.id AND x.provider_id = $1 WHERE lower(u.email) = lower($2)`,
      [providerId, email],
    );
  }

  /** The name of a provider that refuses this user a password sign-in, if any does. */
  async ssoRequiredBy(userId: string): Promise<string | undefined> {
    const rows: { name: string }[] = await this.db.query(
      `SELECT p.name FROM ${this.#t('external_identities')} x JOIN ${this.#t('identity_providers')} p ON p.id = x.provider_id
       WHERE x.user_id = $1 AND p.require_sso AND NOT p.deleted ORDER BY p.created_at LIMIT 1`,
      [userId],
    );
    return rows[0]?.name;
  }

  async passkeys(userId: string): Promise<PasskeyView[]> {
    const rows: {
      credential_id: string;
      name: string;
      transports: string[];
      created_at: Date;
      last_used_at: Date | null;
    }[] = await this.db.query(
      `SELECT credential_id, name, transports, created_at, last_used_at FROM ${this.#t('passkeys')} WHERE user_id = $1 ORDER BY created_at, credential_id`,
      [userId],
    );
    return rows.map((r) => ({
      id: r.credential_id,
      name: r.name,
      transports: r.transports,
      createdAt: r.created_at.toISOString(),
      lastUsedAt: r.last_used_at?.toISOString() ?? null,
    }));
  }

  /** For passkey sign-in only (no caller yet): whose credential this is, and its public key. */
  async passkeyRecord(
    credentialId: string,
  ): Promise<
    { userId: string; orgId: string; publicKey: string; counter: number; transports: string[] } | undefined
  > {
    const rows: {
      user_id: string;
      org_id: string;
      public_key: string;
      counter: string;
      transports: string[];
    }[] = await this.db.query(
      `SELECT k.* FROM ${this.#t('passkeys')} k JOIN ${this.#t('users')} u ON u.id = k.user_id AND NOT u.deleted
         WHERE k.credential_id = $1`,
      [credentialId],
    );
    const r = rows[0];
    return (
      r && {
        userId: r.user_id,
        orgId: r.org_id,
        publicKey: r.public_key,
        counter: Number(r.counter),
        transports: r.transports,
      }
    );
  }

  async passkeyOnly(userId: string): Promise<boolean> {
    const rows: { passkey_only: boolean }[] = await this.db.query(
      `SELECT passkey_only FROM ${this.#t('users')} WHERE id = $1`,
      [userId],
    );
    return rows[0]?.passkey_only ?? false;
  }

  async #knownUser(where: string, params: unknown[]): Promise<KnownUser | undefined> {
    const rows: {
      id: string;
      org_id: string;
      role: Role;
      subject: string | null;
      groups: string[] | null;
    }[] = await this.db.query(
      `SELECT u.id, u.org_id, u.role, x.subject,
           (SELECT array_agg(gm.group_id ORDER BY gm.group_id) FROM ${this.#t('group_members')} gm WHERE gm.user_id = u.id) AS groups
         FROM ${this.#t('users')} u ${where} AND NOT u.deleted LIMIT 1`,
      params,
    );
    const r = rows[0];
    return (
      r && { id: r.id, orgId: r.org_id, role: r.role, groups: r.groups ?? [], subjectAtProvider: r.subject }
    );
  }
}
