import {
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type TextMapGetter,
} from '@opentelemetry/api';
import type { MsgHdrs } from 'nats';
import { isDomainError, type Reply } from '@rustronaut/contracts';
import { MessagingErrorCode } from './errors';

const getter: TextMapGetter<MsgHdrs | undefined> = {
  keys: (carrier) => (carrier ? carrier.keys() : []),
  get: (carrier, key) => carrier?.get(key) || undefined,
};

export interface HandlerLogger {
  error(obj: object, msg: string): void;
}

/** The injection token of the logger a service's message handlers log unexpected failures to. */
export const HANDLER_LOGGER = Symbol('HandlerLogger');

/**
 * Answers one message: continues the caller's trace (a server span named by the subject, child of
 * the context in the NATS headers), runs `handle` inside it, and turns the result into a Reply — a
 * domain error becomes `{ok: false, error}` with its code; anything unexpected is logged and
 * answered INTERNAL_ERROR.
 */
export async function answerMessage(
  subject: string,
  headers: MsgHdrs | undefined,
  logger: HandlerLogger,
  handle: () => unknown,
): Promise<Reply<unknown>> {
  const parent = propagation.extract(context.active(), headers, getter);
  const span = trace.getTracer('rustronaut').startSpan(subject, { kind: SpanKind.SERVER }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), async (): Promise<Reply<unknown>> => {
      try {
        return { ok: true, data: await handle() };
      } catch (error: unknown) {
        span.recordException(error as Error);
        if (isDomainError(error)) {
          return {
            ok: false,
            error: { code: error.code, message: error.message, details: { ...error.details } },
          };
        }
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        const traceId = span.spanContext().traceId;
        logger.error({ err: error, subject, traceId }, 'request failed unexpectedly');
        return {
          ok: false,
          error: {
            code: MessagingErrorCode.Internal,
            message: `internal error (trace ${traceId}); see the service log`,
          },
        };
      }
    });
  } finally {
    span.end();
  }
}
