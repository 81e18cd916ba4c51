import { ConfigError, loadConsoleConfig } from '@rustronaut/config';
import { ensureDatabase } from './infrastructure';
import { migrateAll } from './migrate';

/** `npm run migrate`: creates the database if needed and applies every pending migration. */
async function main(): Promise<void> {
  const config = loadConsoleConfig();
  await ensureDatabase(config, {
    step: (m) => process.stdout.write(`• ${m}\n`),
    done: (m) => process.stdout.write(`  ✓ ${m}\n`),
    fail: (m) => process.stderr.write(`  ✗ ${m}\n`),
  });
  await migrateAll(config, (line) => process.stdout.write(`  ✓ ${line}\n`));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof ConfigError ? '' : 'migration failed: '}${(error as Error).message}\n`,
  );
  process.exit(1);
});
