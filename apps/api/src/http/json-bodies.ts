import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MessagingError, MessagingErrorCode } from '@rustronaut/messaging';
import { ApiError, ApiErrorCode } from './api-errors';

/** `application/json` and any `application/<something>+json`, with or without parameters. */
const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9!#$&^_.-]+\+)?json(?:\s*;|$)/i;

/** Keys that reach an object's prototype when a body is merged or copied carelessly. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Where in a parsed body a prototype key sits (`body.targets.0.__proto__`), or undefined. Walked
 * with a stack of its own, so a deeply nested body cannot overflow the call stack.
 */
export function prototypeKeyIn(value: unknown, root = 'body'): string | undefined {
  const pending: [unknown, string][] = [[value, root]];
  while (pending.length) {
    const [node, path] = pending.pop() as [unknown, string];
    if (node === null || typeof node !== 'object') continue;
    for (const key of Object.keys(node)) {
      const at = `${path}.${key}`;
      if (PROTOTYPE_KEYS.has(key)) return at;
      pending.push([(node as Record<string, unknown>)[key], at]);
    }
  }
  return undefined;
}

/**
 * A JSON body, or the error that refuses it: a Content-Encoding other than `identity` (415: the API
 * decodes none), text that is not JSON (400), a prototype key anywhere (400 naming the field).
 */
export function parseJsonBody(text: string, contentEncoding: string | string[] | undefined): unknown {
  const encoding = Array.isArray(contentEncoding) ? contentEncoding.join(',') : contentEncoding;
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity')
    throw new ApiError(
      ApiErrorCode.UnsupportedMediaType,
      `Content-Encoding ${JSON.stringify(encoding)} is not accepted: send the body unencoded`,
    );
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ApiError(
      ApiErrorCode.MalformedJson,
      `the request body is not valid JSON: ${(error as Error).message}`,
    );
  }
  const field = prototypeKeyIn(value);
  if (field !== undefined) {
    const message = `${field}: "${field.slice(field.lastIndexOf('.') + 1)}" is not an accepted key`;
    throw new MessagingError(MessagingErrorCode.ValidationFailed, message, {
      details: { issues: [{ field, message: 'is not an accepted key' }] },
    });
  }
  return value;
}

/**
 * The API reads JSON bodies only: the parsers Fastify and Nest bring (text/plain,
 * application/x-www-form-urlencoded) are removed, so any other content type is 415
 * API_UNSUPPORTED_MEDIA_TYPE before a handler runs, and a refused body changes nothing.
 */
export function acceptJsonBodiesOnly(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    JSON_MEDIA_TYPE,
    { parseAs: 'string' },
    (req: FastifyRequest, body: string | Buffer, done: (error: Error | null, value?: unknown) => void) => {
      try {
        done(null, parseJsonBody(body.toString(), req.headers['content-encoding']));
      } catch (error) {
        done(error as Error);
      }
    },
  );
}
