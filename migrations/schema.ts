import type { QueryRunner } from 'typeorm';

/** The schema a migration runs in: the data source's, set per service (and per test run). */
export function schemaOf(queryRunner: QueryRunner): string {
  const schema = (queryRunner.connection.options as { schema?: string }).schema;
  if (!schema) throw new Error('migrations need a data source with a schema');
  return `"${schema.replaceAll('"', '""')}"`;
}
