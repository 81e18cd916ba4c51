import type { Principal, UserView } from '@rustronaut/contracts';
import { evolveUser, fold } from '../domain/aggregates';
import { IdentityError, IdentityErrorCode, forbidden, notFound } from '../domain/errors';
import { newTotpSecret, totpCodeValid, totpUrl } from '../domain/totp';
import { actorOf, commit, retryOnConflict, type IdentityDeps } from './identity-deps';

/** Two-factor authentication of the calling user: set up, then enable with a valid code. */
export class TotpUseCases {
  constructor(private readonly deps: IdentityDeps) {}

  async setup(principal: Principal): Promise<{ secret: string; otpauthUrl: string }> {
    const user = await this.#self(principal);
    const secret = newTotpSecret();
    return { secret, otpauthUrl: totpUrl(secret, user.email) };
  }

  async enable(principal: Principal, secret: string, code: string): Promise<UserView> {
    await this.#self(principal);
    if (!totpCodeValid(secret, code, this.deps.clock().getTime())) {
      throw new IdentityError(
        IdentityErrorCode.InvalidTotpCode,
        'that code does not match the secret: check the device clock and try the next code',
      );
    }
    return this.#apply(principal, { type: 'UserTotpEnabled', data: { totpSecret: secret } });
  }

  disable(principal: Principal): Promise<UserView> {
    return this.#apply(principal, { type: 'UserTotpDisabled', data: {} });
  }

  async #self(principal: Principal): Promise<UserView> {
    if (principal.kind !== 'user')
      throw forbidden('two-factor settings belong to a person: log in as the user');
    const view = await this.deps.queries.user({ orgId: principal.orgId }, principal.userId);
    if (!view) throw notFound('user', principal.userId);
    return view;
  }

  async #apply(
    principal: Principal,
    event:
      | { type: 'UserTotpEnabled'; data: { totpSecret: string } }
      | { type: 'UserTotpDisabled'; data: Record<string, never> },
  ): Promise<UserView> {
    return retryOnConflict(undefined, async () => {
      await this.#self(principal);
      const loaded = await this.deps.store.load({ type: 'user', id: principal.userId });
      if (!fold(loaded.events, evolveUser)) throw notFound('user', principal.userId);
      await commit(this.deps, { type: 'user', id: principal.userId }, loaded.version, [event], {
        orgId: principal.orgId,
        actor: actorOf(principal),
      });
      return this.#self(principal);
    });
  }
}
