import type { z } from 'zod';
import type { EventEnvelope } from './envelope';

/** One step of an event's history: how data stored at `from` becomes data of version `from + 1`. */
export interface Upcaster {
  readonly from: number;
  /** Schema of the data as it was stored at version `from`. */
  readonly schema: z.ZodType;
  readonly upcast: (data: never) => unknown;
}

/**
 * An event type: a fixed PascalCase, past-tense name, the aggregate it belongs to, the schema of
 * its current version, and the upcasters that lift every older version to the current one.
 */
export interface EventDefinition<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly aggregate: string;
  readonly version: number;
  readonly schema: z.ZodType<Data>;
  readonly upcasters: readonly Upcaster[];
  /** Keys of `data` that hold secrets (hashes, key material): never copied into logs or the audit trail. */
  readonly sensitive: readonly string[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- variance: any definition, whatever its data
export type AnyEventDefinition = EventDefinition<string, any>;

/** The envelope type of every event a list of definitions describes. */
export type EventOf<D extends AnyEventDefinition> =
  D extends EventDefinition<infer Type, infer Data> ? EventEnvelope<Type, Data> : never;

/** What a command handler emits: a type and its data; the store adds the envelope. */
export type NewEvent<E extends EventEnvelope> =
  E extends EventEnvelope<infer Type, infer Data> ? { type: Type; data: Data } : never;

/** Typed builder for one upcasting step, so `upcast` sees the old schema's type. */
export function upcaster<S extends z.ZodType>(
  from: number,
  schema: S,
  upcast: (data: z.infer<S>) => unknown,
): Upcaster {
  return { from, schema, upcast: upcast as (data: never) => unknown };
}

export function defineEvent<const Type extends string, S extends z.ZodType>(definition: {
  type: Type;
  aggregate: string;
  schema: S;
  /** Current version; 1 when omitted. Older versions each need an upcaster. */
  version?: number;
  upcasters?: readonly Upcaster[];
  sensitive?: readonly (keyof z.infer<S> & string)[];
}): EventDefinition<Type, z.infer<S>> {
  return Object.freeze({
    type: definition.type,
    aggregate: definition.aggregate,
    version: definition.version ?? 1,
    schema: definition.schema as z.ZodType<z.infer<S>>,
    upcasters: Object.freeze([...(definition.upcasters ?? [])].sort((a, b) => a.from - b.from)),
    sensitive: Object.freeze([...(definition.sensitive ?? [])]),
  });
}
