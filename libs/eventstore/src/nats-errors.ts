import { NatsError, type JetStreamManager, type StreamInfo } from 'nats';

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

const STREAM_NOT_FOUND = 10059;

/** A stream's info, or undefined when there is no stream of that name. */
export async function existingStream(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (error) {
    if (natsApiErrorCode(error) !== STREAM_NOT_FOUND) throw error;
    return undefined;
  }
}

/** A stream found under our name must capture our subjects; otherwise it is someone else's. */
export function ownsSubjects(info: StreamInfo, subjects: string[]): boolean {
  return subjects.every((s) => info.config.subjects?.includes(s));
}
