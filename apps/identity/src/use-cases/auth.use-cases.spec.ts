import { IdentityErrorCode } from '../domain/errors';
import { AuthUseCases } from './auth.use-cases';
import type { IdentityDeps } from './identity-deps';

describe('a session for a disabled account', () => {
  // Deps that fail the test if touched: a disabled account is refused before anything is recorded.
  const untouchable = new Proxy({} as IdentityDeps, {
    get: (_, name) => {
      throw new Error(`a disabled account's sign-in touched deps.${String(name)}`);
    },
  });
  const user = { id: 'usr_1', orgId: 'org_a', role: 'member' as const, email: 'a@example.com' };
  const client = { ip: null, userAgent: null };

  it('is refused with AUTH_ACCOUNT_DISABLED (password, provider and passkey sign-ins all start one here)', async () => {
    await expect(
      new AuthUseCases(untouchable).startSession({ ...user, disabled: true }, client),
    ).rejects.toMatchObject({ code: IdentityErrorCode.AccountDisabled });
  });

  it('an enabled account goes on to record its session', async () => {
    await expect(
      new AuthUseCases(untouchable).startSession({ ...user, disabled: false }, client),
    ).rejects.toThrow(/touched deps\./);
  });
});
