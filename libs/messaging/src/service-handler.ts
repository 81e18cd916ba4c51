import {
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type TextMapGetter,
} from '@opentelemetry/api';
import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { NatsContext } from '@nestjs/microservices';
import type { MsgHdrs } from 'nats';
import { Observable, catchError, map, of } from 'rxjs';
import { isDomainError, type Reply } from '@rustronaut/contracts';
import { MessagingErrorCode } from './errors';

const getter: TextMapGetter<MsgHdrs | undefined> = {
  keys: (carrier) => (carrier ? carrier.keys() : []),
  get: (carrier, key) => carrier?.get(key) || undefined,
};

export interface HandlerLogger {
  error(obj: object, msg: string): void;
}

/**
 * Wraps every message handler of a service: continues the caller's trace (a server span, child of
 * the context in the NATS headers), and turns the result into a Reply — a domain error becomes
 * `{ok: false, error}` with its code; anything unexpected is logged and answered INTERNAL_ERROR.
 */
@Injectable()
export class ServiceHandlerInterceptor implements NestInterceptor {
  constructor(private readonly logger: HandlerLogger) {}

  intercept(execution: ExecutionContext, next: CallHandler): Observable<Reply<unknown>> {
    const nats = execution.switchToRpc().getContext<NatsContext>();
    const parent = propagation.extract(context.active(), nats.getHeaders() as MsgHdrs | undefined, getter);
    const span = trace
      .getTracer('rustronaut')
      .startSpan(nats.getSubject(), { kind: SpanKind.SERVER }, parent);
    const active = trace.setSpan(parent, span);
    return new Observable<Reply<unknown>>((subscriber) =>
      context.with(active, () =>
        next
          .handle()
          .pipe(
            map((data: unknown): Reply<unknown> => ({ ok: true, data })),
            catchError((error: unknown) => {
              span.recordException(error as Error);
              if (isDomainError(error)) {
                return of<Reply<unknown>>({
                  ok: false,
                  error: { code: error.code, message: error.message, details: { ...error.details } },
                });
              }
              span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
              const traceId = span.spanContext().traceId;
              this.logger.error(
                { err: error, subject: nats.getSubject(), traceId },
                'request failed unexpectedly',
              );
              return of<Reply<unknown>>({
                ok: false,
                error: {
                  code: MessagingErrorCode.Internal,
                  message: `internal error (trace ${traceId}); see the service log`,
                },
              });
            }),
          )
          .subscribe({
            next: (value) => subscriber.next(value),
            error: (error: unknown) => subscriber.error(error),
            complete: () => {
              span.end();
              subscriber.complete();
            },
          }),
      ),
    );
  }
}
