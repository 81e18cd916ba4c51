import { AckPolicy, DeliverPolicy, nanos, type Consumer, type JsMsg, type NatsConnection } from 'nats';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { ACCESS_STREAM_NAME, AccessRecordSchema, type AccessRecordWire } from '@rustronaut/contracts';
import { ensureAccessStream } from '@rustronaut/eventstore';
import type { Logger } from '@rustronaut/observability';

/** A batch as it arrives: its records are checked one by one. */
const AccessBatchEnvelopeSchema = z.object({ records: z.array(z.unknown()).max(5000) });

/** Where a record came from: the subject says it (`rn.access.<org>.<gateway>`), which NATS permissions vouch for. */
export function originOf(subject: string): { orgId: string; gatewayId: string } | undefined {
  const [, , orgId, gatewayId, extra] = subject.split('.');
  return orgId && gatewayId && extra === undefined ? { orgId, gatewayId } : undefined;
}

interface Row extends AccessRecordWire {
  orgId: string;
  gatewayId: string;
}

/**
 * Reads the gateways' access stream with a durable consumer and stores the records in
 * `access_log`: up to 100 messages (batches) at a time in one INSERT, acknowledged only after it
 * committed. A redelivered or re-sent record (same gateway and id) is stored once. A message that
 * is not a valid batch is logged and dropped (terminated), not retried forever.
 */
export class AccessLogIngest {
  #stopped = false;
  #loop: Promise<void> | undefined;

  constructor(
    private readonly options: {
      nc: NatsConnection;
      db: DataSource;
      schema: string;
      logger: Logger;
      stream?: string;
      /** Copies of the stream in a NATS cluster (as the events stream's, RN_EVENTS_REPLICAS). */
      replicas?: number;
    },
  ) {}

  get #stream(): string {
    return this.options.stream ?? ACCESS_STREAM_NAME;
  }

  /** The consumer's name: one per schema, so each console deployment (or test) reads everything once. */
  get consumerName(): string {
    return `${this.options.schema}_access`;
  }

  async start(): Promise<void> {
    await this.#setUp();
    this.#loop = this.#run();
  }

  /** The stream and the durable consumer, made if missing (at start, and after either was deleted). */
  async #setUp(): Promise<void> {
    const jsm = await this.options.nc.jetstreamManager();
    await ensureAccessStream(jsm, { name: this.#stream, replicas: this.options.replicas ?? 1 });
    try {
      await jsm.consumers.info(this.#stream, this.consumerName);
    } catch {
      await jsm.consumers.add(this.#stream, {
        durable_name: this.consumerName,
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(10_000),
        deliver_policy: DeliverPolicy.All,
        max_ack_pending: 1_000,
      });
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  async #run(): Promise<void> {
    let consumer: Consumer | undefined;
    let failures = 0;
    while (!this.#stopped) {
      try {
        if (!consumer) {
          // After a failure the stream or the consumer may be gone (deleted, NATS data lost): remake them.
          if (failures > 0) await this.#setUp();
          consumer = await this.options.nc.jetstream().consumers.get(this.#stream, this.consumerName);
        }
        const messages: JsMsg[] = [];
        for await (const message of await consumer.fetch({ max_messages: 100, expires: 1_000 }))
          messages.push(message);
        if (messages.length > 0) await this.#store(messages);
        failures = 0;
      } catch (error) {
        if (this.#stopped) return;
        consumer = undefined;
        failures++;
        if (failures === 1 || failures % 30 === 0)
          this.options.logger.warn({ err: error, failures }, 'cannot store access records; retrying');
        await new Promise((r) => setTimeout(r, Math.min(5_000, 250 * failures)));
      }
    }
  }

  async #store(messages: JsMsg[]): Promise<void> {
    const rows: Row[] = [];
    const valid: JsMsg[] = [];
    for (const message of messages) {
      const origin = originOf(message.subject);
      let parsed: ReturnType<typeof AccessBatchEnvelopeSchema.safeParse> | undefined;
      try {
        parsed = origin ? AccessBatchEnvelopeSchema.safeParse(message.json()) : undefined;
      } catch {
        parsed = undefined;
      }
      if (!origin || !parsed?.success) {
        this.options.logger.warn(
          { subject: message.subject, problem: parsed?.error?.issues[0]?.message ?? 'not JSON' },
          'dropped a malformed access batch',
        );
        message.term();
        continue;
      }
      // One bad record costs itself, not the batch it came in.
      let dropped = 0;
      let problem: string | undefined;
      for (const raw of parsed.data.records) {
        const record = AccessRecordSchema.safeParse(raw);
        if (record.success) rows.push({ ...record.data, ...origin });
        else {
          dropped++;
          problem ??= `${record.error.issues[0]?.path.join('.')}: ${record.error.issues[0]?.message}`;
        }
      }
      if (dropped)
        this.options.logger.warn(
          { subject: message.subject, dropped, problem },
          `dropped ${dropped} malformed access record(s) of a batch`,
        );
      valid.push(message);
    }
    try {
      if (rows.length > 0) await this.insert(rows);
    } catch (error) {
      for (const message of valid) message.nak(1_000);
      throw error;
    }
    for (const message of valid) message.ack();
  }

  /** One statement for the whole batch; a row already stored (same gateway and id) is skipped. */
  async insert(rows: Row[]): Promise<void> {
    await this.options.db.query(
      `INSERT INTO "${this.options.schema}"."access_log"
         (gateway_id, id, org_id, at, site_id, resource_id, user_id, email, ip, method, host, path, status,
          decision, decided_by, rule_id, rule_name, reason, admission_ms, total_ms, bytes_in, bytes_out, trace_id)
       SELECT "gatewayId", id, "orgId", at, "siteId", "resourceId", "userId", email, ip, method, host, path, status,
              decision, "decidedBy", "ruleId", "ruleName", reason, "admissionMs", "totalMs", "bytesIn", "bytesOut", "traceId"
       FROM jsonb_to_recordset($1::jsonb) AS r(
         "gatewayId" text, id text, "orgId" text, at timestamptz, "siteId" text, "resourceId" text, "userId" text,
         email text, ip text, method text, host text, path text, status smallint, decision text, "decidedBy" text,
         "ruleId" text, "ruleName" text, reason text, "admissionMs" real, "totalMs" real, "bytesIn" bigint,
         "bytesOut" bigint, "traceId" text)
       ON CONFLICT (gateway_id, id) DO NOTHING`,
      [JSON.stringify(rows)],
    );
  }
}

/** Deletes access records older than the retention, now and then every hour. */
export function startAccessRetention(
  db: DataSource,
  schema: string,
  retentionDays: number,
  logger: Logger,
): () => void {
  const purge = async () => {
    try {
      const [, deleted] = (await db.query(
        `DELETE FROM "${schema}"."access_log" WHERE at < now() - make_interval(days => $1)`,
        [retentionDays],
      )) as [unknown, number];
      if (deleted > 0) logger.info({ deleted, retentionDays }, 'deleted old access records');
    } catch (error) {
      logger.warn({ err: error }, 'could not delete old access records');
    }
  };
  void purge();
  const timer = setInterval(() => void purge(), 3_600_000);
  timer.unref();
  return () => clearInterval(timer);
}
