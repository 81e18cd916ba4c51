import Fastify, { type FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { createLogger } from '@rustronaut/observability';
import { ErrorFilter } from './error.filter';
import { acceptJsonBodiesOnly, prototypeKeyIn } from './json-bodies';

const MARKER = 'marker-4f1c2b9e-not-a-generated-key';

describe('JSON bodies only', () => {
  let sut: FastifyInstance;
  const handled: unknown[] = [];
  beforeAll(async () => {
    sut = Fastify();
    acceptJsonBodiesOnly(sut);
    const filter = new ErrorFilter(createLogger('test', 'silent'));
    sut.setErrorHandler((error, _req, reply) => {
      const body = filter.toBody(error);
      void reply.status(body.error.status).send(body);
    });
    sut.post('/things', async (req) => {
      handled.push(req.body); // a write would happen here
      return { ok: true };
    });
    await sut.ready();
  });
  afterAll(() => sut.close());
  beforeEach(() => (handled.length = 0));

  const post = (payload: string, headers: Record<string, string>) =>
    sut.inject({ method: 'POST', url: '/things', payload, headers });

  it('accepts application/json and +json types, with parameters', async () => {
    for (const type of [
      'application/json',
      'application/json; charset=utf-8',
      'application/merge-patch+json',
      'Application/JSON',
    ])
      expect((await post('{"name":"a"}', { 'content-type': type })).statusCode).toBe(200);
    expect(handled).toHaveLength(4);
  });

  it('answers 415 to any other content type or a Content-Encoding, and the handler never runs', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/jsonp',
      'text/json',
      'application/xml',
    ])
      expect((await post('{"name":"a"}', { 'content-type': type })).json()).toMatchObject({
        error: { status: 415, code: 'API_UNSUPPORTED_MEDIA_TYPE' },
      });
    for (const encoding of ['gzip', 'deflate', 'br', 'x-unknown'])
      expect(
        (
          await post('{"name":"a"}', { 'content-type': 'application/json', 'content-encoding': encoding })
        ).json(),
      ).toMatchObject({ error: { status: 415, code: 'API_UNSUPPORTED_MEDIA_TYPE' } });
    expect((await post('{"name":"a"}', {})).statusCode).toBe(415);
    expect(handled).toEqual([]);
  });

  it('answers 400 naming the field to a prototype key at any depth, and the handler never runs', async () => {
    const answer = await post('{"name":"a","targets":[{"address":"x","__proto__":{"admin":true}}]}', {
      'content-type': 'application/json',
    });
    expect(answer.json()).toMatchObject({
      error: {
        status: 400,
        code: 'VALIDATION_FAILED',
        details: { issues: [{ field: 'body.targets.0.__proto__' }] },
      },
    });
    expect(
      (await post('{"constructor":{"prototype":{}}}', { 'content-type': 'application/json' })).json(),
    ).toMatchObject({
      error: { status: 400, details: { issues: [{ field: 'body.constructor' }] } },
    });
    expect(handled).toEqual([]);
  });

  it('finds a prototype key wherever a generated body hides it, and only then', () => {
    const key = fc.constantFrom('__proto__', 'constructor', 'prototype');
    const plainKey = fc
      .stringMatching(/^[a-z_]{1,8}$/)
      .filter((k) => !['constructor', 'prototype'].includes(k));
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.integer(), fc.string(), tie('object'), tie('array')),
      object: fc.dictionary(plainKey, tie('value'), { maxKeys: 4 }),
      array: fc.array(tie('value'), { maxLength: 3 }),
    })).value;
    fc.assert(
      fc.property(json, key, fc.nat(), (body, bad, where) => {
        expect(prototypeKeyIn(JSON.parse(JSON.stringify(body)))).toBeUndefined();
        // Put the bad key into one of the objects, as a client would write it in the text (JSON.parse keeps it as an own key).
        const objects: Record<string, unknown>[] = [];
        const collect = (v: unknown): void => {
          if (Array.isArray(v)) v.forEach(collect);
          else if (v && typeof v === 'object') {
            objects.push(v as Record<string, unknown>);
            Object.values(v).forEach(collect);
          }
        };
        const copy = JSON.parse(JSON.stringify(body)) as unknown;
        collect(copy);
        const target = objects[where % Math.max(objects.length, 1)];
        if (!target) return;
        target[MARKER] = {};
        const poisoned = JSON.stringify(copy).replace(`"${MARKER}"`, `"${bad}"`);
        expect(prototypeKeyIn(JSON.parse(poisoned))).toMatch(new RegExp(`\\.${bad}$`));
      }),
    );
    // Deep nesting does not overflow the walk.
    expect(prototypeKeyIn(JSON.parse(`${'['.repeat(5000)}{"__proto__":1}${']'.repeat(5000)}`))).toMatch(
      /__proto__$/,
    );
  });
});
