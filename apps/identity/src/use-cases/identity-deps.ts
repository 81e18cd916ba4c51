import type { ConsoleConfig } from '@rustronaut/config';
import {
  type Actor,
  type NewEvent,
  type PlatformEvent,
  type PlatformEventDefinition,
} from '@rustronaut/contracts';
import {
  commitAndWait,
  type AggregateRef,
  type CommitKeys,
  type EventStore,
  type ExpectedVersion,
  type ProjectionRunner,
} from '@rustronaut/eventstore';
import type { RevocationList } from '@rustronaut/revocation';
import type { SigningKeys } from '../domain/signing-keys';
import type { IdentityQueries } from '../read-model/identity.queries';
import type { SignInQueries } from '../read-model/sign-in.queries';
import type { OidcRelyingParty } from '../oidc/oidc-relying-party';
import type { SignInAttempts } from '../oidc/sign-in-attempts';

/** What the identity use cases work with; built once in main.ts. */
export interface IdentityDeps {
  config: ConsoleConfig;
  store: EventStore<PlatformEventDefinition>;
  readModel: ProjectionRunner<PlatformEventDefinition>;
  queries: IdentityQueries;
  signIn: SignInQueries;
  relyingParty: OidcRelyingParty;
  attempts: SignInAttempts;
  keys: SigningKeys;
  revocations: RevocationList;
  clock: () => Date;
}

export { actorOf, requireRole } from '@rustronaut/contracts';
export { retryOnConflict } from '@rustronaut/eventstore';

/** Appends one command's events and waits until the identity read model has them. */
export function commit(
  deps: IdentityDeps,
  aggregate: AggregateRef,
  expectedVersion: ExpectedVersion,
  events: NewEvent<PlatformEvent>[],
  meta: { orgId: string; actor: Actor; commandId?: string; keys?: CommitKeys<PlatformEventDefinition> },
): Promise<number> {
  return commitAndWait(deps, aggregate, expectedVersion, events, meta);
}
