import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '../schema';

/** The WireGuard interface a gateway last reported (its public key, and its peers' counters). */
export class AddGatewayWireGuard1796700000001 implements MigrationInterface {
  name = 'AddGatewayWireGuard1796700000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s}.gateways ADD COLUMN wireguard jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s}.gateways DROP COLUMN wireguard`);
  }
}
