import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { CreateAuditLog1764000000000 } from './audit/1764000000000-CreateAuditLog';
import { CreateAccessLog1764400000000 } from './audit/1764400000000-CreateAccessLog';
import { CreateIdentityReadModel1764000000000 } from './identity/1764000000000-CreateIdentityReadModel';
import { AddIdentityProviders1796600000000 } from './identity/1796600000000-AddIdentityProviders';
import { AddPasskeys1796600000001 } from './identity/1796600000001-AddPasskeys';
import { AddUserDisabled1796900000000 } from './identity/1796900000000-AddUserDisabled';
import { CreateDistributorKeys1764200000000 } from './distributor/1764200000000-CreateDistributorKeys';
import { CreateFoldSnapshots1796800000000 } from './distributor/1796800000000-CreateFoldSnapshots';
import { CreateGatewayRegistry1764300000000 } from './registry/1764300000000-CreateGatewayRegistry';
import { AddNatsAuthority1764300000001 } from './registry/1764300000001-AddNatsAuthority';
import { AddGatewayWireGuard1796700000001 } from './registry/1796700000001-AddGatewayWireGuard';
import { AddGatewayRuntime1796800000000 } from './registry/1796800000000-AddGatewayRuntime';
import { CreatePolicyReadModel1764100000000 } from './policy/1764100000000-CreatePolicyReadModel';
import { AddDevices1796700000000 } from './policy/1796700000000-AddDevices';

/** The migrations of each service, oldest first. */
export const MIGRATIONS = {
  identity: [
    CreateIdentityReadModel1764000000000,
    AddIdentityProviders1796600000000,
    AddPasskeys1796600000001,
    AddUserDisabled1796900000000,
  ],
  audit: [CreateAuditLog1764000000000, CreateAccessLog1764400000000],
  policy: [CreatePolicyReadModel1764100000000, AddDevices1796700000000],
  distributor: [CreateDistributorKeys1764200000000, CreateFoldSnapshots1796800000000],
  registry: [
    CreateGatewayRegistry1764300000000,
    AddNatsAuthority1764300000001,
    AddGatewayWireGuard1796700000001,
    AddGatewayRuntime1796800000000,
  ],
} as const;

export type ServiceWithSchema = keyof typeof MIGRATIONS;

/**
 * Brings one service's schema up to date: creates the schema, then runs each pending migration in
 * its own transaction (a failing one leaves the schema as the previous one left it).
 */
export async function migrateService(
  databaseUrl: string,
  service: ServiceWithSchema,
  schema: string,
): Promise<string[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
  const dataSource = new DataSource({
    type: 'postgres',
    url: databaseUrl,
    schema,
    migrations: [...MIGRATIONS[service]],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
  });
  await dataSource.initialize();
  try {
    const ran = await dataSource.runMigrations({ transaction: 'each' });
    return ran.map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}
