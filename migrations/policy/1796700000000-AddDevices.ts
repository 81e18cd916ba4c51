import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '../schema';

/** WireGuard devices: one row each, revoked ones kept (revoked_at) for the audit trail. */
export class AddDevices1796700000000 implements MigrationInterface {
  name = 'AddDevices1796700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`
      CREATE TABLE ${s}.devices (
        id text PRIMARY KEY, org_id text NOT NULL, site_id text NOT NULL, user_id text NOT NULL,
        name text NOT NULL, public_key text NOT NULL, address text NOT NULL,
        created_at timestamptz NOT NULL, revoked_at timestamptz, version bigint NOT NULL);
      CREATE INDEX devices_org_user ON ${s}.devices (org_id, user_id, id) WHERE revoked_at IS NULL;
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`DROP TABLE ${s}.devices`);
  }
}
