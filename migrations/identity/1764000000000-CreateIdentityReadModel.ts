import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '../schema';

export class CreateIdentityReadModel1764000000000 implements MigrationInterface {
  name = 'CreateIdentityReadModel1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`
      CREATE TABLE ${s}.organizations (
        id text PRIMARY KEY, name text NOT NULL, slug text NOT NULL,
        created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
        version bigint NOT NULL, deleted boolean NOT NULL DEFAULT false);
      CREATE TABLE ${s}.users (
        id text PRIMARY KEY, org_id text NOT NULL, email text NOT NULL, name text NOT NULL,
        role text NOT NULL, password_hash text NOT NULL, totp_secret text,
        created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
        version bigint NOT NULL, deleted boolean NOT NULL DEFAULT false);
      CREATE INDEX users_org ON ${s}.users (org_id, id) WHERE NOT deleted;
      CREATE INDEX users_email ON ${s}.users (lower(email)) WHERE NOT deleted;
      CREATE TABLE ${s}.groups (
        id text PRIMARY KEY, org_id text NOT NULL, name text NOT NULL,
        created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
        version bigint NOT NULL, deleted boolean NOT NULL DEFAULT false);
      CREATE TABLE ${s}.group_members (group_id text NOT NULL, user_id text NOT NULL, PRIMARY KEY (group_id, user_id));
      CREATE INDEX group_members_user ON ${s}.group_members (user_id);
      CREATE TABLE ${s}.api_keys (
        id text PRIMARY KEY, org_id text NOT NULL, name text NOT NULL, role text NOT NULL,
        owner_user_id text NOT NULL, secret_hash text NOT NULL, created_at timestamptz NOT NULL,
        expires_at timestamptz, revoked_at timestamptz);
      CREATE INDEX api_keys_org ON ${s}.api_keys (org_id, id);
      CREATE TABLE ${s}.sessions (
        id text PRIMARY KEY, org_id text NOT NULL, user_id text NOT NULL, expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL, refreshed_at timestamptz, revoked_at timestamptz,
        ip text, user_agent text);
      CREATE INDEX sessions_user ON ${s}.sessions (user_id) WHERE revoked_at IS NULL;
      CREATE TABLE ${s}.signing_keys (
        kid text PRIMARY KEY, public_jwk jsonb NOT NULL, private_jwk jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(), retired_at timestamptz);
      CREATE TABLE IF NOT EXISTS ${s}.projection_checkpoints (
        projection text PRIMARY KEY, sequence bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(
      `DROP TABLE ${s}.signing_keys, ${s}.sessions, ${s}.api_keys, ${s}.group_members, ${s}.groups, ${s}.users, ${s}.organizations`,
    );
  }
}
