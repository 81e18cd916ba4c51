import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '../schema';

/** What a gateway last reported it serves: its targets' health, its tunnels, its certificates. */
export class AddGatewayRuntime1796800000000 implements MigrationInterface {
  name = 'AddGatewayRuntime1796800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(
      `ALTER TABLE ${s}.gateways ADD COLUMN runtime jsonb, ADD COLUMN runtime_reported_at timestamptz`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s}.gateways DROP COLUMN runtime, DROP COLUMN runtime_reported_at`);
  }
}
