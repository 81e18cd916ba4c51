import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AccessRecordWire } from '@rustronaut/contracts';
import type { Logger } from '@rustronaut/observability';
import type { AccessMetrics } from './access-metrics';
import { AccessRecord, type CountedSocket, type RecordSink } from './access-record';
import type { RoutedResource } from '../data-path/model';

/** L4 records are given their bytes when the connection ends. */
const NO_SOCKET: CountedSocket = { bytesRead: 0, bytesWritten: 0 };

/** Where batches of records go: the console's stream, a file, stdout. */
export interface AccessShipper {
  /** Resolves once the batch is stored; rejects when it is not (the batch is retried). */
  ship(batch: AccessBatch): Promise<void>;
  close?(): Promise<void>;
}

export interface AccessBatch {
  /** Stable across retries of the same batch (NATS de-duplicates by it). */
  id: string;
  orgId: string;
  records: AccessRecordWire[];
}

export interface AccessLogOptions {
  shipper: AccessShipper | undefined;
  metrics: AccessMetrics;
  logger: Logger;
  /** The org a record without a resource (no route) is filed under, if the gateway knows it. */
  defaultOrg: () => string | undefined;
  /** Records kept while the destination is away; beyond it new records are dropped and counted. */
  capacity: number;
  batchSize?: number;
  flushIntervalMs?: number;
}

/**
 * The gateway's access log. The data path hands it finished records (`finish`, synchronous: a
 * counter update and an array push); a timer ships them in batches (every `flushIntervalMs`, or at
 * once when a batch is full) to the shipper, one batch per org. The data path never waits for it:
 * while the destination is away records wait in a bounded queue, and when the queue is full new
 * records are dropped, counted in `rustronaut_gateway_access_records_dropped_total` and logged.
 */
export class AccessLog implements RecordSink {
  readonly #queue: AccessRecord[] = [];
  readonly #prefix = randomBytes(6).toString('base64url');
  readonly #batchSize: number;
  readonly #interval: NodeJS.Timeout;
  #counter = 0;
  #shipping = false;
  #flushSoon = false;
  #retryAt = 0;
  #failures = 0;
  #droppedSinceLog = 0;

  constructor(private readonly options: AccessLogOptions) {
    this.#batchSize = options.batchSize ?? 500;
    this.#interval = setInterval(() => void this.flush(), options.flushIntervalMs ?? 1_000);
    this.#interval.unref();
  }

  /** A new record for a request that just arrived. */
  start(req: IncomingMessage): AccessRecord {
    return new AccessRecord(this.#nextId(), req.socket, req.headers.traceparent, this);
  }

  /**
   * A TCP connection or UDP flow to an L4 resource, from `ip`: decided when it arrives (`admit`,
   * `refuse`, `fail`), finished when it ends (`endConnection`, then `finish`).
   */
  connection(protocol: 'tcp' | 'udp', resource: RoutedResource, ip: string): AccessRecord {
    const record = new AccessRecord(this.#nextId(), NO_SOCKET, undefined, this);
    record.l4 = { protocol, ip };
    record.resource = resource;
    return record;
  }

  #nextId(): string {
    return `${this.#prefix}${(this.#counter++).toString(36)}`;
  }

  finish(record: AccessRecord): void {
    if (record.finished) return;
    record.finished = true;
    if (!record.l4) this.options.metrics.finished(record); // L4 resources have their own counters
    if (!this.options.shipper) return;
    if (!record.resource && !this.options.defaultOrg()) return this.#drop('no_org', 1);
    if (this.#queue.length >= this.options.capacity) return this.#drop('queue_full', 1);
    this.#queue.push(record);
    if (this.#queue.length >= this.#batchSize && !this.#flushSoon) {
      this.#flushSoon = true;
      setImmediate(() => {
        this.#flushSoon = false;
        void this.flush();
      });
    }
  }

  get metrics(): AccessMetrics {
    return this.options.metrics;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Ships what is queued, batch by batch, until the queue is empty or the destination fails. */
  async flush(): Promise<void> {
    const shipper = this.options.shipper;
    if (!shipper || this.#shipping || Date.now() < this.#retryAt) return;
    this.#shipping = true;
    try {
      while (this.#queue.length > 0) {
        const taken = this.#queue.slice(0, this.#batchSize);
        const batches = this.#batchesOf(taken);
        // Each batch is stored before the records leave the queue; a failure keeps them for a retry.
        for (const batch of batches) await shipper.ship(batch);
        this.#queue.splice(0, taken.length);
        this.options.metrics.shipped.inc(taken.length);
      }
      if (this.#failures > 0) this.options.logger.info('the access log destination is back');
      this.#failures = 0;
    } catch (error) {
      this.#failures++;
      // Back off: 1 s, 2 s, 4 s … up to 30 s, while the queue holds what came meanwhile.
      this.#retryAt = Date.now() + Math.min(30_000, 1_000 * 2 ** Math.min(this.#failures - 1, 5));
      if (this.#failures === 1 || this.#failures % 10 === 0) {
        this.options.logger.warn(
          { err: error, queued: this.#queue.length, failures: this.#failures },
          'cannot ship access records; keeping them in memory and retrying',
        );
      }
    } finally {
      this.options.metrics.queued.set(this.#queue.length);
      this.#shipping = false;
    }
  }

  /** Ships what is left (at shutdown), then closes the shipper. */
  async close(): Promise<void> {
    clearInterval(this.#interval);
    this.#retryAt = 0;
    await this.flush();
    if (this.#queue.length > 0) this.#drop('shutdown', this.#queue.splice(0).length);
    this.#logDrops();
    await this.options.shipper?.close?.();
  }

  /**
   * Groups records by org. A batch's id names its first and last record, so a retry of the same
   * records is de-duplicated by NATS, and one that grew meanwhile is not mistaken for it.
   */
  #batchesOf(records: AccessRecord[]): AccessBatch[] {
    const byOrg = new Map<string, AccessBatch>();
    for (const record of records) {
      const orgId = record.resource?.orgId ?? this.options.defaultOrg() ?? '';
      let batch = byOrg.get(orgId);
      if (!batch) {
        batch = { id: '', orgId, records: [] };
        byOrg.set(orgId, batch);
      }
      batch.records.push(record.toWire());
    }
    const batches = [...byOrg.values()];
    for (const batch of batches) batch.id = `${batch.records[0]!.id}-${batch.records.at(-1)!.id}`;
    return batches;
  }

  #drop(reason: 'queue_full' | 'no_org' | 'shutdown', count: number): void {
    this.options.metrics.dropped.inc({ reason }, count);
    if (this.#droppedSinceLog === 0) setTimeout(() => this.#logDrops(), 10_000).unref();
    this.#droppedSinceLog += count;
  }

  #logDrops(): void {
    if (this.#droppedSinceLog === 0) return;
    this.options.logger.warn(
      { dropped: this.#droppedSinceLog, queued: this.#queue.length, capacity: this.options.capacity },
      'access records dropped (see rustronaut_gateway_access_records_dropped_total)',
    );
    this.#droppedSinceLog = 0;
  }
}
