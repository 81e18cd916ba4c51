import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '../schema';

export class CreateAuditLog1764000000000 implements MigrationInterface {
  name = 'CreateAuditLog1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`
      CREATE TABLE ${s}.audit_entries (
        id uuid PRIMARY KEY,
        sequence bigint NOT NULL,
        org_id text NOT NULL,
        type text NOT NULL,
        aggregate_type text NOT NULL,
        aggregate_id text NOT NULL,
        actor_kind text NOT NULL,
        actor_id text NOT NULL,
        occurred_at timestamptz NOT NULL,
        trace_id text,
        command_id text NOT NULL,
        data jsonb NOT NULL);
      CREATE INDEX audit_org_time ON ${s}.audit_entries (org_id, occurred_at DESC, id DESC);
      CREATE INDEX audit_org_actor ON ${s}.audit_entries (org_id, actor_id, occurred_at DESC);
      CREATE INDEX audit_org_type ON ${s}.audit_entries (org_id, type, occurred_at DESC);
      CREATE TABLE IF NOT EXISTS ${s}.projection_checkpoints (
        projection text PRIMARY KEY, sequence bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${schemaOf(queryRunner)}.audit_entries`);
  }
}
