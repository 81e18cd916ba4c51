import { NatsError } from 'nats';

/** The JetStream API error code (`err_code`) of a failed request, if it was one. */
export function natsApiErrorCode(error: unknown): number | undefined {
  return error instanceof NatsError ? error.api_error?.err_code : undefined;
}

/** True for "not found" answers of direct gets and message lookups. */
export function isNotFound(error: unknown): boolean {
  return error instanceof NatsError && (error.code === '404' || error.api_error?.err_code === 10037);
}

/** True when NATS did not answer: the outcome of a publish is unknown, and a retry is safe. */
export function isUnanswered(error: unknown): boolean {
  return (
    error instanceof NatsError &&
    ['TIMEOUT', '503', 'CONNECTION_CLOSED', 'CONNECTION_DRAINING', 'DISCONNECT'].includes(error.code)
  );
}
