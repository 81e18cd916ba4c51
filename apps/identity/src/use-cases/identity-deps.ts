import { randomUUID } from 'node:crypto';
import type { ConsoleConfig } from '@rustronaut/config';
import {
  type Actor,
  type NewEvent,
  type PlatformEvent,
  type PlatformEventDefinition,
  type Principal,
} from '@rustronaut/contracts';
import {
  ConcurrencyConflictError,
  type AggregateRef,
  type EventStore,
  type ExpectedVersion,
  type ProjectionRunner,
} from '@rustronaut/eventstore';
import type { RevocationList } from '@rustronaut/revocation';
import type { SigningKeys } from '../domain/signing-keys';
import type { IdentityQueries } from '../read-model/identity.queries';

/** What the identity use cases work with; built once in main.ts. */
export interface IdentityDeps {
  config: ConsoleConfig;
  store: EventStore<PlatformEventDefinition>;
  readModel: ProjectionRunner<PlatformEventDefinition>;
  queries: IdentityQueries;
  keys: SigningKeys;
  revocations: RevocationList;
  clock: () => Date;
}

export function actorOf(principal: Principal): Actor {
  return { kind: principal.kind, id: principal.id };
}

export { requireRole } from '@rustronaut/contracts';

/**
 * Appends one command's events and waits until the identity read model has them, so the caller
 * reads its own write on the next request.
 */
export async function commit(
  deps: IdentityDeps,
  aggregate: AggregateRef,
  expectedVersion: ExpectedVersion,
  events: NewEvent<PlatformEvent>[],
  meta: { orgId: string; actor: Actor; commandId?: string },
): Promise<number> {
  const result = await deps.store.append(aggregate, expectedVersion, events, {
    commandId: meta.commandId ?? randomUUID(),
    orgId: meta.orgId,
    actor: meta.actor,
  });
  await deps.readModel.waitFor(result.version, 10_000);
  return result.version;
}

/**
 * A change the caller made without naming a version (no If-Match) is decided again on the latest
 * state when someone else got there first, a few times; one that named a version gets the 409.
 */
export async function retryOnConflict<T>(
  expectedVersion: number | undefined,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (expectedVersion !== undefined || !(error instanceof ConcurrencyConflictError) || tries >= 5)
        throw error;
    }
  }
}
