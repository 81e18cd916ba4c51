import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '../schema';

/** The config distributor's fold state, so a restart resumes instead of replaying every event. */
export class CreateFoldSnapshots1796800000000 implements MigrationInterface {
  name = 'CreateFoldSnapshots1796800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS ${s}.fold_snapshots (
        fold text PRIMARY KEY, format_version integer NOT NULL, stream text NOT NULL,
        sequence bigint NOT NULL, checksum text NOT NULL, state text NOT NULL,
        written_at timestamptz NOT NULL DEFAULT now());
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${schemaOf(queryRunner)}.fold_snapshots`);
  }
}
