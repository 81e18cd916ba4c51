import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '../schema';

/** Whether an admin disabled the account (no sign-in, its devices reach nothing). */
export class AddUserDisabled1796900000000 implements MigrationInterface {
  name = 'AddUserDisabled1796900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s}.users ADD COLUMN disabled boolean NOT NULL DEFAULT false`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s}.users DROP COLUMN disabled`);
  }
}
