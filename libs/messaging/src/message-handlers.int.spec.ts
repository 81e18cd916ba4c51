import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { connect, type NatsConnection } from 'nats';
import { z } from 'zod';
import { TestNatsServer } from '@rustronaut/testing';
import { messageHandlers, type MessageHandlers } from './message-handlers';
import { ServiceClient } from './service-client';
import { ServiceHandlerInterceptor } from './service-handler';

const THINGS = Symbol('Things');
const Requests = {
  'things.create': z.object({ name: z.string().min(1), size: z.number().int().default(1) }),
  'things.count': z.object({}),
};
interface Responses {
  'things.create': { id: string; name: string; size: number };
  'things.count': { count: number };
}

/** Handlers keyed by message type, answering over a real NATS server through Nest's transport. */
describe('messageHandlers', () => {
  let nats: TestNatsServer;
  let server: Awaited<ReturnType<typeof NestFactory.createMicroservice>>;
  let client: NatsConnection;
  let sut: ServiceClient<{ [P in keyof typeof Requests]: z.input<(typeof Requests)[P]> }, Responses>;
  const created: string[] = [];
  const errors: object[] = [];

  beforeAll(async () => {
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
      }),
    );
    @Module({ controllers: [ThingsController], providers: [{ provide: THINGS, useValue: created }] })
    class ThingsModule {}
    server = await NestFactory.createMicroservice<MicroserviceOptions>(ThingsModule, {
      transport: Transport.NATS,
      options: { servers: [nats.url] },
      logger: false,
    });
    server.useGlobalInterceptors(new ServiceHandlerInterceptor({ error: (o) => errors.push(o) }));
    await server.listen();
    client = await connect({ servers: [nats.url] });
    sut = new ServiceClient(client, 'things');
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
    await nats?.dispose();
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
