import { DomainError } from '@rustronaut/contracts';

/** Codes raised at the edges of services (see docs/errors.md). */
export enum MessagingErrorCode {
  /** A request's payload does not match its schema; `details.issues` names each field. */
  ValidationFailed = 'VALIDATION_FAILED',
  /** The service did not answer in time, or no instance of it is running. */
  ServiceUnavailable = 'SERVICE_UNAVAILABLE',
  /** The service failed in a way it did not expect; its log has the cause under the trace id. */
  Internal = 'INTERNAL_ERROR',
}

export class MessagingError extends DomainError<MessagingErrorCode> {}

/** An error another service replied with, re-raised with its code and details. */
export class RemoteError extends DomainError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(code, message, details === undefined ? {} : { details });
  }
}
