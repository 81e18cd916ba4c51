import { SYSTEM_ACTOR, type OrganizationView, type UserView } from '@rustronaut/contracts';
import { ConcurrencyConflictError } from '@rustronaut/eventstore';
import { IdentityError, IdentityErrorCode } from '../domain/errors';
import { DEFAULT_ORG_ID } from '../domain/ids';
import type { IdentityDeps } from './identity-deps';
import type { OrganizationUseCases } from './organizations.use-cases';

const setupDone = () =>
  new IdentityError(
    IdentityErrorCode.SetupDone,
    'this platform already has its first administrator: sign in, or ask an owner for an account',
  );

/**
 * The first run (RN_ADMIN_SETUP=console): a platform started without a seeded administrator waits
 * for one, made by whoever opens the console first. The default organisation (named then) and its
 * owner are created together; once the organisation exists every further attempt is refused.
 */
export class SetupUseCases {
  constructor(
    private readonly deps: IdentityDeps,
    private readonly organizations: OrganizationUseCases,
  ) {}

  /** The event store (not the read model) decides: a first run just finished is never offered again. */
  async status(): Promise<{ needed: boolean }> {
    const org = await this.deps.store.load({ type: 'organization', id: DEFAULT_ORG_ID });
    return { needed: org.version === 0 };
  }

  async complete(request: {
    organization: string;
    email: string;
    name: string;
    password: string;
  }): Promise<{ organization: OrganizationView; owner: UserView }> {
    if (!(await this.status()).needed) throw setupDone();
    try {
      return await this.organizations.found(
        DEFAULT_ORG_ID,
        'default',
        {
          name: request.organization,
          owner: { email: request.email, name: request.name, password: request.password },
        },
        SYSTEM_ACTOR,
      );
    } catch (error) {
      // Two first runs at once: the organisation is created once; the other one is told it is done.
      if (error instanceof ConcurrencyConflictError) throw setupDone();
      throw error;
    }
  }
}
