import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { ConfigError, loadConsoleConfig } from '@rustronaut/config';
import { migrateService } from '@rustronaut/migrations';
import { loadNatsAuthority } from '@rustronaut/nats-authority';
import { ensureDatabase } from './infrastructure';

/**
 * `npm run nats-config [-- <dir>]`: writes the nats-server configuration that enforces gateways'
 * permissions (operator mode: the platform's operator, account with its revocations, system account)
 * and the console's credentials. Run it before the first start of a production deployment: the
 * authority is created in the registry's schema if it does not exist yet.
 */
async function main(): Promise<void> {
  const config = loadConsoleConfig();
  const dir = resolve(process.argv[2] ?? '.rustronaut/nats-operator');
  await ensureDatabase(config, { step: () => undefined, done: () => undefined, fail: () => undefined });
  await migrateService(config.databaseUrl, 'registry', config.schemas.registry);
  const db = new DataSource({ type: 'postgres', url: config.databaseUrl, extra: { max: 1 } });
  await db.initialize();
  try {
    const authority = await loadNatsAuthority(db, config.schemas.registry);
    const revoked: { nats_public_key: string; updated_at: Date }[] = await db.query(
      `SELECT nats_public_key, updated_at FROM "${config.schemas.registry}"."gateways" WHERE deleted AND nats_public_key IS NOT NULL`,
    );
    const revocations = Object.fromEntries(
      revoked.map((r) => [r.nats_public_key, Math.ceil(r.updated_at.getTime() / 1000)]),
    );
    mkdirSync(join(dir, 'accounts'), { recursive: true });
    writeFileSync(
      join(dir, 'server.conf'),
      await authority.serverConfig(join(dir, 'accounts'), revocations),
      { mode: 0o600 },
    );
    writeFileSync(join(dir, 'console.creds'), await authority.serviceCreds('console'), { mode: 0o600 });
  } finally {
    await db.destroy();
  }
  process.stdout.write(
    [
      `✓ wrote ${join(dir, 'server.conf')} and ${join(dir, 'console.creds')}`,
      'To enforce gateway permissions, run NATS in operator mode with it:',
      `  nats-server -c ${join(dir, 'server.conf')} -js -sd <store dir>`,
      `and start the console with RN_NATS_CREDS=${join(dir, 'console.creds')} (gateways use the credentials they got at enrolment).`,
      'Keep both files secret: the creds file grants full access to the platform account.',
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? '' : 'nats-config: '}${(error as Error).message}\n`);
  process.exit(1);
});
