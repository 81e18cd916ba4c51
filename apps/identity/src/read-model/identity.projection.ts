import type { EntityManager } from 'typeorm';
import type { PlatformEvent } from '@rustronaut/contracts';
import type { Projection } from '@rustronaut/eventstore';

/**
 * The identity read model: organisations, users, groups and members, API keys and sessions, one
 * table each in the identity schema. `version` is the aggregate's version (the stream sequence of
 * its last commit), which the API shows as the ETag.
 */
export function identityProjection(schema: string): Projection<PlatformEvent> {
  const t = (table: string) => `"${schema}"."${table}"`;
  return {
    name: `${schema}_read_model`,
    async apply(event: PlatformEvent, { manager, sequence }) {
      const at = event.occurredAt;
      const id = event.aggregateId;
      const q = (sql: string, params: unknown[]) => manager.query(sql, params);
      switch (event.type) {
        case 'OrganizationCreated':
          return void (await q(
            `INSERT INTO ${t('organizations')} (id, name, slug, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $4, $5)`,
            [id, event.data.name, event.data.slug, at, sequence],
          ));
        case 'OrganizationRenamed':
          return void (await q(
            `UPDATE ${t('organizations')} SET name = $2, updated_at = $3, version = $4 WHERE id = $1`,
            [id, event.data.name, at, sequence],
          ));
        case 'OrganizationDeleted':
          return void (await q(
            `UPDATE ${t('organizations')} SET deleted = true, updated_at = $2, version = $3 WHERE id = $1`,
            [id, at, sequence],
          ));
        case 'UserRegistered':
          return void (await q(
            `INSERT INTO ${t('users')} (id, org_id, email, name, role, password_hash, created_at, updated_at, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)`,
            [
              id,
              event.orgId,
              event.data.email,
              event.data.name,
              event.data.role,
              event.data.passwordHash,
              at,
              sequence,
            ],
          ));
        case 'UserProfileUpdated':
          return void (await q(
            `UPDATE ${t('users')} SET name = COALESCE($2, name), email = COALESCE($3, email), updated_at = $4, version = $5 WHERE id = $1`,
            [id, event.data.name ?? null, event.data.email ?? null, at, sequence],
          ));
        case 'UserRoleChanged':
          return void (await q(
            `UPDATE ${t('users')} SET role = $2, updated_at = $3, version = $4 WHERE id = $1`,
            [id, event.data.role, at, sequence],
          ));
        case 'UserPasswordChanged':
          return void (await q(
            `UPDATE ${t('users')} SET password_hash = $2, updated_at = $3, version = $4 WHERE id = $1`,
            [id, event.data.passwordHash, at, sequence],
          ));
        case 'UserTotpEnabled':
        case 'UserTotpDisabled':
          return void (await q(
            `UPDATE ${t('users')} SET totp_secret = $2, updated_at = $3, version = $4 WHERE id = $1`,
            [id, event.type === 'UserTotpEnabled' ? event.data.totpSecret : null, at, sequence],
          ));
        case 'UserDisabled':
        case 'UserEnabled':
          return void (await q(
            `UPDATE ${t('users')} SET disabled = $2, updated_at = $3, version = $4 WHERE id = $1`,
            [id, event.type === 'UserDisabled', at, sequence],
          ));
        case 'UserDeleted':
          await q(`DELETE FROM ${t('group_members')} WHERE user_id = $1`, [id]);
          await q(`DELETE FROM ${t('external_identities')} WHERE user_id = $1`, [id]);
          await q(`DELETE FROM ${t('passkeys')} WHERE user_id = $1`, [id]);
          return void (await q(
            `UPDATE ${t('users')} SET deleted = true, updated_at = $2, version = $3 WHERE id = $1`,
            [id, at, sequence],
          ));
        case 'GroupCreated':
          return void (await q(
            `INSERT INTO ${t('groups')} (id, org_id, name, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $4, $5)`,
            [id, event.orgId, event.data.name, at, sequence],
          ));
        case 'GroupRenamed':
          return void (await q(
            `UPDATE ${t('groups')} SET name = $2, updated_at = $3, version = $4 WHERE id = $1`,
            [id, event.data.name, at, sequence],
          ));
        case 'GroupMemberAdded':
          await q(
            `INSERT INTO ${t('group_members')} (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
            [id, event.data.userId],
          );
          return void (await q(`UPDATE ${t('groups')} SET updated_at = $2, version = $3 WHERE id = $1`, [
            id,
            at,
            sequence,
          ]));
        case 'GroupMemberRemoved':
          await q(`DELETE FROM ${t('group_members')} WHERE group_id = $1 AND user_id = $2`, [
            id,
            event.data.userId,
          ]);
          return void (await q(`UPDATE ${t('groups')} SET updated_at = $2, version = $3 WHERE id = $1`, [
            id,
            at,
            sequence,
          ]));
        case 'GroupDeleted':
          await q(`DELETE FROM ${t('group_members')} WHERE group_id = $1`, [id]);
          return void (await q(
            `UPDATE ${t('groups')} SET deleted = true, updated_at = $2, version = $3 WHERE id = $1`,
            [id, at, sequence],
          ));
        case 'ApiKeyCreated':
          return void (await q(
            `INSERT INTO ${t('api_keys')} (id, org_id, name, role, owner_user_id, secret_hash, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
            [
              id,
              event.orgId,
              event.data.name,
              event.data.role,
              event.data.ownerUserId,
              event.data.secretHash,
              at,
              event.data.expiresAt,
            ],
          ));
        case 'ApiKeyRevoked':
          return void (await q(`UPDATE ${t('api_keys')} SET revoked_at = $2 WHERE id = $1`, [id, at]));
        case 'SessionStarted':
          return void (await q(
            `INSERT INTO ${t('sessions')} (id, org_id, user_id, expires_at, created_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
            [
              id,
              event.orgId,
              event.data.userId,
              event.data.expiresAt,
              at,
              event.data.ip,
              event.data.userAgent,
            ],
          ));
        case 'SessionRefreshed':
          return void (await q(
            `UPDATE ${t('sessions')} SET expires_at = $2, refreshed_at = $3 WHERE id = $1`,
            [id, event.data.expiresAt, at],
          ));
        case 'SessionRevoked':
          return void (await q(`UPDATE ${t('sessions')} SET revoked_at = $2 WHERE id = $1`, [id, at]));
        case 'IdentityProviderAdded':
          return void (await q(
            `INSERT INTO ${t('identity_providers')} (id, org_id, type, name, issuer, client_id, client_secret_sealed, scopes, claim_mappings, jit_provisioning, require_sso, created_at, updated_at, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13)`,
            [
              id,
              event.orgId,
              event.data.type,
              event.data.name,
              event.data.issuer,
              event.data.clientId,
              event.data.clientSecretSealed,
              JSON.stringify(event.data.scopes),
              JSON.stringify(event.data.claimMappings),
              event.data.jitProvisioning,
              event.data.requireSso,
              at,
              sequence,
            ],
          ));
        case 'IdentityProviderChanged': {
          const d = event.data;
          return void (await q(
            `UPDATE ${t('identity_providers')} SET name = COALESCE($2, name), issuer = COALESCE($3, issuer),
               client_id = COALESCE($4, client_id), client_secret_sealed = COALESCE($5, client_secret_sealed),
               scopes = COALESCE($6, scopes), claim_mappings = COALESCE($7, claim_mappings),
               jit_provisioning = COALESCE($8, jit_provisioning), require_sso = COALESCE($9, require_sso),
               updated_at = $10, version = $11 WHERE id = $1`,
            [
              id,
              d.name ?? null,
              d.issuer ?? null,
              d.clientId ?? null,
              d.clientSecretSealed ?? null,
              d.scopes ? JSON.stringify(d.scopes) : null,
              d.claimMappings ? JSON.stringify(d.claimMappings) : null,
              d.jitProvisioning ?? null,
              d.requireSso ?? null,
              at,
              sequence,
            ],
          ));
        }
        case 'IdentityProviderRemoved':
          await q(`DELETE FROM ${t('external_identities')} WHERE provider_id = $1`, [id]);
          return void (await q(
            `UPDATE ${t('identity_providers')} SET deleted = true, updated_at = $2, version = $3 WHERE id = $1`,
            [id, at, sequence],
          ));
        case 'UserProvisioned':
          await q(
            `INSERT INTO ${t('users')} (id, org_id, email, name, role, password_hash, created_at, updated_at, version)
             VALUES ($1, $2, $3, $4, $5, '', $6, $6, $7)`,
            [id, event.orgId, event.data.email, event.data.name, event.data.role, at, sequence],
          );
          return void (await q(
            `INSERT INTO ${t('external_identities')} (provider_id, subject, user_id, org_id, linked_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
            [event.data.providerId, event.data.subject, id, event.orgId, at],
          ));
        case 'UserExternalIdentityLinked':
          await q(`UPDATE ${t('users')} SET updated_at = $2, version = $3 WHERE id = $1`, [id, at, sequence]);
          return void (await q(
            `INSERT INTO ${t('external_identities')} (provider_id, subject, user_id, org_id, linked_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
            [event.data.providerId, event.data.subject, id, event.orgId, at],
          ));
        case 'PasskeyRegistered':
          await q(`UPDATE ${t('users')} SET updated_at = $2, version = $3 WHERE id = $1`, [id, at, sequence]);
          return void (await q(
            `INSERT INTO ${t('passkeys')} (credential_id, user_id, org_id, name, public_key, counter, transports, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
            [
              event.data.credentialId,
              id,
              event.orgId,
              event.data.name,
              event.data.publicKey,
              event.data.counter,
              JSON.stringify(event.data.transports),
              at,
            ],
          ));
        case 'PasskeyRenamed':
          await q(`UPDATE ${t('users')} SET updated_at = $2, version = $3 WHERE id = $1`, [id, at, sequence]);
          return void (await q(
            `UPDATE ${t('passkeys')} SET name = $3 WHERE credential_id = $1 AND user_id = $2`,
            [event.data.credentialId, id, event.data.name],
          ));
        case 'PasskeyRemoved':
          await q(`UPDATE ${t('users')} SET updated_at = $2, version = $3 WHERE id = $1`, [id, at, sequence]);
          return void (await q(`DELETE FROM ${t('passkeys')} WHERE credential_id = $1 AND user_id = $2`, [
            event.data.credentialId,
            id,
          ]));
        case 'PasskeyUsed':
          await q(`UPDATE ${t('users')} SET version = $2 WHERE id = $1`, [id, sequence]);
          return void (await q(
            `UPDATE ${t('passkeys')} SET counter = $3, last_used_at = $4 WHERE credential_id = $1 AND user_id = $2`,
            [event.data.credentialId, id, event.data.counter, at],
          ));
        case 'UserPasskeyOnlyChanged':
          return void (await q(
            `UPDATE ${t('users')} SET passkey_only = $2, updated_at = $3, version = $4 WHERE id = $1`,
            [id, event.data.passkeyOnly, at, sequence],
          ));
        default:
          return; // events of other services' aggregates, and claims with no read model
      }
    },
    async reset(manager: EntityManager) {
      await manager.query(
        `TRUNCATE ${['organizations', 'users', 'groups', 'group_members', 'api_keys', 'sessions'].map(t).join(', ')}`,
      );
    },
  };
}
