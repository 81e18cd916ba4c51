import 'reflect-metadata';
import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { body as parseBody, query as parseQuery, snakeBody } from './request';

/**
 * What a route takes and answers, declared once beside its handler: the schemas here validate the
 * request (`@ValidBody()`, `@ValidQuery()`) and generate the OpenAPI document (`openapi.ts`), from
 * which the typed client (`@rustronaut/api-client`) is generated. Method and path are Nest's own
 * (`@Get(':id')`), `@Public()` says the route needs no credentials, `@HttpCode` its success status.
 */
export interface EndpointSpec {
  summary: string;
  tag: string;
  /** The schema that validates the request body. */
  body?: z.ZodType;
  /** The schema that validates the query string (each key a parameter). */
  query?: z.ZodObject;
  /** What a success answers; none for an empty answer (204). */
  response?: z.ZodType;
  /** The success answer's media type when it is not JSON (NDJSON exports, HTML pages, live streams). */
  produces?: 'application/x-ndjson' | 'text/html' | 'text/event-stream' | 'text/plain';
  /**
   * `camel`: `body` and `response` are the contracts' camelCase schemas; clients send and get
   * snake_case (`snakeBody` maps requests, `snakeJson` answers; the document shows snake_case).
   */
  keys?: 'camel';
  /** Honours `If-Match` (the ETag of the thing changed). */
  ifMatch?: boolean;
  /** Error statuses beyond those every route of its kind may answer (see `errorStatuses`). */
  errors?: number[];
  /** Set by the generator for a route that has no @Endpoint (never in a declaration). */
  undeclared?: true;
}

const ENDPOINT = 'rustronaut:endpoint';
const OUTSIDE_API = 'rustronaut:outside-api';

/** Declares what a route takes and answers (see `EndpointSpec`). Every served route has one. */
export const Endpoint = (spec: EndpointSpec) => SetMetadata(ENDPOINT, spec);

export function endpointOf(handler: object): EndpointSpec | undefined {
  return Reflect.getMetadata(ENDPOINT, handler) as EndpointSpec | undefined;
}

/**
 * A route that is not part of the API and stays out of its document, saying why (the web
 * console's pages: its catch-all GET). Nothing else may be left undeclared.
 */
export const OutsideApi = (reason: string) => SetMetadata(OUTSIDE_API, reason);

export function outsideApiReason(handler: object): string | undefined {
  return Reflect.getMetadata(OUTSIDE_API, handler) as string | undefined;
}

function schemaOf<P extends 'body' | 'query'>(execution: ExecutionContext, part: P) {
  const spec = endpointOf(execution.getHandler());
  const schema = spec?.[part];
  if (!spec || !schema)
    throw new Error(`route asked for its ${part} without declaring its schema in @Endpoint`);
  return { spec, schema: schema as NonNullable<EndpointSpec[P]> };
}

/** The request body, validated by the route's declared `body` schema (400 naming each bad field). */
export const ValidBody = createParamDecorator((_: unknown, execution: ExecutionContext): unknown => {
  const { spec, schema } = schemaOf(execution, 'body');
  const raw = execution.switchToHttp().getRequest<FastifyRequest>().body;
  return spec.keys === 'camel' ? snakeBody(schema, raw) : parseBody(schema, raw);
});

/** The query string, validated by the route's declared `query` schema. */
export const ValidQuery = createParamDecorator((_: unknown, execution: ExecutionContext): unknown => {
  const { schema } = schemaOf(execution, 'query');
  return parseQuery(schema, execution.switchToHttp().getRequest<FastifyRequest>().query);
});
