import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '../schema';

export class CreatePolicyReadModel1764100000000 implements MigrationInterface {
  name = 'CreatePolicyReadModel1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`
      CREATE TABLE ${s}.sites (
        id text PRIMARY KEY, org_id text NOT NULL, name text NOT NULL, subnet text NOT NULL, region text NOT NULL,
        connection_type text NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
        version bigint NOT NULL, deleted boolean NOT NULL DEFAULT false);
      CREATE INDEX sites_org ON ${s}.sites (org_id, id) WHERE NOT deleted;
      CREATE TABLE ${s}.resources (
        id text PRIMARY KEY, org_id text NOT NULL, site_id text NOT NULL, data jsonb NOT NULL,
        created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
        version bigint NOT NULL, deleted boolean NOT NULL DEFAULT false);
      CREATE INDEX resources_org ON ${s}.resources (org_id, id) WHERE NOT deleted;
      CREATE INDEX resources_site ON ${s}.resources (site_id) WHERE NOT deleted;
      CREATE TABLE ${s}.targets (
        id text PRIMARY KEY, resource_id text NOT NULL, org_id text NOT NULL, data jsonb NOT NULL, position bigserial);
      CREATE INDEX targets_resource ON ${s}.targets (resource_id, position);
      CREATE TABLE ${s}.policies (
        id text PRIMARY KEY, org_id text NOT NULL, data jsonb NOT NULL,
        created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
        version bigint NOT NULL, deleted boolean NOT NULL DEFAULT false);
      CREATE INDEX policies_org ON ${s}.policies (org_id, id) WHERE NOT deleted;
      CREATE TABLE IF NOT EXISTS ${s}.projection_checkpoints (
        projection text PRIMARY KEY, sequence bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`DROP TABLE ${s}.policies, ${s}.targets, ${s}.resources, ${s}.sites`);
  }
}
