import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '../schema';

/** Organisations' OIDC identity providers, and which user each provider identity opens. */
export class AddIdentityProviders1796600000000 implements MigrationInterface {
  name = 'AddIdentityProviders1796600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`
      CREATE TABLE ${s}.identity_providers (
        id text PRIMARY KEY, org_id text NOT NULL, type text NOT NULL, name text NOT NULL,
        issuer text NOT NULL, client_id text NOT NULL, client_secret_sealed text NOT NULL,
        scopes jsonb NOT NULL, claim_mappings jsonb NOT NULL,
        jit_provisioning boolean NOT NULL, require_sso boolean NOT NULL,
        created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
        version bigint NOT NULL, deleted boolean NOT NULL DEFAULT false);
      CREATE INDEX identity_providers_org ON ${s}.identity_providers (org_id, id) WHERE NOT deleted;
      CREATE TABLE ${s}.external_identities (
        provider_id text NOT NULL, subject text NOT NULL, user_id text NOT NULL, org_id text NOT NULL,
        linked_at timestamptz NOT NULL, PRIMARY KEY (provider_id, subject));
      CREATE INDEX external_identities_user ON ${s}.external_identities (user_id);
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`DROP TABLE ${s}.external_identities, ${s}.identity_providers`);
  }
}
