import { z } from 'zod';
import { EnvelopeSchema, type EventEnvelope } from './envelope';
import type { AnyEventDefinition, EventOf } from './event-definition';
import { ContractsError, ContractsErrorCode } from './errors';

const PASCAL_CASE = /^[A-Z][A-Za-z0-9]*$/;

/**
 * The typed catalogue of event types. It validates the data of new events against the current
 * schema, and reads stored events of any past version back as the current version.
 */
export class EventRegistry<D extends AnyEventDefinition = AnyEventDefinition> {
  readonly #byType = new Map<string, AnyEventDefinition>();

  constructor(definitions: readonly D[]) {
    for (const definition of definitions) {
      if (!PASCAL_CASE.test(definition.type)) {
        throw new ContractsError(
          ContractsErrorCode.InvalidEvent,
          `event type "${definition.type}" must be PascalCase`,
        );
      }
      if (this.#byType.has(definition.type)) {
        throw new ContractsError(
          ContractsErrorCode.DuplicateEventType,
          `event type "${definition.type}" is registered twice`,
        );
      }
      const froms = definition.upcasters.map((u) => u.from);
      for (let v = 1; v < definition.version; v++) {
        if (!froms.includes(v)) {
          throw new ContractsError(
            ContractsErrorCode.InvalidEvent,
            `event type "${definition.type}" is at version ${definition.version} but has no upcaster from version ${v}`,
          );
        }
      }
      this.#byType.set(definition.type, definition);
    }
  }

  get types(): string[] {
    return [...this.#byType.keys()];
  }

  has(type: string): boolean {
    return this.#byType.has(type);
  }

  definition(type: string): AnyEventDefinition {
    const definition = this.#byType.get(type);
    if (!definition) {
      throw new ContractsError(ContractsErrorCode.UnknownEventType, `unknown event type "${type}"`, {
        details: { type },
      });
    }
    return definition;
  }

  /** Validates the data of a new event against its current schema; returns the parsed data. */
  validateData(type: string, data: unknown): unknown {
    const definition = this.definition(type);
    const parsed = definition.schema.safeParse(data);
    if (!parsed.success) {
      throw invalid(type, definition.version, parsed.error);
    }
    return parsed.data;
  }

  /** Reads a stored envelope (any known version) as the current version of its type. */
  read(raw: unknown): EventOf<D> {
    const envelope = EnvelopeSchema.safeParse(raw);
    if (!envelope.success) {
      throw new ContractsError(
        ContractsErrorCode.InvalidEvent,
        `malformed event envelope: ${z.prettifyError(envelope.error)}`,
      );
    }
    const stored = envelope.data;
    const definition = this.definition(stored.type);
    if (stored.version > definition.version) {
      throw new ContractsError(
        ContractsErrorCode.UnknownEventVersion,
        `event ${stored.id} is "${stored.type}" version ${stored.version}, newer than this build knows (${definition.version}): upgrade this service`,
        { details: { type: stored.type, version: stored.version } },
      );
    }
    let data: unknown = stored.data;
    for (let version = stored.version; version < definition.version; version++) {
      const step = definition.upcasters.find((u) => u.from === version);
      if (!step) {
        throw new ContractsError(
          ContractsErrorCode.UnknownEventVersion,
          `no upcaster for "${stored.type}" from version ${version}`,
        );
      }
      const old = step.schema.safeParse(data);
      if (!old.success) {
        throw invalid(stored.type, version, old.error);
      }
      data = step.upcast(old.data as never);
    }
    const current = definition.schema.safeParse(data);
    if (!current.success) {
      throw invalid(stored.type, definition.version, current.error);
    }
    return { ...stored, version: definition.version, data: current.data } as EventEnvelope as EventOf<D>;
  }
}

function invalid(type: string, version: number, error: z.ZodError): ContractsError {
  return new ContractsError(
    ContractsErrorCode.InvalidEvent,
    `invalid data for "${type}" v${version}: ${z.prettifyError(error)}`,
    { details: { type, version, issues: error.issues } },
  );
}
