import { SpanKind, SpanStatusCode, context, trace, type Span, type Tracer } from '@opentelemetry/api';
import {
  AckPolicy,
  DeliverPolicy,
  nanos,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
} from 'nats';
import type { DataSource, EntityManager } from 'typeorm';
import {
  assertSubjectToken,
  eventsFilter,
  type AnyEventDefinition,
  type EventOf,
  type EventRegistry,
} from '@rustronaut/contracts';
import { decodeCommit } from '../commit';
import { EventStoreError, EventStoreErrorCode } from '../errors';
import { isNotFound, natsApiErrorCode } from '../nats-errors';
import { eventStreamSettings, type EventStreamOptions, type EventStreamSettings } from '../stream';
import { extractTraceContext } from '../trace-context';
import { CheckpointStore } from './checkpoint-store';
import type { Projection } from './projection';

/** The few logger methods the runner uses (pino's signature). */
export interface RunnerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const silent: RunnerLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface ProjectionRunnerOptions<D extends AnyEventDefinition> extends EventStreamOptions {
  nc: NatsConnection;
  dataSource: DataSource;
  /** The Postgres schema of the owning service; the checkpoint table lives there. */
  schema: string;
  registry: EventRegistry<D>;
  projection: Projection<EventOf<D>>;
  /** Called for each commit after it is applied and stored, before it is acknowledged. */
  onApplied?: (sequence: number) => void | Promise<void>;
  logger?: RunnerLogger;
  tracer?: Tracer;
  /**
   * How long NATS waits for an acknowledgement before redelivering (default 5 s). It bounds how long
   * a projection whose previous process died mid-commit waits before it gets that commit again;
   * a commit that takes longer to apply keeps its claim with progress signals.
   */
  ackWaitMs?: number;
  /** Commits applied per transaction while catching up on a backlog (default 256). */
  catchUpBatch?: number;
}

const CONSUMER_NOT_FOUND = 10014;

/**
 * How many commits the live phase asks JetStream for per pull request. The consumer still has one
 * commit in flight at a time (`max_ack_pending: 1`), so this buffers nothing more; it sets how often
 * the client asks again (when a quarter of it has arrived): 16 sent a pull request every 4 commits,
 * one more message and socket write for every 4 commits of every projection.
 */
const LIVE_PULL_MESSAGES = 256;

/**
 * Feeds one projection, in two phases:
 * - catch-up: from the checkpoint on, an ordered consumer (the client checks there is no gap)
 *   reads the backlog, and commits are applied in batches, one transaction per batch;
 * - live: a durable consumer with one commit in flight at a time (`max_ack_pending: 1`), so
 *   commits arrive in stream order, shared safely by every replica of the service.
 * Every transaction locks and advances the checkpoint row with the read model, and a commit is
 * acknowledged only after its transaction commits. A commit at or below the checkpoint (a
 * redelivery, or one another replica applied) is acknowledged without being applied again.
 */
export class ProjectionRunner<D extends AnyEventDefinition = AnyEventDefinition> {
  readonly #options: ProjectionRunnerOptions<D>;
  readonly #stream: EventStreamSettings;
  readonly #filter: string;
  readonly #checkpoints: CheckpointStore;
  readonly #js: JetStreamClient;
  readonly #logger: RunnerLogger;
  readonly #tracer: Tracer;
  readonly #ackWaitMs: number;
  readonly #catchUpBatch: number;
  #jsm: JetStreamManager | undefined;
  #messages: ConsumerMessages | undefined;
  #loop: Promise<void> | undefined;
  #position = 0;
  #waiters: { sequence: number; resolve: () => void }[] = [];
  /** What start() is doing, for its slow-start warning. */
  #startStep = '';

  constructor(options: ProjectionRunnerOptions<D>) {
    assertSubjectToken(options.projection.name, 'projection name');
    this.#options = options;
    this.#stream = eventStreamSettings(options);
    this.#filter = eventsFilter(options.projection.aggregateType, this.#stream.subjectRoot);
    this.#checkpoints = new CheckpointStore(options.dataSource, options.schema);
    this.#js = options.nc.jetstream();
    this.#logger = options.logger ?? silent;
    this.#tracer = options.tracer ?? trace.getTracer('@rustronaut/eventstore');
    this.#ackWaitMs = options.ackWaitMs ?? 5_000;
    this.#catchUpBatch = options.catchUpBatch ?? 256;
  }

  get name(): string {
    return this.#options.projection.name;
  }

  /** The last stream sequence this projection is known to have applied and committed. */
  get position(): number {
    return this.#position;
  }

  get running(): boolean {
    return this.#loop !== undefined;
  }

  async start(): Promise<void> {
    if (this.#loop) return;
    let messages: ConsumerMessages;
    // A start that takes long says where it is, every 10 s, instead of waiting in silence.
    const startedAt = Date.now();
    this.#startStep = 'reading its checkpoint';
    const slow = setInterval(() => {
      const waited = Math.round((Date.now() - startedAt) / 1000);
      this.#logger.warn(
        {
          projection: this.name,
          step: this.#startStep,
          position: this.#position,
          waitedMs: Date.now() - startedAt,
        },
        `projection ${this.name} start is slow: ${this.#startStep} (at ${this.#position}) for ${waited} s`,
      );
    }, 10_000);
    slow.unref();
    try {
      await this.#checkpoints.ensureTable();
      this.#advance(await this.#checkpoints.read(this.name));
      const caughtUp = await this.#catchUp();
      this.#startStep = 'setting up its consumer';
      await this.#ensureConsumer();
      const consumer = await this.#js.consumers.get(this.#stream.name, this.name);
      messages = await consumer.consume({ max_messages: LIVE_PULL_MESSAGES });
      this.#logger.info({ projection: this.name, position: this.#position, caughtUp }, 'projection started');
    } catch (error) {
      throw new EventStoreError(
        EventStoreErrorCode.ProjectionSetup,
        `projection ${this.name} could not start: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      clearInterval(slow);
    }
    this.#messages = messages;
    this.#loop = (async () => {
      for await (const message of messages) {
        await this.#handleLive(message);
      }
    })();
  }

  /** Stops taking commits; the one being applied finishes first. */
  async stop(): Promise<void> {
    const loop = this.#loop;
    if (!loop) return;
    this.#messages?.stop();
    await loop;
    this.#loop = undefined;
    this.#messages = undefined;
  }

  /** Empties the read model and replays every event from the start of the stream. */
  async rebuild(): Promise<void> {
    const wasRunning = this.running;
    await this.stop();
    await this.#checkpoints.ensureTable();
    await this.#options.dataSource.transaction(async (manager) => {
      await this.#checkpoints.lock(manager, this.name);
      await this.#options.projection.reset(manager);
      await this.#checkpoints.write(manager, this.name, 0);
    });
    this.#position = 0;
    const jsm = await this.#manager();
    try {
      await jsm.consumers.delete(this.#stream.name, this.name);
    } catch (error) {
      if (natsApiErrorCode(error) !== CONSUMER_NOT_FOUND) throw error;
    }
    this.#logger.info({ projection: this.name }, 'projection reset; replaying from the start');
    if (wasRunning) await this.start();
  }

  /** Resolves once the projection has applied the commit at `sequence` (read-your-writes). */
  waitFor(sequence: number, timeoutMs = 5_000): Promise<void> {
    if (this.#position >= sequence) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        sequence,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(
          new EventStoreError(
            EventStoreErrorCode.ProjectionTimeout,
            `projection ${this.name} did not reach sequence ${sequence} within ${timeoutMs} ms (at ${this.#position})`,
          ),
        );
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /**
   * Applies the backlog after the checkpoint in batches; returns how many commits it applied.
   * The backlog ends at the last commit the filter takes, looked up before reading: the catch-up
   * stops on that one. (Not on the `pending` count JetStream sends with each message: it can be
   * off by one when a commit is stored while the consumer is created, and then no message ever
   * says 0 — a restarted service waited for it forever.) Later commits are the live phase's.
   */
  async #catchUp(): Promise<number> {
    this.#startStep = 'reading the stream';
    const last = await this.#lastSequence();
    if (last <= this.#position) return 0;
    this.#startStep = `catching up from ${this.#position} to ${last}`;
    const consumer = await this.#js.consumers.get(this.#stream.name, {
      filterSubjects: this.#filter,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.#position + 1,
    });
    let applied = 0;
    let batch: JsMsg[] = [];
    const messages = await consumer.consume({ max_messages: this.#catchUpBatch });
    try {
      for await (const message of messages) {
        batch.push(message);
        const caughtUp = message.seq >= last;
        if (batch.length >= this.#catchUpBatch || caughtUp) {
          this.#startStep = `catching up from ${this.#position} to ${last} (applying up to ${message.seq})`;
          await this.#applyBatch(batch);
          applied += batch.length;
          batch = [];
        }
        if (caughtUp) messages.stop();
      }
    } catch (error) {
      // The live phase retries the failing commit on its own, one at a time, with backoff.
      messages.stop();
      this.#logger.warn(
        { projection: this.name, position: this.#position, err: error },
        'catch-up stopped on a commit that could not be applied; continuing one commit at a time',
      );
    }
    await consumer.delete().catch(() => undefined); // an ephemeral consumer would linger for 5 min
    return applied;
  }

  /** The stream sequence of the last commit this projection's filter takes (0 when there is none). */
  async #lastSequence(): Promise<number> {
    const jsm = await this.#manager();
    try {
      return (await jsm.streams.getMessage(this.#stream.name, { last_by_subj: this.#filter })).seq;
    } catch (error) {
      if (isNotFound(error)) return 0;
      throw error;
    }
  }

  async #applyBatch(batch: JsMsg[]): Promise<void> {
    const spans: Span[] = [];
    try {
      await this.#options.dataSource.transaction(async (manager) => {
        const checkpoint = await this.#checkpoints.lock(manager, this.name);
        for (const message of batch) {
          if (message.seq <= checkpoint || !this.#takes(message)) continue;
          const span = this.#startSpan(message);
          spans.push(span);
          await context.with(trace.setSpan(context.active(), span), () =>
            this.#applyEvents(message, manager),
          );
        }
        const last = batch.at(-1)?.seq ?? checkpoint;
        if (last > checkpoint) await this.#checkpoints.write(manager, this.name, last);
      });
    } catch (error) {
      for (const span of spans) failSpan(span, error);
      throw error;
    } finally {
      for (const span of spans) span.end();
    }
    for (const message of batch) {
      this.#advance(message.seq);
      await this.#options.onApplied?.(message.seq);
    }
  }

  async #handleLive(message: JsMsg): Promise<void> {
    if (message.seq <= this.#position) {
      message.ack(); // applied already (in catch-up, or before a restart)
      return;
    }
    if (!this.#takes(message)) {
      // Nothing in it for this read model: no transaction; the checkpoint moves with the next one.
      this.#advance(message.seq);
      await this.#options.onApplied?.(message.seq);
      message.ack();
      return;
    }
    const span = this.#startSpan(message);
    const keepClaim = setInterval(() => message.working(), Math.max(100, this.#ackWaitMs / 3));
    try {
      // The checkpoint moves first, in the same transaction: a failed apply rolls both back. A
      // claim that does not hold (another replica got there first) applies nothing.
      await context.with(trace.setSpan(context.active(), span), () =>
        this.#checkpoints.claimAndApply(this.name, message.seq, (manager) =>
          this.#applyEvents(message, manager),
        ),
      );
      this.#advance(message.seq);
      await this.#options.onApplied?.(message.seq);
      message.ack();
    } catch (error) {
      const attempt = message.info.redeliveryCount;
      const delayMs = Math.min(30_000, 250 * 2 ** Math.min(attempt, 7));
      failSpan(span, error);
      this.#logger.error(
        { projection: this.name, sequence: message.seq, attempt, retryInMs: delayMs, err: error },
        'projection could not apply a commit; it will be retried (the projection waits for it)',
      );
      message.nak(delayMs);
    } finally {
      clearInterval(keepClaim);
      span.end();
    }
  }

  async #applyEvents(message: JsMsg, manager: EntityManager): Promise<void> {
    const { projection, registry } = this.#options;
    for (const raw of decodeCommit(message.data)) {
      const type = (raw as { type?: unknown }).type;
      if (typeof type !== 'string' || !registry.has(type)) continue; // not an event this service knows
      if (projection.eventTypes && !projection.eventTypes.has(type)) continue;
      await projection.apply(registry.read(raw), { manager, sequence: message.seq });
    }
  }

  /**
   * Whether the commit holds an event of the projection's `eventTypes` (all do when it names none).
   * One that cannot be read is taken, so that applying it fails and is retried as before.
   */
  #takes(message: JsMsg): boolean {
    const types = this.#options.projection.eventTypes;
    if (!types) return true;
    try {
      return decodeCommit(message.data).some((raw) => types.has((raw as { type?: unknown }).type as string));
    } catch {
      return true;
    }
  }

  #startSpan(message: JsMsg): Span {
    return this.#tracer.startSpan(
      `projection ${this.name}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'nats',
          'rustronaut.projection': this.name,
          'rustronaut.sequence': message.seq,
        },
      },
      extractTraceContext(message.headers),
    );
  }

  #advance(sequence: number): void {
    this.#position = Math.max(this.#position, sequence);
    const ready = this.#waiters.filter((w) => w.sequence <= this.#position);
    this.#waiters = this.#waiters.filter((w) => w.sequence > this.#position);
    for (const waiter of ready) waiter.resolve();
  }

  async #manager(): Promise<JetStreamManager> {
    this.#jsm ??= await this.#options.nc.jetstreamManager();
    return this.#jsm;
  }

  /** Creates the durable consumer after the current position, or re-creates it if its settings changed. */
  async #ensureConsumer(): Promise<void> {
    const jsm = await this.#manager();
    try {
      const info = await jsm.consumers.info(this.#stream.name, this.name);
      if (
        info.config.filter_subject === this.#filter &&
        info.config.max_ack_pending === 1 &&
        info.config.ack_wait === nanos(this.#ackWaitMs)
      ) {
        return;
      }
      await jsm.consumers.delete(this.#stream.name, this.name);
    } catch (error) {
      if (natsApiErrorCode(error) !== CONSUMER_NOT_FOUND) throw error;
    }
    const config: Partial<ConsumerConfig> = {
      durable_name: this.name,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(this.#ackWaitMs),
      max_ack_pending: 1,
      max_deliver: -1,
      filter_subject: this.#filter,
      ...(this.#position > 0
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.#position + 1 }
        : { deliver_policy: DeliverPolicy.All }),
    };
    await jsm.consumers.add(this.#stream.name, config);
  }
}

function failSpan(span: Span, error: unknown): void {
  span.recordException(error as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
}
