import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Post } from '@nestjs/common';
import { z } from 'zod';
import { describeApi, routeDifferences } from './api-document';
import { CLIENT_SCHEMA_PATH, clientSchemaSource } from './client-schema';
import { Endpoint, OutsideApi } from './http/endpoint';
import { openApiDocument, outsideApiRoutes, undeclaredRoutes } from './http/openapi';

type Operation = {
  operationId: string;
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
  parameters?: { name: string; in: string; required: boolean }[];
  security?: unknown[];
};
const operationsOf = (document: Record<string, unknown>) =>
  Object.entries(document['paths'] as Record<string, Record<string, Operation>>).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })),
  );

describe('the API document', () => {
  let api: Awaited<ReturnType<typeof describeApi>>;
  beforeAll(async () => {
    api = await describeApi();
  });

  it('lists every route Fastify serves, and only those', () => {
    expect(api.served.length).toBeGreaterThan(50);
    const outside = outsideApiRoutes(api.controllers);
    expect(routeDifferences(api.served, api.document, outside)).toEqual({ undocumented: [], unserved: [] });
  });

  it('has a declaration (@Endpoint) for every route', () => {
    expect(undeclaredRoutes(api.document)).toEqual([]);
  });

  it('gives every JSON answer and every body a schema', () => {
    const missing: string[] = [];
    for (const { route, op } of operationsOf(api.document)) {
      const success = Object.entries(op.responses).find(([s]) => /^2/.test(s));
      if (!success) missing.push(`${route}: no success answer`);
      else if (success[0] !== '204' && !success[1].content && !route.startsWith('GET /api/docs/assets/'))
        missing.push(`${route}: ${success[0]} without a schema`);
      if (op.requestBody && !op.requestBody.content['application/json']?.schema)
        missing.push(`${route}: body without a schema`);
    }
    expect(missing).toEqual([]);
  });

  it('shows bodies and answers as the wire has them (snake_case)', () => {
    const paths = api.document['paths'] as Record<string, Record<string, Operation>>;
    const create = paths['/api/v1/resources']!['post']!;
    const body = create.requestBody!.content['application/json']!.schema as {
      properties: Record<string, unknown>;
    };
    expect(Object.keys(body.properties)).toEqual(
      expect.arrayContaining(['site_id', 'path_prefix', 'targets']),
    );
    expect(Object.keys(body.properties)).not.toContain('siteId');
    // Answers are named components: ResourceJson → components.schemas.Resource, in snake_case.
    expect(
      paths['/api/v1/resources']!['get']!.responses['200']!.content!['application/json']!.schema,
    ).toEqual({
      $ref: '#/components/schemas/ResourcePage',
    });
    const components = (api.document['components'] as { schemas: Record<string, unknown> }).schemas;
    const answer = components['Resource'] as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(answer.properties)).not.toContain('orgId');
    expect(components['ResourcePage']).toMatchObject({
      properties: { items: { items: { $ref: '#/components/schemas/Resource' } } },
    });
    expect(answer.required).toEqual(expect.arrayContaining(['id', 'org_id', 'created_at', 'version']));
    expect(paths['/api/v1/auth/login']!['post']!.security).toEqual([]);
    expect(paths['/api/v1/users/{id}']!['patch']!.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'If-Match', in: 'header' })]),
    );
  });

  it('is the document the committed client was generated from (npm run build regenerates it)', async () => {
    const committed = readFileSync(join(__dirname, '../../..', CLIENT_SCHEMA_PATH), 'utf8');
    expect(await clientSchemaSource(api.document)).toBe(committed);
  });
});

describe('the route check', () => {
  @Controller('api/v1/things')
  class ThingsController {
    @Post()
    @Endpoint({ summary: 'Create a thing', tag: 'things', body: z.object({ name: z.string() }) })
    create() {
      return { created: true };
    }

    @Get(':id')
    forgotten() {
      return {};
    }

    @Get('page')
    @OutsideApi('a page, not the API')
    page() {
      return '<html></html>';
    }
  }

  it('names a route served without a declaration, and one documented but not served', () => {
    const document = openApiDocument([ThingsController], '/');
    const outside = outsideApiRoutes([ThingsController]);
    expect(outside).toEqual(['GET /api/v1/things/page']);
    expect(undeclaredRoutes(document)).toEqual(['GET /api/v1/things/{id}']);
    expect(
      routeDifferences(
        [
          { method: 'post', path: '/api/v1/things' },
          { method: 'get', path: '/api/v1/things/page' },
          { method: 'delete', path: '/api/v1/things/{id}' },
        ],
        document,
        outside,
      ),
    ).toEqual({
      undocumented: ['DELETE /api/v1/things/{id}'],
      unserved: ['GET /api/v1/things/{id}'],
    });
  });
});
