import 'reflect-metadata';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { connect, type NatsConnection } from 'nats';
import { z } from 'zod';
import { DomainError } from '@rustronaut/contracts';
import { TestNatsServer, installInMemoryTracing } from '@rustronaut/testing';
import { messageHandlers, type MessageHandlers } from './message-handlers';
import { ServiceClient } from './service-client';
import { HANDLER_LOGGER } from './service-handler';

const THINGS = Symbol('Things');
const Requests = {
  'things.create': z.object({ name: z.string().min(1), size: z.number().int().default(1) }),
  'things.count': z.object({}),
  'things.take': z.object({ name: z.string() }),
};
interface Responses {
  'things.create': { id: string; name: string; size: number };
  'things.count': { count: number };
  'things.take': { taken: string };
}

/** Handlers keyed by message type, answering over a real NATS server through Nest's transport. */
describe('messageHandlers', () => {
  let nats: TestNatsServer;
  let server: Awaited<ReturnType<typeof NestFactory.createMicroservice>>;
  let client: NatsConnection;
  let sut: ServiceClient<{ [P in keyof typeof Requests]: z.input<(typeof Requests)[P]> }, Responses>;
  const created: string[] = [];
  const errors: object[] = [];
  let tracing: ReturnType<typeof installInMemoryTracing>;

  beforeAll(async () => {
    tracing = installInMemoryTracing();
    nats = await TestNatsServer.start();
    const ThingsController = messageHandlers(
      'ThingsController',
      Requests,
      [THINGS],
      (things: string[]): MessageHandlers<typeof Requests, Responses> => ({
        'things.create': async ({ name, size }) => {
          things.push(name);
          return { id: `t${things.length}`, name, size };
        },
        'things.count': () => ({ count: things.length }),
        'things.take': ({ name }) => {
          if (name === 'broken') throw new TypeError('cannot read the shelf');
          throw new DomainError('THING_TAKEN', `${name} is taken`, { details: { name } });
        },
      }),
    );
    @Module({
      controllers: [ThingsController],
      providers: [
        { provide: THINGS, useValue: created },
        { provide: HANDLER_LOGGER, useValue: { error: (o: object) => errors.push(o) } },
      ],
    })
    class ThingsModule {}
    server = await NestFactory.createMicroservice<MicroserviceOptions>(ThingsModule, {
      transport: Transport.NATS,
      options: { servers: [nats.url] },
      logger: false,
    });
    await server.listen();
    client = await connect({ servers: [nats.url] });
    sut = new ServiceClient(client, 'things');
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
    await nats?.dispose();
    await tracing?.uninstall();
  });

  it('answers each message type with its handler, the request parsed (defaults filled in)', async () => {
    await expect(sut.request('things.create', { name: 'lamp' })).resolves.toEqual({
      id: 't1',
      name: 'lamp',
      size: 1,
    });
    await expect(sut.request('things.count', {})).resolves.toEqual({ count: 1 });
  });

  it('refuses a request its schema refuses, naming the field, and calls no handler', async () => {
    await expect(sut.request('things.create', { name: '' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/^name: /),
    });
    await expect(
      sut.request('things.create', { name: 'x', size: 1.5 } as unknown as { name: string }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^size: /) });
    expect(created).toEqual(['lamp']);
    expect(errors).toEqual([]);
  });

  it('answers many requests in flight at once, each with its own reply', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `n${i}`);
    const replies = await Promise.all(names.map((name) => sut.request('things.create', { name, size: 2 })));
    expect(replies.map((r) => r.name)).toEqual(names);
  });

  it("answers a handler's domain error with its code, message and details, and logs nothing", async () => {
    await expect(sut.request('things.take', { name: 'lamp' })).rejects.toMatchObject({
      code: 'THING_TAKEN',
      message: 'lamp is taken',
      details: { name: 'lamp' },
    });
    expect(errors).toEqual([]);
  });

  it('answers an unexpected failure INTERNAL_ERROR naming the trace, and logs it with the subject', async () => {
    const failure = sut.request('things.take', { name: 'broken' });
    await expect(failure).rejects.toMatchObject({
      code: 'INTERNAL_ERROR',
      message: expect.stringMatching(/^internal error \(trace [0-9a-f]{32}\); see the service log$/),
    });
    const traceId = /trace ([0-9a-f]{32})/.exec(((await failure.catch((e: Error) => e)) as Error).message)![1];
    expect(errors).toEqual([
      { err: expect.objectContaining({ message: 'cannot read the shelf' }), subject: 'things.take', traceId },
    ]);
    errors.length = 0;
    const span = tracing.exporter.getFinishedSpans().find((s) => s.spanContext().traceId === traceId);
    expect(span?.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'cannot read the shelf' });
  });

  it("answers in a server span named by the subject, the caller's span its parent", async () => {
    const caller = await trace.getTracer('test').startActiveSpan('caller', async (span) => {
      await sut.request('things.count', {});
      span.end();
      return span.spanContext();
    });
    const served = tracing.exporter
      .getFinishedSpans()
      .filter((s) => s.name === 'things.count' && s.spanContext().traceId === caller.traceId);
    expect(served).toHaveLength(1);
    expect(served[0]!.kind).toBe(SpanKind.SERVER);
    expect(served[0]!.parentSpanContext?.spanId).toBe(caller.spanId);
  });

  it('says a service is unavailable at once when no instance of it is listening', async () => {
    const nobody = new ServiceClient<{ 'nobody.here': object }, { 'nobody.here': unknown }>(
      client,
      'nobody',
      10_000,
    );
    const started = Date.now();
    await expect(nobody.request('nobody.here', {})).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      message: expect.stringMatching(/^the nobody service is unavailable \(no subscribers/),
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
