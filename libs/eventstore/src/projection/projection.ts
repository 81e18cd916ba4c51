import type { EntityManager } from 'typeorm';
import type { EventEnvelope } from '@rustronaut/contracts';

/** What a projection's `apply` gets beside the event. */
export interface ProjectionContext {
  /** The transaction the checkpoint is written in: write the read model through it. */
  manager: EntityManager;
  /** Stream sequence of the commit the event came in. */
  sequence: number;
}

/**
 * A read model fed by events. `apply` runs inside the Postgres transaction that also advances
 * the projection's checkpoint, so each commit is applied exactly once, whatever is redelivered.
 */
export interface Projection<E extends EventEnvelope = EventEnvelope> {
  /** Also the name of its durable consumer and checkpoint: letters, digits, "_" and "-". */
  readonly name: string;
  /** Only this aggregate type's events; all events when omitted. */
  readonly aggregateType?: string;
  /**
   * The event types `apply` does something with; all when omitted. A commit that holds none of
   * them (another service's events) is passed over without a transaction: the projection's position
   * moves past it, and its checkpoint with the next commit it applies.
   */
  readonly eventTypes?: ReadonlySet<string>;
  apply(event: E, context: ProjectionContext): Promise<void>;
  /** Empties the read model, before `rebuild()` replays from the start. */
  reset(manager: EntityManager): Promise<void>;
}

/** Whether `event` is one of `types`, narrowing it to them (for a projection's `eventTypes`). */
export function isEventOf<E extends EventEnvelope, T extends E['type']>(
  types: ReadonlySet<T>,
  event: E,
): event is Extract<E, { type: T }> {
  return (types as ReadonlySet<string>).has(event.type);
}
