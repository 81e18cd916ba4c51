import 'reflect-metadata';
import { RequestMethod, type Type } from '@nestjs/common';
import type { ModulesContainer } from '@nestjs/core';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { z } from 'zod';
import { isPublicRoute } from '../auth/auth.guard';
import { endpointOf, outsideApiReason, type EndpointSpec } from './endpoint';
import * as answers from './responses';

/**
 * The OpenAPI 3.1 document, generated from the controllers themselves: method and path from Nest's
 * decorators, what each route takes and answers from its `@Endpoint` (the schemas that validate
 * it). There is no list to keep: a route without `@Endpoint` stops the generation, and
 * `openapi.spec.ts` checks the document against the routes Fastify serves.
 */

type JsonSchema = Record<string, unknown>;

/** Nest token of the generated document (made once at start, served by the meta controller). */
export const OPENAPI_DOCUMENT = Symbol('OPENAPI_DOCUMENT');
type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

const METHODS: Partial<Record<RequestMethod, HttpMethod>> = {
  [RequestMethod.GET]: 'get',
  [RequestMethod.POST]: 'post',
  [RequestMethod.PUT]: 'put',
  [RequestMethod.PATCH]: 'patch',
  [RequestMethod.DELETE]: 'delete',
};

/** One served route: where Nest mounts it and what it declared. */
export interface DeclaredRoute {
  method: HttpMethod;
  /** OpenAPI style: `/api/v1/sites/{id}`. */
  path: string;
  operationId: string;
  isPublic: boolean;
  status: number;
  spec: EndpointSpec;
}

const joinPath = (...parts: string[]) =>
  `/${parts
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/')}`.replace(/:(\w+)/g, '{$1}');

const firstPath = (value: unknown): string =>
  (Array.isArray(value) ? String(value[0] ?? '') : String(value ?? '')) || '';

/** The routes these controllers serve outside the API (`@OutsideApi`), as `METHOD /path`. */
export function outsideApiRoutes(controllers: readonly Type[]): string[] {
  return controllers.flatMap((controller) => {
    const base = firstPath(Reflect.getMetadata(PATH_METADATA, controller));
    const proto = controller.prototype as Record<string, unknown>;
    return Object.getOwnPropertyNames(proto).flatMap((name) => {
      const handler = Object.getOwnPropertyDescriptor(proto, name)?.value as object | undefined;
      if (typeof handler !== 'function' || !outsideApiReason(handler)) return [];
      const method = METHODS[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      const path = joinPath(base, firstPath(Reflect.getMetadata(PATH_METADATA, handler)));
      return method ? [`${method.toUpperCase()} ${path}`] : [];
    });
  });
}

/** The controllers of a Nest application, in the order its modules registered them. */
export function controllersOf(modules: ModulesContainer): Type[] {
  return [...modules.values()].flatMap((module) =>
    [...module.controllers.values()].map((wrapper) => wrapper.metatype as Type),
  );
}

/**
 * Every route of these controllers with its declaration. A route without `@Endpoint` is still
 * listed (as `undeclared`, without schemas) so the API keeps serving while one is being written;
 * the route test and the client's generation refuse it.
 */
export function declaredRoutes(controllers: readonly Type[]): DeclaredRoute[] {
  const routes: DeclaredRoute[] = [];
  for (const controller of controllers) {
    const base = firstPath(Reflect.getMetadata(PATH_METADATA, controller));
    const proto = controller.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const handler = Object.getOwnPropertyDescriptor(proto, name)?.value as object | undefined;
      if (typeof handler !== 'function' || name === 'constructor') continue;
      const methodCode = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (methodCode === undefined || !Reflect.hasMetadata(PATH_METADATA, handler)) continue;
      const method = METHODS[methodCode];
      const path = joinPath(base, firstPath(Reflect.getMetadata(PATH_METADATA, handler)));
      if (!method) throw new Error(`${controller.name}.${name}: method ${methodCode} cannot be documented`);
      if (outsideApiReason(handler)) continue;
      const spec = endpointOf(handler) ?? {
        summary: `${controller.name}.${name}: UNDECLARED (add @Endpoint: what it takes and answers)`,
        tag: 'undeclared',
        undeclared: true,
      };
      const code = Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined;
      routes.push({
        method,
        path,
        operationId: `${controller.name.replace(/Controller$/, '')}_${name}`.replace(/^./, (c) =>
          c.toLowerCase(),
        ),
        isPublic: isPublicRoute(handler, controller),
        status: code ?? (method === 'post' ? 201 : 200),
        spec,
      });
    }
  }
  return routes;
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The same JSON Schema with its property names as the wire has them (snake_case). */
function snakeKeys(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(snakeKeys);
  if (!schema || typeof schema !== 'object') return schema;
  const node = schema as JsonSchema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' && value && typeof value === 'object')
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [snake(k), snakeKeys(v)]));
    else if (key === 'required' && Array.isArray(value)) out[key] = value.map((k) => snake(String(k)));
    else out[key] = snakeKeys(value);
  }
  return out;
}

/**
 * The answers' schemas by name: every `…Json` export of responses.ts is `components.schemas.…`
 * (`ResourceJson` → `Resource`), so the generated client has named types and the document says each
 * once. Requests stay inline (a body is one route's).
 */
const NAMED_ANSWERS = z.registry<{ id: string }>();
for (const [name, schema] of Object.entries(answers))
  if (name.endsWith('Json') && schema instanceof z.ZodType)
    NAMED_ANSWERS.add(schema, { id: name.slice(0, -4) });
const NOTHING_NAMED = z.registry<{ id: string }>();

/** Turns zod schemas into the document's JSON Schemas, collecting the named ones as components. */
class SchemaBook {
  readonly components: Record<string, JsonSchema> = { Error: ErrorSchema };

  json(schema: z.ZodType, io: 'input' | 'output', keys?: 'camel'): JsonSchema {
    const metadata = io === 'output' ? NAMED_ANSWERS : NOTHING_NAMED;
    const {
      $schema: _,
      $defs,
      ...root
    } = z.toJSONSchema(schema, { io, unrepresentable: 'any', metadata }) as JsonSchema;
    const wire = (value: JsonSchema) =>
      refsToComponents(keys === 'camel' ? snakeKeys(value) : value) as JsonSchema;
    for (const [id, definition] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
      const shown = wire(definition);
      const known = this.components[id];
      if (known && JSON.stringify(known) !== JSON.stringify(shown))
        throw new Error(`the answer schema ${id}Json is shown two ways (camelCase and snake_case routes?)`);
      this.components[id] = shown;
    }
    return wire(root);
  }
}

function refsToComponents(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(refsToComponents);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      k === '$ref' && typeof v === 'string'
        ? v.replace(/^#\/\$defs\//, '#/components/schemas/')
        : refsToComponents(v),
    ]),
  );
}

const ERROR_REF = { $ref: '#/components/schemas/Error' };
const ErrorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['status', 'code', 'message'],
      properties: {
        status: { type: 'integer' },
        code: { type: 'string', description: 'a stable code, listed in docs/errors.md' },
        message: { type: 'string' },
        details: { type: 'object' },
        trace_id: { type: 'string' },
      },
    },
  },
};

const ERROR_MEANINGS: Record<number, string> = {
  400: 'The request is not valid (each bad field is named)',
  401: 'No valid credentials',
  403: 'The caller may not do this',
  404: 'Not found in the caller’s organisation',
  409: 'Conflicts with the current state (a name taken, a concurrent change)',
  412: 'If-Match is not the current version',
  415: 'The body is not JSON',
  429: 'Too many attempts',
};

/** The error answers a route can give, from what it is: what it takes, who may call it, what it changes. */
export function errorStatuses(route: DeclaredRoute): number[] {
  const statuses = new Set<number>(route.spec.errors ?? []);
  const hasParams = route.path.includes('{');
  if (route.spec.body || route.spec.query || hasParams) statuses.add(400);
  if (!route.isPublic) {
    statuses.add(401);
    statuses.add(403);
    if (route.method !== 'get') statuses.add(409);
  }
  if (hasParams) statuses.add(404);
  if (route.spec.ifMatch) statuses.add(412);
  return [...statuses].sort((a, b) => a - b);
}

function operation(route: DeclaredRoute, book: SchemaBook): JsonSchema {
  const { spec } = route;
  const parameters: JsonSchema[] = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  if (spec.query) {
    const query = book.json(spec.query, 'input');
    const required = new Set((query['required'] as string[] | undefined) ?? []);
    for (const [name, schema] of Object.entries((query['properties'] ?? {}) as Record<string, JsonSchema>))
      parameters.push({ name, in: 'query', required: required.has(name), schema });
  }
  if (spec.ifMatch)
    parameters.push({
      name: 'If-Match',
      in: 'header',
      required: false,
      description: 'The ETag last seen; the change applies only to that version',
      schema: { type: 'string' },
    });
  const success: JsonSchema = { description: route.status === 204 ? 'Done' : 'OK' };
  if (spec.response && route.status !== 204) {
    const schema =
      spec.produces === 'text/html' || spec.produces === 'text/plain'
        ? { type: 'string' }
        : book.json(spec.response, 'output', spec.keys);
    const each =
      spec.produces === 'application/x-ndjson'
        ? { description: 'one JSON object a line' }
        : spec.produces === 'text/event-stream'
          ? { description: 'server-sent events; each event’s data is one such JSON object' }
          : {};
    success['content'] = {
      [spec.produces ?? 'application/json']: {
        schema,
        ...each,
      },
    };
  }
  const responses: JsonSchema = { [String(route.status)]: success };
  for (const status of errorStatuses(route))
    responses[String(status)] = {
      description: ERROR_MEANINGS[status] ?? 'Error',
      content: { 'application/json': { schema: ERROR_REF } },
    };
  responses['default'] = {
    description: 'Any other error (503 when a service does not answer)',
    content: { 'application/json': { schema: ERROR_REF } },
  };
  return {
    operationId: route.operationId,
    ...(spec.undeclared ? { 'x-undeclared': true } : {}),
    summary: spec.summary,
    tags: [spec.tag],
    ...(route.isPublic ? { security: [] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(spec.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: book.json(spec.body, 'input', spec.keys) } },
          },
        }
      : {}),
    responses,
  };
}

/** The routes of a document that have no `@Endpoint` yet (`METHOD /path`). */
export function undeclaredRoutes(document: Record<string, unknown>): string[] {
  const paths = (document['paths'] ?? {}) as Record<string, Record<string, JsonSchema>>;
  return Object.entries(paths).flatMap(([path, operations]) =>
    Object.entries(operations)
      .filter(([, op]) => op['x-undeclared'] === true)
      .map(([method]) => `${method.toUpperCase()} ${path}`),
  );
}

/** The whole document for these controllers, served at /api/v1/openapi.json. */
export function openApiDocument(controllers: readonly Type[], serverUrl: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const book = new SchemaBook();
  for (const route of declaredRoutes(controllers))
    (paths[route.path] ??= {})[route.method] = operation(route, book);
  const schemas = Object.fromEntries(Object.entries(book.components).sort(([a], [b]) => a.localeCompare(b)));
  const sorted = Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b)));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Rustronaut API',
      version: '1',
      description: 'Zero-trust network access: the console API.',
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'An access token (JWT) or an API key (rnk_…)',
        },
      },
      schemas,
    },
    security: [{ bearer: [] }],
    paths: sorted,
  };
}
