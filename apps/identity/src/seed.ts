import { randomBytes } from 'node:crypto';
import { SYSTEM_ACTOR } from '@rustronaut/contracts';
import type { Logger } from '@rustronaut/observability';
import { DEFAULT_ORG_ID } from './domain/ids';
import type { IdentityDeps } from './use-cases/identity-deps';
import type { IdentityUseCases } from './use-cases/identity-use-cases';

/**
 * On an empty store: organisation `default` and its owner, from RN_ADMIN_EMAIL / RN_ADMIN_PASSWORD,
 * or with a generated password printed once. Safe to run from several instances at once (fixed
 * command ids: a second run stores nothing). With RN_ADMIN_SETUP=console it creates nobody: the web
 * console's first-run page does (SetupUseCases).
 */
export async function seedDefaultOrganization(
  deps: IdentityDeps,
  useCases: IdentityUseCases,
  logger: Logger,
): Promise<void> {
  if (deps.config.admin.setup === 'console') {
    if ((await useCases.setup.status()).needed)
      logger.warn(
        'no administrator yet: open the web console to create the first one (RN_ADMIN_SETUP=console)',
      );
    return;
  }
  const existing = await deps.store.load({ type: 'organization', id: DEFAULT_ORG_ID });
  if (existing.version > 0) return;
  const email = deps.config.admin.email ?? 'admin@rustronaut.local';
  const password = deps.config.admin.password ?? randomBytes(12).toString('base64url');
  await useCases.organizations.found(
    DEFAULT_ORG_ID,
    'default',
    { name: 'Default', owner: { email, name: 'Administrator', password } },
    SYSTEM_ACTOR,
    'seed-default-organization',
  );
  logger.warn(
    { email },
    deps.config.admin.password
      ? `created organisation "default" with owner ${email}`
      : `created organisation "default" with owner ${email} and password ${password} — shown once: log in and change it`,
  );
}
