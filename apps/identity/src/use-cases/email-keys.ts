import { createHash } from 'node:crypto';
import type { PlatformEventDefinition } from '@rustronaut/contracts';
import { Reservations, type KeyRef, type KeySpace } from '@rustronaut/eventstore';
import { evolveEmail, evolveUser, fold } from '../domain/aggregates';
import { IdentityError, IdentityErrorCode } from '../domain/errors';
import type { IdentityDeps } from './identity-deps';

/** Where an address was claimed before reservations (`EmailClaimed` on an `email` aggregate). */
export function emailAggregate(email: string) {
  return {
    type: 'email',
    id: createHash('sha256').update(normalEmail(email)).digest('hex').slice(0, 40),
  };
}

const normalEmail = (email: string) => email.trim().toLowerCase();

/** An email address belongs to one account on the whole platform (the event store's reservations). */
export class EmailKeys {
  readonly reservations: Reservations<PlatformEventDefinition>;
  readonly #space: KeySpace;

  constructor(deps: IdentityDeps) {
    this.reservations = new Reservations(deps.store, { clock: deps.clock });
    this.#space = {
      name: 'email',
      async holds(userId, email) {
        const user = fold((await deps.store.load({ type: 'user', id: userId })).events, evolveUser);
        return !!user && !user.deleted && normalEmail(user.email) === email;
      },
      taken: (email) =>
        new IdentityError(
          IdentityErrorCode.EmailTaken,
          `the email ${email} is already used by another account`,
          {
            details: { field: 'email' },
          },
        ),
      async legacy(email) {
        const loaded = await deps.store.load(emailAggregate(email));
        const userId = fold(loaded.events, evolveEmail)?.userId;
        return userId ? [{ key: email, owner: userId, orgId: loaded.events.at(-1)?.orgId ?? '' }] : [];
      },
    };
  }

  of(email: string): KeyRef {
    return { space: this.#space, key: normalEmail(email) };
  }
}
