import type { ConsoleConfig } from '@rustronaut/config';
import { MIGRATIONS, migrateService, type ServiceWithSchema } from '@rustronaut/migrations';

/** Runs every service's pending migrations, each service in its own schema. */
export async function migrateAll(config: ConsoleConfig, report: (line: string) => void): Promise<void> {
  for (const service of Object.keys(MIGRATIONS) as ServiceWithSchema[]) {
    const schema = config.schemas[service];
    const ran = await migrateService(config.databaseUrl, service, schema);
    report(
      ran.length
        ? `${service}: applied ${ran.join(', ')} in schema "${schema}"`
        : `${service}: schema "${schema}" is up to date`,
    );
  }
}
