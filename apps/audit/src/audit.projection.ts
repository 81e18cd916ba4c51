import type { EntityManager } from 'typeorm';
import type { EventRegistry, PlatformEvent, PlatformEventDefinition } from '@rustronaut/contracts';
import type { Projection } from '@rustronaut/eventstore';

/** The event's data with every field its definition marks sensitive replaced by "[redacted]". */
export function redact(
  registry: EventRegistry<PlatformEventDefinition>,
  event: PlatformEvent,
): Record<string, unknown> {
  const data = { ...(event.data as Record<string, unknown>) };
  for (const key of registry.definition(event.type).sensitive) {
    if (key in data) data[key] = '[redacted]';
  }
  return data;
}

/** The trace id inside a W3C traceparent (`00-<trace id>-<span id>-<flags>`). */
export function traceIdOf(traceparent: string | undefined): string | null {
  const parts = traceparent?.split('-');
  return parts && parts.length === 4 && parts[1]?.length === 32 ? parts[1] : null;
}

/** Every domain event, of every aggregate, as one audit entry: who, what, when, which org, which trace. */
export function auditProjection(
  schema: string,
  registry: EventRegistry<PlatformEventDefinition>,
): Projection<PlatformEvent> {
  const table = `"${schema}"."audit_entries"`;
  return {
    name: `${schema}_log`,
    async apply(event, { manager, sequence }) {
      await manager.query(
        `INSERT INTO ${table} (id, sequence, org_id, type, aggregate_type, aggregate_id, actor_kind, actor_id,
                               occurred_at, trace_id, command_id, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO NOTHING`,
        [
          event.id,
          sequence,
          event.orgId,
          event.type,
          event.aggregateType,
          event.aggregateId,
          event.actor.kind,
          event.actor.id,
          event.occurredAt,
          traceIdOf(event.trace.traceparent),
          event.commandId,
          redact(registry, event),
        ],
      );
    },
    async reset(manager: EntityManager) {
      await manager.query(`TRUNCATE ${table}`);
    },
  };
}
