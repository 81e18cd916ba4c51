import type { z } from 'zod';
import { MessagingError, MessagingErrorCode, parseRequest } from '@rustronaut/messaging';
import { ApiError, ApiErrorCode } from './api-errors';

/** Validates a request body: 400 VALIDATION_FAILED naming each bad field (`body.email`, …). */
export const body = <S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> =>
  parseRequest(schema, raw ?? {}, 'body.');

export const query = <S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> =>
  parseRequest(schema, raw ?? {}, 'query.');

/** `If-Match: "12"` → 12: the version the client last saw; a mismatch is a 409 conflict. */
export function ifMatch(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header[0] : header;
  const match = /^(?:W\/)?"?(\d+)"?$/.exec((value ?? '').trim());
  if (!match)
    throw new ApiError(ApiErrorCode.BadPrecondition, 'If-Match must be the ETag of the resource, e.g. "12"');
  return Number(match[1]);
}

export const etag = (version: number) => `"${version}"`;

const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function mapKeys(value: unknown, rename: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => mapKeys(v, rename));
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [rename(k), mapKeys(v, rename)]));
  }
  return value;
}

/** snake_case JSON from the API's camelCase views (keys only, values untouched). */
export const snakeJson = <T>(value: T): unknown => mapKeys(value, snake);

/**
 * Validates a snake_case body against a camelCase schema of the contracts: one schema for the
 * API, the service and the events; errors name the fields as the client sent them.
 */
export function snakeBody<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  try {
    return parseRequest(schema, mapKeys(raw ?? {}, camel), 'body.');
  } catch (error) {
    const issues = (error as { details?: { issues?: { field: string; message: string }[] } }).details?.issues;
    if (!issues) throw error;
    const named = issues.map((i) => ({
      field: i.field.split('.').map(snake).join('.'),
      message: i.message.replace(/"(\w+)"/g, (_, k: string) => `"${snake(k)}"`),
    }));
    throw new MessagingError(
      MessagingErrorCode.ValidationFailed,
      named.map((i) => `${i.field}: ${i.message}`).join('; '),
      {
        details: { issues: named },
      },
    );
  }
}
