import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeApi } from './api-document';
import { CLIENT_SCHEMA_PATH, clientSchemaSource, documentStamp } from './client-schema';
import { undeclaredRoutes } from './http/openapi';

/**
 * `node dist/apps/api/src/openapi-main.js <repository root> [--check]`: writes the typed client's
 * schema from the API's document (the build runs it), or with --check fails when the committed one
 * is stale.
 */
async function main() {
  const [root = process.cwd(), flag] = process.argv.slice(2);
  const target = join(root, CLIENT_SCHEMA_PATH);
  const { document } = await describeApi();
  const undeclared = undeclaredRoutes(document);
  if (undeclared.length) {
    // Not fatal here, so a route being written does not stop everyone's build: the route test fails.
    process.stderr.write(
      `the API client was not regenerated: routes without @Endpoint: ${undeclared.join(', ')}\n`,
    );
    process.exit(flag === '--check' ? 1 : 0);
  }
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // first generation
  }
  // Unchanged document, unchanged client: the build skips openapi-typescript (a few seconds).
  if (current.includes(documentStamp(document))) return;
  const source = await clientSchemaSource(document);
  if (current === source) return;
  if (flag === '--check') {
    process.stderr.write(`${CLIENT_SCHEMA_PATH} is stale: run npm run build and commit it\n`);
    process.exit(1);
  }
  writeFileSync(target, source);
  process.stdout.write(`regenerated ${CLIENT_SCHEMA_PATH}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`could not generate the API client: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
