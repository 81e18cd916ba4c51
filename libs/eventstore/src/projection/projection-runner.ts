import { SpanKind, SpanStatusCode, context, trace, type Tracer } from '@opentelemetry/api';
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
import type { DataSource } from 'typeorm';
import { assertSubjectToken, eventsFilter, type AnyEventDefinition, type EventOf, type EventRegistry } from '@rustronaut/contracts';
import { decodeCommit } from '../commit';
import { EventStoreError, EventStoreErrorCode } from '../errors';
import { natsApiErrorCode } from '../nats-errors';
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
  /** Called after a commit is applied and stored, before it is acknowledged. */
  onApplied?: (sequence: number) => void | Promise<void>;
  logger?: RunnerLogger;
  tracer?: Tracer;
  /**
   * How long NATS waits for an acknowledgement before redelivering (default 5 s). It bounds how long
   * a projection whose previous process died mid-commit waits before it gets that commit again;
   * a commit that takes longer to apply keeps its claim with progress signals.
   */
  ackWaitMs?: number;
}

const CONSUMER_NOT_FOUND = 10014;

/**
 * Feeds one projection from a durable JetStream consumer. One commit is in flight at a time
 * (`max_ack_pending: 1`), so commits arrive in stream order; each is applied in a Postgres
 * transaction that also moves the checkpoint, and acknowledged only after it commits. A commit
 * at or below the checkpoint (a redelivery) is acknowledged without being applied again.
 */
export class ProjectionRunner<D extends AnyEventDefinition = AnyEventDefinition> {
  readonly #options: ProjectionRunnerOptions<D>;
  readonly #stream: EventStreamSettings;
  readonly #checkpoints: CheckpointStore;
  readonly #js: JetStreamClient;
  readonly #logger: RunnerLogger;
  readonly #tracer: Tracer;
  #jsm: JetStreamManager | undefined;
  #messages: ConsumerMessages | undefined;
  #loop: Promise<void> | undefined;
  #position = 0;
  readonly #ackWaitMs: number;
  #waiters: { sequence: number; resolve: () => void }[] = [];

  constructor(options: ProjectionRunnerOptions<D>) {
    assertSubjectToken(options.projection.name, 'projection name');
    this.#options = options;
    this.#stream = eventStreamSettings(options);
    this.#checkpoints = new CheckpointStore(options.dataSource, options.schema);
    this.#js = options.nc.jetstream();
    this.#logger = options.logger ?? silent;
    this.#ackWaitMs = options.ackWaitMs ?? 5_000;
    this.#tracer = options.tracer ?? trace.getTracer('@rustronaut/eventstore');
  }

  get name(): string {
    return this.#options.projection.name;
  }

  /** The last stream sequence applied (and committed) by this runner or an earlier one. */
  get position(): number {
    return this.#position;
  }

  get running(): boolean {
    return this.#loop !== undefined;
  }

  async start(): Promise<void> {
    if (this.#loop) return;
    try {
      await this.#checkpoints.ensureTable();
      this.#position = await this.#checkpoints.read(this.name);
      await this.#ensureConsumer(this.#position);
      const consumer = await this.#js.consumers.get(this.#stream.name, this.name);
      this.#messages = await consumer.consume({ max_messages: 16 });
    } catch (error) {
      throw new EventStoreError(
        EventStoreErrorCode.ProjectionSetup,
        `projection ${this.name} could not start: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const messages = this.#messages;
    this.#loop = (async () => {
      for await (const message of messages) {
        await this.#handle(message);
      }
    })();
    this.#logger.info({ projection: this.name, position: this.#position }, 'projection started');
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
    await this.#options.dataSource.transaction(async (manager) => {
      await this.#checkpoints.ensureTable();
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

  /** Resolves when the projection has applied the stream up to `sequence` (read-your-writes). */
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

  async #handle(message: JsMsg): Promise<void> {
    const sequence = message.seq;
    const span = this.#tracer.startSpan(
      `projection ${this.name}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: { 'messaging.system': 'nats', 'rustronaut.projection': this.name, 'rustronaut.sequence': sequence },
      },
      extractTraceContext(message.headers),
    );
    const keepClaim = setInterval(() => message.working(), Math.max(100, this.#ackWaitMs / 3));
    try {
      await context.with(trace.setSpan(context.active(), span), () => this.#applyCommit(message));
      this.#advance(sequence);
      await this.#options.onApplied?.(sequence);
      message.ack();
    } catch (error) {
      const attempt = message.info.redeliveryCount;
      const delayMs = Math.min(30_000, 250 * 2 ** Math.min(attempt, 7));
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      this.#logger.error(
        { projection: this.name, sequence, attempt, retryInMs: delayMs, err: error },
        'projection could not apply a commit; it will be retried (the projection waits for it)',
      );
      message.nak(delayMs);
    } finally {
      clearInterval(keepClaim);
      span.end();
    }
  }

  async #applyCommit(message: JsMsg): Promise<void> {
    const { projection, registry, dataSource } = this.#options;
    await dataSource.transaction(async (manager) => {
      const checkpoint = await this.#checkpoints.lock(manager, this.name);
      if (message.seq <= checkpoint) {
        this.#position = Math.max(this.#position, checkpoint);
        return; // already applied: a redelivery, or another replica got there first
      }
      for (const raw of decodeCommit(message.data)) {
        const type = (raw as { type?: unknown }).type;
        if (typeof type !== 'string' || !registry.has(type)) continue; // not an event this service knows
        await projection.apply(registry.read(raw), { manager, sequence: message.seq });
      }
      await this.#checkpoints.write(manager, this.name, message.seq);
    });
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

  /** Creates the durable consumer from the checkpoint on, or re-creates it if its filter changed. */
  async #ensureConsumer(checkpoint: number): Promise<void> {
    const jsm = await this.#manager();
    const filter = eventsFilter(this.#options.projection.aggregateType, this.#stream.subjectRoot);
    try {
      const info = await jsm.consumers.info(this.#stream.name, this.name);
      if (
        info.config.filter_subject === filter &&
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
      filter_subject: filter,
      ...(checkpoint > 0
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: checkpoint + 1 }
        : { deliver_policy: DeliverPolicy.All }),
    };
    await jsm.consumers.add(this.#stream.name, config);
  }
}
