import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { isDomainError } from '@rustronaut/contracts';
import { currentTraceId, type Logger } from '@rustronaut/observability';
import { ApiErrorCode, STATUS_BY_CODE, currentEtag } from './api-errors';

export interface ErrorBody {
  error: {
    status: number;
    code: string;
    message: string;
    details?: Record<string, unknown>;
    trace_id?: string;
  };
}

/**
 * Every error leaves the API in one shape: `{"error": {status, code, message, details?, trace_id?}}`.
 * Domain codes map to statuses through STATUS_BY_CODE; Fastify's own errors (bad JSON, body too
 * large, unknown route) are given codes of their own.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const body = this.toBody(exception);
    if (body.error.status >= 500)
      this.logger.error({ err: exception, traceId: body.error.trace_id }, body.error.message);
    if (
      body.error.code === ApiErrorCode.RateLimited &&
      typeof body.error.details?.['retry_after'] === 'number'
    ) {
      void reply.header('Retry-After', String(body.error.details['retry_after']));
    }
    const etag = body.error.status === 412 ? currentEtag(body.error.details) : undefined;
    if (etag) void reply.header('ETag', etag);
    void reply.status(body.error.status).header('content-type', 'application/json; charset=utf-8').send(body);
  }

  toBody(exception: unknown): ErrorBody {
    const traceId = currentTraceId();
    const make = (
      status: number,
      code: string,
      message: string,
      details?: Record<string, unknown>,
    ): ErrorBody => ({
      error: {
        status,
        code,
        message,
        ...(details && Object.keys(details).length ? { details } : {}),
        ...(traceId ? { trace_id: traceId } : {}),
      },
    });
    if (isDomainError(exception)) {
      return make(STATUS_BY_CODE[exception.code] ?? 500, exception.code, exception.message, {
        ...exception.details,
      });
    }
    const fastify = exception as { statusCode?: number; code?: string; message?: string };
    if (
      fastify.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
      fastify.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
      (exception instanceof SyntaxError && fastify.statusCode === 400)
    ) {
      return make(
        400,
        ApiErrorCode.MalformedJson,
        `the request body is not valid JSON: ${fastify.message ?? 'parse error'}`,
      );
    }
    if (fastify.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return make(413, ApiErrorCode.PayloadTooLarge, 'the request body is too large (limit 1 MiB)');
    if (fastify.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return make(415, ApiErrorCode.UnsupportedMediaType, 'send the body as application/json');
    }
    if (
      exception instanceof HttpException &&
      exception.getStatus() === 400 &&
      /not valid JSON|JSON/i.test(exception.message)
    ) {
      return make(
        400,
        ApiErrorCode.MalformedJson,
        `the request body is not valid JSON: ${exception.message}`,
      );
    }
    if (exception instanceof HttpException && exception.getStatus() === 404) {
      return make(404, ApiErrorCode.RouteNotFound, 'no such route: see /api/v1/openapi.json for the API');
    }
    if (exception instanceof HttpException) {
      return make(exception.getStatus(), `HTTP_${exception.getStatus()}`, exception.message);
    }
    if (typeof fastify.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) {
      return make(
        fastify.statusCode,
        fastify.code ?? `HTTP_${fastify.statusCode}`,
        fastify.message ?? 'bad request',
      );
    }
    return make(
      500,
      'INTERNAL_ERROR',
      `internal error${traceId ? ` (trace ${traceId})` : ''}; see the API log`,
    );
  }
}
