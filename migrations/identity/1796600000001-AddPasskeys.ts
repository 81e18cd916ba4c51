import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '../schema';

/** Users' passkeys (WebAuthn public keys), and whether a user signs in with passkeys only. */
export class AddPasskeys1796600000001 implements MigrationInterface {
  name = 'AddPasskeys1796600000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`
      CREATE TABLE ${s}.passkeys (
        credential_id text PRIMARY KEY, user_id text NOT NULL, org_id text NOT NULL, name text NOT NULL,
        public_key text NOT NULL, counter bigint NOT NULL, transports jsonb NOT NULL,
        created_at timestamptz NOT NULL, last_used_at timestamptz);
      CREATE INDEX passkeys_user ON ${s}.passkeys (user_id);
      ALTER TABLE ${s}.users ADD COLUMN passkey_only boolean NOT NULL DEFAULT false;
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s}.users DROP COLUMN passkey_only; DROP TABLE ${s}.passkeys`);
  }
}
