import { Controller, Inject, type InjectionToken, type Type } from '@nestjs/common';
import { Ctx, MessagePattern, Payload, type NatsContext } from '@nestjs/microservices';
import type { MsgHdrs } from 'nats';
import type { z } from 'zod';
import { HANDLER_LOGGER, answerMessage, type HandlerLogger } from './service-handler';
import { parseRequest } from './validation';

type Requests = Record<string, z.ZodType>;

/**
 * A service's answers, one handler per message type: the request already parsed by its schema in,
 * the reply out (typed by the service's responses when given).
 */
export type MessageHandlers<
  R extends Requests,
  Res extends { [P in keyof R]: unknown } = Record<keyof R, unknown>,
> = {
  [P in keyof R]: (request: z.output<R[P]>) => Res[P] | Promise<Res[P]>;
};

/**
 * The Nest controller of a service's NATS request/reply: for every message type of `requests` (the
 * contracts' schemas), parse the payload (a bad one is a VALIDATION_FAILED reply naming the field),
 * then call the table's handler for that type. The table is built from the providers `inject`
 * names, so no controller method restates a request: a new message type is a schema in the
 * contracts and a line in the table, and tsc says when one is missing.
 *
 * Every answer is a Reply, made by `answerMessage` (trace span, domain errors, INTERNAL_ERROR logged
 * to the HANDLER_LOGGER the module provides) right here instead of by a Nest interceptor, which cost
 * an rxjs chain per message.
 */
export function messageHandlers<R extends Requests, D extends unknown[]>(
  name: string,
  requests: R,
  inject: { [K in keyof D]: InjectionToken },
  table: (...deps: D) => MessageHandlers<R>,
): Type {
  class Handlers {
    readonly table: MessageHandlers<R>;
    readonly logger: HandlerLogger;
    constructor(logger: HandlerLogger, ...deps: D) {
      this.logger = logger;
      this.table = table(...deps);
    }
  }
  Object.defineProperty(Handlers, 'name', { value: name });
  Controller()(Handlers);
  Inject(HANDLER_LOGGER)(Handlers, undefined, 0);
  inject.forEach((token, index) => Inject(token)(Handlers, undefined, index + 1));
  for (const [pattern, schema] of Object.entries(requests) as [keyof R & string, z.ZodType][]) {
    const descriptor: PropertyDescriptor = {
      value: function answer(this: Handlers, payload: unknown, nats: NatsContext) {
        return answerMessage(nats.getSubject(), nats.getHeaders() as MsgHdrs | undefined, this.logger, () =>
          this.table[pattern](parseRequest(schema, payload) as z.output<R[typeof pattern]>),
        );
      },
    };
    Object.defineProperty(Handlers.prototype, pattern, descriptor);
    MessagePattern(pattern)(Handlers.prototype, pattern, descriptor);
    Payload()(Handlers.prototype, pattern, 0);
    Ctx()(Handlers.prototype, pattern, 1);
  }
  return Handlers;
}
