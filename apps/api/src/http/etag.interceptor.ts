import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { map, type Observable } from 'rxjs';
import { etag } from './request';

/**
 * The ETag of an answer, by one rule for every route: an answer that is one versioned thing (its
 * `version`, what `If-Match` sends back) carries `ETag: "<version>"` — the GET that reads it, the
 * 201 that creates it and the 200 of a change to it alike, so a client always has the ETag of what
 * it was just shown. Lists and answers without a version carry none.
 */
@Injectable()
export class EtagInterceptor implements NestInterceptor {
  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (execution.getType() !== 'http') return next.handle();
    const reply = execution.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      map((answer: unknown) => {
        const version = versionOf(answer);
        if (version !== undefined && !reply.sent) void reply.header('ETag', etag(version));
        return answer;
      }),
    );
  }
}

/** The version of an answer that is one versioned thing. */
export function versionOf(answer: unknown): number | undefined {
  if (!answer || typeof answer !== 'object' || Array.isArray(answer)) return undefined;
  const version = (answer as { version?: unknown }).version;
  return typeof version === 'number' && Number.isInteger(version) ? version : undefined;
}
