import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '../schema';

export class CreateGatewayRegistry1764300000000 implements MigrationInterface {
  name = 'CreateGatewayRegistry1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`
      CREATE TABLE ${s}.gateways (
        id text PRIMARY KEY, org_id text NOT NULL, settings jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending', public_key text, enrolled_at timestamptz,
        enrollment_token_hash text NOT NULL, enrollment_expires_at timestamptz NOT NULL,
        config_revision bigint, config_applied_at timestamptz, last_heartbeat_at timestamptz, site_revisions jsonb,
        created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, version bigint NOT NULL,
        deleted boolean NOT NULL DEFAULT false);
      CREATE INDEX gateways_org ON ${s}.gateways (org_id, id) WHERE NOT deleted;
      CREATE TABLE IF NOT EXISTS ${s}.projection_checkpoints (
        projection text PRIMARY KEY, sequence bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${schemaOf(queryRunner)}.gateways`);
  }
}
