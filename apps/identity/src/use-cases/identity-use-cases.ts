import { ApiKeyUseCases } from './api-keys.use-cases';
import { AuthUseCases } from './auth.use-cases';
import { ExternalSignInUseCases } from './external-sign-in.use-cases';
import { GroupUseCases } from './groups.use-cases';
import type { IdentityDeps } from './identity-deps';
import { IdentityProviderUseCases } from './identity-providers.use-cases';
import { OrganizationUseCases } from './organizations.use-cases';
import { PasskeyUseCases } from './passkeys.use-cases';
import { SetupUseCases } from './setup.use-cases';
import { TotpUseCases } from './totp.use-cases';
import { UserUseCases } from './users.use-cases';

/** Every use case of the identity service, built over one set of dependencies. */
export class IdentityUseCases {
  readonly auth: AuthUseCases;
  readonly users: UserUseCases;
  readonly organizations: OrganizationUseCases;
  readonly groups: GroupUseCases;
  readonly apiKeys: ApiKeyUseCases;
  readonly totp: TotpUseCases;
  readonly identityProviders: IdentityProviderUseCases;
  readonly externalSignIn: ExternalSignInUseCases;
  readonly passkeys: PasskeyUseCases;
  readonly setup: SetupUseCases;

  constructor(deps: IdentityDeps) {
    this.auth = new AuthUseCases(deps);
    this.users = new UserUseCases(deps);
    this.organizations = new OrganizationUseCases(deps, this.users);
    this.groups = new GroupUseCases(deps);
    this.apiKeys = new ApiKeyUseCases(deps);
    this.totp = new TotpUseCases(deps);
    this.identityProviders = new IdentityProviderUseCases(deps);
    this.externalSignIn = new ExternalSignInUseCases(deps, this.auth, this.users);
    this.passkeys = new PasskeyUseCases(deps, this.auth);
    this.setup = new SetupUseCases(deps, this.organizations);
  }
}
