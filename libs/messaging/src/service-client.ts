import { context, propagation, type TextMapSetter } from '@opentelemetry/api';
import { headers as natsHeaders, type MsgHdrs, type NatsConnection } from 'nats';
import type { Reply } from '@rustronaut/contracts';
import { MessagingError, MessagingErrorCode, RemoteError } from './errors';

const setter: TextMapSetter<MsgHdrs> = { set: (carrier, key, value) => carrier.set(key, value) };
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What NestJS's NATS server (`Transport.NATS`) answers a request with. */
interface NestPacket<T> {
  id?: string;
  response?: T;
  err?: unknown;
  isDisposed?: boolean;
}

let lastRequestId = 0;

/**
 * Sends requests to a service over NATS, in the wire format of NestJS's NATS transport (the
 * services answer with `Transport.NATS`), with the caller's trace context in the headers, and
 * turns an error reply back into a coded error.
 *
 * Requests go through the connection's one shared reply subscription (nats.js `request`): Nest's
 * own client subscribes to a new inbox for every request and unsubscribes after the answer, two
 * more protocol messages (and socket writes) per request.
 */
export class ServiceClient<
  Requests extends Record<string, unknown>,
  Responses extends { [K in keyof Requests]: unknown },
> {
  constructor(
    private readonly nc: NatsConnection,
    private readonly service: string,
    private readonly timeoutMs = 5_000,
  ) {}

  async request<P extends keyof Requests & keyof Responses & string>(
    pattern: P,
    payload: Requests[P],
  ): Promise<Responses[P]> {
    const headers = natsHeaders();
    propagation.inject(context.active(), headers, setter);
    const id = `${this.service}-${++lastRequestId}`;
    let packet: NestPacket<Reply<Responses[P]>>;
    try {
      const message = await this.nc.request(
        pattern,
        encoder.encode(JSON.stringify({ pattern, data: payload, id })),
        { timeout: this.timeoutMs, headers },
      );
      if (message.data.length === 0) throw new Error('empty answer: no instance of it is subscribed');
      packet = JSON.parse(decoder.decode(message.data)) as NestPacket<Reply<Responses[P]>>;
      if (packet.err !== undefined && packet.err !== null) throw new Error(errorText(packet.err));
    } catch (error) {
      throw new MessagingError(
        MessagingErrorCode.ServiceUnavailable,
        `the ${this.service} service is unavailable (${reasonOf(error, this.timeoutMs)}); it may be starting: retry shortly`,
        { cause: error },
      );
    }
    const reply = packet.response;
    if (reply === undefined)
      throw new MessagingError(
        MessagingErrorCode.Internal,
        `the ${this.service} service answered ${pattern} with nothing`,
      );
    if (!reply.ok) throw new RemoteError(reply.error.code, reply.error.message, reply.error.details);
    return reply.data;
  }
}

function reasonOf(error: unknown, timeoutMs: number): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'TIMEOUT') return `no answer within ${timeoutMs} ms`;
  if (code === '503') return 'no subscribers: no instance of it is running';
  return (error as Error).message;
}

function errorText(err: unknown): string {
  if (typeof err === 'string') return err;
  if (err instanceof Object && typeof (err as { message?: unknown }).message === 'string')
    return (err as { message: string }).message;
  return JSON.stringify(err);
}
