/** What every service answers on NATS request/reply: the result, or a coded error. */
export type Reply<T> = { ok: true; data: T } | { ok: false; error: ReplyError };

export interface ReplyError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}
