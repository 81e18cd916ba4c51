import { randomUUID } from 'node:crypto';
import type { Actor, AnyEventDefinition, EventOf, NewEvent } from '@rustronaut/contracts';
import { ConcurrencyConflictError, PreconditionFailedError } from './errors';
import type { AggregateRef, EventStore, ExpectedVersion } from './event-store';
import type { ProjectionRunner } from './projection/projection-runner';
import type { KeyRef, Reservations } from './reservations/reservations';

/** The unique keys a commit starts or stops using, held by the aggregate it appends to. */
export interface CommitKeys<D extends AnyEventDefinition> {
  reservations: Reservations<D>;
  reserve?: readonly KeyRef[];
  release?: readonly KeyRef[];
}

/**
 * Appends one command's events and waits until the service's own read model has them, so the
 * caller reads its own write on its next request. Returns the aggregate's new version. With
 * `keys`, the append is the owner's commit of a reservation (`Reservations.holdWhile`): the keys
 * are reserved before it, confirmed (or released) after it, and given back when it fails.
 * A command that decided on no events writes nothing, but its precondition holds all the same: an
 * expected version that is no longer current is the conflict an append would have met (so a stale
 * If-Match on a change that changes nothing is a 412 too, through `retryOnConflict`).
 */
export async function commitAndWait<D extends AnyEventDefinition>(
  target: { store: EventStore<D>; readModel: ProjectionRunner<D> },
  aggregate: AggregateRef,
  expectedVersion: ExpectedVersion,
  events: NewEvent<EventOf<D>>[],
  meta: { orgId: string; actor: Actor; commandId?: string; keys?: CommitKeys<D> },
): Promise<number> {
  if (events.length === 0) {
    const { version } = await target.store.load(aggregate);
    if (expectedVersion !== 'any' && expectedVersion !== version)
      throw new ConcurrencyConflictError(`${aggregate.type} ${aggregate.id}`, expectedVersion, version);
    return version;
  }
  const append = () =>
    target.store.append(aggregate, expectedVersion, events, {
      commandId: meta.commandId ?? randomUUID(),
      orgId: meta.orgId,
      actor: meta.actor,
    });
  const { keys } = meta;
  const result = keys
    ? await keys.reservations.holdWhile(
        {
          owner: aggregate.id,
          orgId: meta.orgId,
          actor: meta.actor,
          reserve: keys.reserve,
          release: keys.release,
        },
        append,
      )
    : await append();
  await target.readModel.waitFor(result.version, 10_000);
  return result.version;
}

/**
 * A change made without naming a version (no If-Match) is decided again on the latest state when
 * someone else got there first, a few times; one that named a version that is no longer current
 * fails its precondition (`PreconditionFailedError`, HTTP 412 with the current ETag).
 */
export async function retryOnConflict<T>(
  expectedVersion: number | undefined,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ConcurrencyConflictError)) throw error;
      if (expectedVersion !== undefined && error.expectedVersion === expectedVersion)
        throw new PreconditionFailedError(error);
      if (expectedVersion !== undefined || tries >= 5) throw error;
    }
  }
}
