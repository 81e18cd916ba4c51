import { SpanKind, SpanStatusCode, context, trace, type Tracer } from '@opentelemetry/api';
import { headers as natsHeaders, type JetStreamClient, type NatsConnection } from 'nats';
import {
  aggregateSubject,
  assertSubjectToken,
  type Actor,
  type AnyEventDefinition,
  type EventEnvelope,
  type EventOf,
  type EventRegistry,
  type NewEvent,
} from '@rustronaut/contracts';
import { directGet, type DirectGet } from './direct-get';
import { COMMIT_HEADERS, decodeCommit, encodeCommit } from './commit';
import { ConcurrencyConflictError, EventStoreError, EventStoreErrorCode } from './errors';
import { eventIdFor } from './event-id';
import { isNotFound, isUnanswered, natsApiErrorCode } from './nats-errors';
import { eventStreamSettings, type EventStreamOptions, type EventStreamSettings } from './stream';
import { injectTraceContext } from './trace-context';

/** Which aggregate: its type (`user`, `site`, …) and its id. */
export interface AggregateRef {
  type: string;
  id: string;
}

/** `0` means "the aggregate must not exist yet"; `'any'` skips the concurrency check. */
export type ExpectedVersion = number | 'any';

export interface AppendOptions {
  /** Idempotency key: the same command appended twice is stored once. */
  commandId: string;
  orgId: string;
  actor: Actor;
}

export interface AppendResult<E> {
  /** The aggregate's version after this append: expect it on the next one. */
  version: number;
  /** True when this command had already been stored; nothing new was written. */
  duplicate: boolean;
  events: E[];
}

export interface LoadedAggregate<E> {
  /** The version to expect on the next append (0 when the aggregate has no events). */
  version: number;
  events: E[];
}

export interface EventStoreOptions<D extends AnyEventDefinition> extends EventStreamOptions {
  nc: NatsConnection;
  registry: EventRegistry<D>;
  /** How long to wait for the stream's acknowledgement of an append. */
  publishTimeoutMs?: number;
  clock?: () => Date;
  tracer?: Tracer;
  /** How many aggregates' histories to keep in memory (most recently used first); 0 turns it off. */
  cachedAggregates?: number;
}

interface Commit<E> {
  seq: number;
  commandId: string;
  events: E[];
}

/** An aggregate's state as `evolve` folded its commits up to `seq` (see `loadState`). */
interface Folded {
  evolve: unknown;
  seq: number;
  state: unknown;
}

/** What the store remembers of one aggregate: its commits, and the state folded from them last. */
interface Remembered<E> {
  commits: Commit<E>[];
  folded?: Folded;
}

const WRONG_LAST_SEQUENCE = 10071;

/**
 * Appends events to aggregates and reads them back, on one JetStream stream with a subject per
 * aggregate. Appends are optimistic (expected last subject sequence) and idempotent (the
 * command id is the message id, and is looked for again when the de-duplication window is over).
 */
export class EventStore<D extends AnyEventDefinition = AnyEventDefinition> {
  readonly #js: JetStreamClient;
  readonly #direct: Promise<DirectGet>;
  readonly #registry: EventRegistry<D>;
  readonly #stream: EventStreamSettings;
  readonly #publishTimeoutMs: number;
  readonly #clock: () => Date;
  readonly #tracer: Tracer;
  readonly #cache = new Map<string, Remembered<EventOf<D>>>();
  readonly #cacheSize: number;

  constructor(options: EventStoreOptions<D>) {
    this.#js = options.nc.jetstream();
    this.#direct = options.nc.jetstreamManager().then(directGet);
    // Awaited where it is used; a store whose connection closes before the lookup answers must not
    // leave an unhandled rejection behind (the one-process console stops on those).
    this.#direct.catch(() => undefined);
    this.#registry = options.registry;
    this.#stream = eventStreamSettings(options);
    this.#publishTimeoutMs = options.publishTimeoutMs ?? 5_000;
    this.#clock = options.clock ?? (() => new Date());
    this.#tracer = options.tracer ?? trace.getTracer('@rustronaut/eventstore');
    this.#cacheSize = options.cachedAggregates ?? 10_000;
  }

  get streamName(): string {
    return this.#stream.name;
  }

  get subjectRoot(): string {
    return this.#stream.subjectRoot;
  }

  async append(
    aggregate: AggregateRef,
    expectedVersion: ExpectedVersion,
    events: readonly NewEvent<EventOf<D>>[],
    options: AppendOptions,
  ): Promise<AppendResult<EventOf<D>>> {
    const subject = this.#subjectOf(aggregate);
    validateAppend(aggregate, expectedVersion, events, options);
    const span = this.#tracer.startSpan(`eventstore.append ${aggregate.type}`, {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'nats',
        'messaging.destination.name': subject,
        'rustronaut.command_id': options.commandId,
        'rustronaut.event_types': events.map((e) => e.type).join(','),
      },
    });
    try {
      return await context.with(trace.setSpan(context.active(), span), () =>
        this.#append(subject, aggregate, expectedVersion, events, options),
      );
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  }

  async #append(
    subject: string,
    aggregate: AggregateRef,
    expectedVersion: ExpectedVersion,
    events: readonly NewEvent<EventOf<D>>[],
    options: AppendOptions,
  ): Promise<AppendResult<EventOf<D>>> {
    const headers = natsHeaders();
    const traceContext = injectTraceContext(headers);
    headers.set(COMMIT_HEADERS.commandId, options.commandId);
    headers.set(COMMIT_HEADERS.eventTypes, events.map((e) => e.type).join(','));
    const occurredAt = this.#clock().toISOString();
    const envelopes: EventEnvelope[] = events.map((event, index) => {
      const definition = this.#registry.definition(event.type);
      if (definition.aggregate !== aggregate.type) {
        throw new EventStoreError(
          EventStoreErrorCode.InvalidAppend,
          `${event.type} belongs to ${definition.aggregate} aggregates, not ${aggregate.type}`,
        );
      }
      return {
        id: eventIdFor(options.commandId, index),
        type: event.type,
        version: definition.version,
        aggregateType: aggregate.type,
        aggregateId: aggregate.id,
        orgId: options.orgId,
        occurredAt,
        actor: options.actor,
        commandId: options.commandId,
        trace: traceContext,
        data: this.#registry.validateData(event.type, event.data),
      };
    });
    const data = encodeCommit(envelopes);
    try {
      const ack = await this.#js.publish(subject, data, {
        msgID: options.commandId,
        headers,
        timeout: this.#publishTimeoutMs,
        expect: expectedVersion === 'any' ? {} : { lastSubjectSequence: expectedVersion },
      });
      if (ack.duplicate) {
        return this.#storedCommit(aggregate, options.commandId, ack.seq);
      }
      if (expectedVersion !== 'any')
        this.#rememberAppended(subject, expectedVersion, ack.seq, options.commandId, data);
      // Built from validated data at the current versions: already what a read would give.
      return { version: ack.seq, duplicate: false, events: envelopes as EventOf<D>[] };
    } catch (error) {
      if (natsApiErrorCode(error) === WRONG_LAST_SEQUENCE && expectedVersion !== 'any') {
        // Past NATS's de-duplication window a retried command looks like a conflict: look for it.
        const loaded = await this.#loadCommits(aggregate);
        const earlier = loaded.commits.find((c) => c.commandId === options.commandId);
        if (earlier) {
          return { version: loaded.version, duplicate: true, events: earlier.events };
        }
        throw new ConcurrencyConflictError(
          `${aggregate.type} ${aggregate.id}`,
          expectedVersion,
          loaded.version,
          error,
        );
      }
      if (isUnanswered(error)) {
        throw new EventStoreError(
          EventStoreErrorCode.Unavailable,
          `NATS did not acknowledge the append to ${subject} (${(error as Error).message}): ` +
            'it may or may not be stored; retry with the same command id',
          { cause: error, details: { subject, commandId: options.commandId } },
        );
      }
      throw error;
    }
  }

  /** Every event of one aggregate, oldest first and upcast to the current versions. */
  async load(aggregate: AggregateRef): Promise<LoadedAggregate<EventOf<D>>> {
    const loaded = await this.#loadCommits(aggregate);
    return { version: loaded.version, events: loaded.commits.flatMap((c) => c.events) };
  }

  /**
   * An aggregate's version and state: its events, oldest first, folded by `evolve` (pure: a state
   * and an event in, a new state out, neither changed; the state returned is shared, its caller
   * does not change it either). The state folded last is remembered with the aggregate's commits,
   * for the same `evolve`, so a load folds only the commits stored since: a command on an aggregate
   * with a long history costs its new events, not its whole history.
   */
  async loadState<S>(
    aggregate: AggregateRef,
    evolve: (state: S | undefined, event: EventOf<D>) => S | undefined,
  ): Promise<{ version: number; state: S | undefined }> {
    const { version, commits } = await this.#loadCommits(aggregate);
    // What is remembered now may come from a load or an append that ran while this one waited
    // (concurrent commands on one aggregate): its folded state still holds for these commits when
    // it is not past them, since an aggregate's commits never change and every load reads them all.
    const remembered = this.#cache.get(this.#subjectOf(aggregate));
    const folded =
      remembered?.folded?.evolve === evolve && remembered.folded.seq <= version
        ? remembered.folded
        : undefined;
    let state = folded?.state as S | undefined;
    let next = commits.length;
    while (next > 0 && (commits[next - 1] as Commit<EventOf<D>>).seq > (folded?.seq ?? 0)) next--;
    for (const commit of commits.slice(next)) for (const event of commit.events) state = evolve(state, event);
    // Kept unless a newer fold is there already, and never past the commits remembered with it.
    const newerThere = remembered?.folded !== folded && remembered?.folded?.evolve === evolve;
    if (remembered && !newerThere && (remembered.commits.at(-1)?.seq ?? 0) >= version)
      remembered.folded = { evolve, seq: version, state };
    return { version, state };
  }

  async #storedCommit(
    aggregate: AggregateRef,
    commandId: string,
    seq: number,
  ): Promise<AppendResult<EventOf<D>>> {
    const direct = await this.#direct;
    const message = await direct.getMessage(this.#stream.name, { seq });
    const events = decodeCommit(message.data).map((e) => this.#registry.read(e));
    if (
      message.subject !== this.#subjectOf(aggregate) ||
      message.header.get(COMMIT_HEADERS.commandId) !== commandId
    ) {
      throw new EventStoreError(
        EventStoreErrorCode.InvalidAppend,
        `command ${commandId} was already used for another aggregate (${message.subject})`,
      );
    }
    const latest = await this.#lastSequence(aggregate);
    return { version: latest, duplicate: true, events };
  }

  async #lastSequence(aggregate: AggregateRef): Promise<number> {
    const direct = await this.#direct;
    try {
      const last = await direct.getMessage(this.#stream.name, { last_by_subj: this.#subjectOf(aggregate) });
      return last.seq;
    } catch (error) {
      if (isNotFound(error)) return 0;
      throw error;
    }
  }

  /**
   * An aggregate's commits. Stored commits never change, so the ones read before are kept (for the
   * most recently used aggregates) and only newer ones are fetched: loading an aggregate costs one
   * round trip plus one per new commit, however long its history.
   */
  async #loadCommits(aggregate: AggregateRef): Promise<{ version: number; commits: Commit<EventOf<D>>[] }> {
    const direct = await this.#direct;
    const subject = this.#subjectOf(aggregate);
    const known = this.#cache.get(subject);
    const commits: Commit<EventOf<D>>[] = known ? [...known.commits] : [];
    let seq = (commits.at(-1)?.seq ?? 0) + 1;
    for (;;) {
      let message;
      try {
        message = await direct.getMessage(this.#stream.name, { seq, next_by_subj: subject });
      } catch (error) {
        if (isNotFound(error)) break;
        throw error;
      }
      commits.push({
        seq: message.seq,
        commandId: message.header.get(COMMIT_HEADERS.commandId),
        events: decodeCommit(message.data).map((e) => this.#registry.read(e)),
      });
      seq = message.seq + 1;
    }
    this.#remember(subject, commits);
    return { version: commits.at(-1)?.seq ?? 0, commits };
  }

  /**
   * A commit just stored right after `previous` joins the aggregate's remembered commits, read back
   * from its stored bytes, when they end at `previous` (nothing between them): the next load of the
   * aggregate then fetches nothing it has just written.
   */
  #rememberAppended(
    subject: string,
    previous: number,
    seq: number,
    commandId: string,
    data: Uint8Array,
  ): void {
    const known = this.#cache.get(subject)?.commits ?? [];
    if ((known.at(-1)?.seq ?? 0) !== previous) return;
    const events = decodeCommit(data).map((e) => this.#registry.read(e));
    this.#remember(subject, [...known, { seq, commandId, events }]);
  }

  /**
   * Remembers `commits`, which extend what was remembered for the subject (a load or an append
   * only adds commits after them), so the state folded from the earlier ones stays valid.
   */
  #remember(subject: string, commits: Commit<EventOf<D>>[]): void {
    if (commits.length === 0) return;
    // A state folded past these commits (a slower load finishing after a newer one) is dropped.
    const folded = this.#cache.get(subject)?.folded;
    const valid = folded && folded.seq <= (commits.at(-1)?.seq ?? 0) ? folded : undefined;
    this.#cache.delete(subject);
    this.#cache.set(subject, valid ? { commits, folded: valid } : { commits });
    if (this.#cache.size > this.#cacheSize) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
  }

  #subjectOf(aggregate: AggregateRef): string {
    return aggregateSubject(aggregate.type, aggregate.id, this.#stream.subjectRoot);
  }
}

function validateAppend(
  aggregate: AggregateRef,
  expectedVersion: ExpectedVersion,
  events: readonly { type: string }[],
  options: AppendOptions,
): void {
  const invalid = (message: string) => new EventStoreError(EventStoreErrorCode.InvalidAppend, message);
  if (events.length === 0) throw invalid(`nothing to append to ${aggregate.type} ${aggregate.id}`);
  if (expectedVersion !== 'any' && (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0)) {
    throw invalid(`expected version must be a whole number >= 0 or "any", not ${String(expectedVersion)}`);
  }
  if (!options.commandId || options.commandId.length > 200) {
    throw invalid('a command id (1 to 200 characters) is required: it makes the append idempotent');
  }
  assertSubjectToken(options.orgId, 'org id');
}
