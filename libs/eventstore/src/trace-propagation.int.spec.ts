import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { NatsConnection } from 'nats';
import {
  connectTestNats,
  createTestSchema,
  deleteStream,
  installInMemoryTracing,
  uniqueName,
  type TestSchema,
} from '@rustronaut/testing';
import { ledgerRegistry, testActor, type LedgerDefinition } from './__fixtures__/ledger-events';
import { createLedgerTables, ledgerProjection } from './__fixtures__/ledger-projection';
import { EventStore } from './event-store';
import { ProjectionRunner } from './projection/projection-runner';
import { ensureEventStream } from './stream';

describe('trace context from the caller to the projection', () => {
  let tracing: ReturnType<typeof installInMemoryTracing>;
  let nc: NatsConnection;
  let db: TestSchema;
  let stream: string;

  beforeAll(async () => {
    tracing = installInMemoryTracing();
    nc = await connectTestNats('trace-int');
    db = await createTestSchema('trace');
    await createLedgerTables(db.dataSource.manager);
    stream = uniqueName('TEST_EVENTS');
  });
  afterAll(async () => {
    await deleteStream(nc, stream);
    await nc.drain();
    await db.drop();
    await tracing.uninstall();
  });

  it("makes the projection's span a child of the append, inside the caller's trace", async () => {
    const subjectRoot = `${stream.toLowerCase()}.events`;
    await ensureEventStream(await nc.jetstreamManager(), { name: stream, subjectRoot });
    const store = new EventStore<LedgerDefinition>({
      nc,
      registry: ledgerRegistry,
      name: stream,
      subjectRoot,
    });
    const runner = new ProjectionRunner({
      nc,
      dataSource: db.dataSource,
      schema: db.schema,
      registry: ledgerRegistry,
      projection: ledgerProjection(uniqueName('traced')),
      name: stream,
      subjectRoot,
    });

    const tracer = trace.getTracer('test');
    const { result, callerSpanId, traceId } = await tracer.startActiveSpan(
      'POST /api/v1/accounts',
      async (span) => {
        const appended = await store.append(
          { type: 'account', id: 'traced' },
          0,
          [{ type: 'AccountOpened', data: { owner: 'ada' } }],
          { commandId: randomUUID(), orgId: 'org_test', actor: testActor },
        );
        span.end();
        return {
          result: appended,
          callerSpanId: span.spanContext().spanId,
          traceId: span.spanContext().traceId,
        };
      },
    );
    await runner.start();
    await runner.waitFor(result.version);
    await runner.stop();

    const spans = tracing.exporter.getFinishedSpans();
    const append = spans.find((s) => s.name === 'eventstore.append account');
    const projection = spans.find((s) => s.name === `projection ${runner.name}`);
    expect(append?.spanContext().traceId).toBe(traceId);
    expect(append?.parentSpanContext?.spanId).toBe(callerSpanId);
    expect(projection?.spanContext().traceId).toBe(traceId);
    expect(projection?.parentSpanContext?.spanId).toBe(append?.spanContext().spanId);
    // The envelope keeps the trace too, for the audit log.
    expect(result.events[0]?.trace.traceparent).toContain(traceId);
  });
});
