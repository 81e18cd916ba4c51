import type { FastifyInstance } from 'fastify';
import { etag } from './request';

/**
 * The ETag of an answer, by one rule for every route: an answer that is one versioned thing (its
 * `version`, what `If-Match` sends back) carries `ETag: "<version>"` — the GET that reads it, the
 * 201 that creates it and the 200 of a change to it alike, so a client always has the ETag of what
 * it was just shown. Lists and answers without a version carry none.
 *
 * Set in Fastify's preSerialization hook, where the answer is still the object the handler
 * returned (a Nest interceptor did it before: one more bound async resource and observable on
 * every request).
 */
export function answerWithEtags(fastify: FastifyInstance): void {
  fastify.addHook('preSerialization', (_request, reply, answer: unknown, done) => {
    const version = versionOf(answer);
    if (version !== undefined) void reply.header('ETag', etag(version));
    done(null, answer);
  });
}

/** The version of an answer that is one versioned thing. */
export function versionOf(answer: unknown): number | undefined {
  if (!answer || typeof answer !== 'object' || Array.isArray(answer)) return undefined;
  const version = (answer as { version?: unknown }).version;
  return typeof version === 'number' && Number.isInteger(version) ? version : undefined;
}
