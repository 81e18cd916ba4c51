import type { z } from 'zod';
import { parseRequest } from '@rustronaut/messaging';
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
