import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadPlatformConfig } from '@rustronaut/config';
import { uniqueName } from './unique-name';

const TEST_DATABASE = 'rustronaut_test';

/** The URL of the test database: the platform's Postgres, database `rustronaut_test` (created if missing). */
export async function testDatabaseUrl(): Promise<string> {
  const url = new URL(loadPlatformConfig().databaseUrl);
  url.pathname = `/${TEST_DATABASE}`;
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [TEST_DATABASE]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${TEST_DATABASE}`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // created by a parallel test meanwhile
      });
    }
  } finally {
    await client.end();
  }
  return url.toString();
}

export interface TestSchema {
  schema: string;
  dataSource: DataSource;
  drop(): Promise<void>;
}

/** A fresh schema in the test database, with a TypeORM data source whose search_path is that schema. */
export async function createTestSchema(prefix = 'test'): Promise<TestSchema> {
  const schema = uniqueName(prefix);
  const dataSource = new DataSource({
    type: 'postgres',
    url: await testDatabaseUrl(),
    schema,
    extra: { max: 5, options: `-c search_path=${schema}` },
  });
  await dataSource.initialize();
  await dataSource.query(`CREATE SCHEMA "${schema}"`);
  return {
    schema,
    dataSource,
    async drop() {
      if (!dataSource.isInitialized) await dataSource.initialize();
      await dataSource.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await dataSource.destroy();
    },
  };
}
