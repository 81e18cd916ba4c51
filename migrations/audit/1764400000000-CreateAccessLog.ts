import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '../schema';

/** The gateways' access records (one row per request), kept RN_ACCESS_LOG_RETENTION_DAYS days. */
export class CreateAccessLog1764400000000 implements MigrationInterface {
  name = 'CreateAccessLog1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`
      CREATE TABLE ${s}.access_log (
        seq bigserial NOT NULL,
        gateway_id text NOT NULL,
        id text NOT NULL,
        org_id text NOT NULL,
        at timestamptz NOT NULL,
        site_id text,
        resource_id text,
        user_id text,
        email text,
        ip text NOT NULL,
        method text NOT NULL,
        host text NOT NULL,
        path text NOT NULL,
        status smallint NOT NULL,
        decision text NOT NULL,
        decided_by text NOT NULL,
        rule_id text,
        rule_name text,
        reason text,
        admission_ms real NOT NULL,
        total_ms real NOT NULL,
        bytes_in bigint NOT NULL,
        bytes_out bigint NOT NULL,
        trace_id text,
        PRIMARY KEY (gateway_id, id));
      CREATE INDEX access_org_time ON ${s}.access_log (org_id, at DESC, seq DESC);
      CREATE INDEX access_org_resource ON ${s}.access_log (org_id, resource_id, at DESC);
      CREATE INDEX access_org_user ON ${s}.access_log (org_id, user_id, at DESC);
      CREATE INDEX access_time ON ${s}.access_log (at);
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${schemaOf(queryRunner)}.access_log`);
  }
}
