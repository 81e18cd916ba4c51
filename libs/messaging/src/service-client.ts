import { context, propagation, type TextMapSetter } from '@opentelemetry/api';
import { NatsRecordBuilder, type ClientProxy } from '@nestjs/microservices';
import { headers as natsHeaders, type MsgHdrs } from 'nats';
import { firstValueFrom, timeout, TimeoutError } from 'rxjs';
import type { Reply } from '@rustronaut/contracts';
import { MessagingError, MessagingErrorCode, RemoteError } from './errors';

const setter: TextMapSetter<MsgHdrs> = { set: (carrier, key, value) => carrier.set(key, value) };

/**
 * Sends requests to a service over NATS (NestJS's NATS transport) with the caller's trace context
 * in the headers, and turns an error reply back into a coded error.
 */
export class ServiceClient<
  Requests extends Record<string, unknown>,
  Responses extends { [K in keyof Requests]: unknown },
> {
  constructor(
    private readonly client: ClientProxy,
    private readonly service: string,
    private readonly timeoutMs = 5_000,
  ) {}

  async request<P extends keyof Requests & keyof Responses & string>(
    pattern: P,
    payload: Requests[P],
  ): Promise<Responses[P]> {
    const headers = natsHeaders();
    propagation.inject(context.active(), headers, setter);
    const record = new NatsRecordBuilder(payload).setHeaders(headers).build();
    let reply: Reply<Responses[P]>;
    try {
      reply = await firstValueFrom(
        this.client.send<Reply<Responses[P]>>(pattern, record).pipe(timeout(this.timeoutMs)),
      );
    } catch (error) {
      const reason =
        error instanceof TimeoutError ? `no answer within ${this.timeoutMs} ms` : (error as Error).message;
      throw new MessagingError(
        MessagingErrorCode.ServiceUnavailable,
        `the ${this.service} service is unavailable (${reason}); it may be starting: retry shortly`,
        { cause: error },
      );
    }
    if (!reply.ok) throw new RemoteError(reply.error.code, reply.error.message, reply.error.details);
    return reply.data;
  }
}
