import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { consoleRequest } from './console-request';

/**
 * The console's public keys for site snapshots. Kept in the data dir; fetched from the console on
 * the very first start (trust on first use) and never replaced by what NATS says.
 */
export async function loadConfigKeys(dataDir: string, consoleUrl: string): Promise<Record<string, string>> {
  const path = join(dataDir, 'config-keys.json');
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, string>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  let response: Awaited<ReturnType<typeof consoleRequest>>;
  try {
    response = await consoleRequest(`${consoleUrl}/api/v1/config/keys`);
  } catch (error) {
    throw new Error(
      `console unreachable at ${consoleUrl} (${(error as Error).message}): the first start needs it to learn the config signing keys`,
    );
  }
  if (!response.ok)
    throw new Error(`the console at ${consoleUrl} answered ${response.status} for its config keys`);
  const body = response.body as { keys?: { id: string; public_key: string }[] } | undefined;
  if (!body?.keys) throw new Error(`the console at ${consoleUrl} sent no config keys`);
  const keys = Object.fromEntries(body.keys.map((k) => [k.id, k.public_key]));
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}
