import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '../schema';

export class CreateDistributorKeys1764200000000 implements MigrationInterface {
  name = 'CreateDistributorKeys1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`
      CREATE TABLE ${s}.signing_keys (
        kid text PRIMARY KEY, private_pem text NOT NULL, public_pem text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp());
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${schemaOf(queryRunner)}.signing_keys`);
  }
}
