import { z } from 'zod';

/** Who caused an event. */
export const ActorSchema = z.object({
  kind: z.enum(['user', 'api_key', 'gateway', 'system']),
  id: z.string().min(1),
});
export type Actor = z.infer<typeof ActorSchema>;

export const SYSTEM_ACTOR: Actor = Object.freeze({ kind: 'system', id: 'system' });

/** W3C trace context of the command that produced the event. */
export const TraceContextSchema = z.object({
  traceparent: z.string().optional(),
  tracestate: z.string().optional(),
});
export type TraceContext = z.infer<typeof TraceContextSchema>;

/**
 * The envelope every stored event travels in. `data` is the event's own payload, validated
 * by the schema registered for `type` at `version`; everything else is metadata.
 */
export const EnvelopeSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  version: z.number().int().positive(),
  aggregateType: z.string().min(1),
  aggregateId: z.string().min(1),
  orgId: z.string().min(1),
  occurredAt: z.iso.datetime({ offset: true }),
  actor: ActorSchema,
  commandId: z.string().min(1),
  trace: TraceContextSchema.default({}),
  data: z.unknown(),
});

export interface EventEnvelope<Type extends string = string, Data = unknown> {
  id: string;
  type: Type;
  version: number;
  aggregateType: string;
  aggregateId: string;
  orgId: string;
  occurredAt: string;
  actor: Actor;
  commandId: string;
  trace: TraceContext;
  data: Data;
}
