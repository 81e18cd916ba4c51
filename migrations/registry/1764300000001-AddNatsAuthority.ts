import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '../schema';

export class AddNatsAuthority1764300000001 implements MigrationInterface {
  name = 'AddNatsAuthority1764300000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`
      CREATE TABLE ${s}.nats_authority (
        id int PRIMARY KEY CHECK (id = 1), operator_seed text NOT NULL, account_seed text NOT NULL, system_seed text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now());
      ALTER TABLE ${s}.gateways ADD COLUMN nats_public_key text;
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(
      `ALTER TABLE ${s}.gateways DROP COLUMN nats_public_key; DROP TABLE ${s}.nats_authority`,
    );
  }
}
