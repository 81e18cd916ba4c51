import { DomainError } from '@rustronaut/contracts';

/** Codes raised by the event store (see docs/errors.md). */
export enum EventStoreErrorCode {
  /** Another writer appended to the aggregate first; reload and decide again. */
  ConcurrencyConflict = 'EVENTSTORE_CONCURRENCY_CONFLICT',
  /** The version the caller named (If-Match) is no longer the current one: someone else changed it. */
  PreconditionFailed = 'EVENTSTORE_PRECONDITION_FAILED',
  /** The events or options given to append are not valid. */
  InvalidAppend = 'EVENTSTORE_INVALID_APPEND',
  /** NATS did not acknowledge in time; the append may or may not be stored: retry with the same command id. */
  Unavailable = 'EVENTSTORE_UNAVAILABLE',
  /** The stream exists with a configuration this build cannot use. */
  StreamMisconfigured = 'EVENTSTORE_STREAM_MISCONFIGURED',
  /** A projection cannot start (its checkpoint table or consumer could not be set up). */
  ProjectionSetup = 'EVENTSTORE_PROJECTION_SETUP',
  /** A wait for a projection to reach a position ran out of time. */
  ProjectionTimeout = 'EVENTSTORE_PROJECTION_TIMEOUT',
  /** A key's reservation expired before the change that needed it was confirmed, and someone else took it. */
  ReservationLost = 'EVENTSTORE_RESERVATION_LOST',
}

export class EventStoreError extends DomainError<EventStoreErrorCode> {}

export class ConcurrencyConflictError extends EventStoreError {
  constructor(
    readonly aggregate: string,
    readonly expectedVersion: number,
    readonly actualVersion: number | undefined,
    cause?: unknown,
  ) {
    super(
      EventStoreErrorCode.ConcurrencyConflict,
      `${aggregate} was changed by someone else (expected version ${expectedVersion}` +
        `${actualVersion === undefined ? '' : `, found ${actualVersion}`}): reload it and try again`,
      { details: { aggregate, expectedVersion, actualVersion }, cause },
    );
  }
}

/**
 * A change made on a version the caller named (HTTP If-Match) that is no longer current: nothing was
 * written. Carries the current version (the ETag to reload).
 */
export class PreconditionFailedError extends EventStoreError {
  constructor(conflict: ConcurrencyConflictError) {
    super(
      EventStoreErrorCode.PreconditionFailed,
      `${conflict.aggregate} was changed by someone else since version ${conflict.expectedVersion}` +
        `${conflict.actualVersion === undefined ? '' : ` (it is now at ${conflict.actualVersion})`}: reload it and try again`,
      {
        details: {
          expectedVersion: conflict.expectedVersion,
          ...(conflict.actualVersion === undefined ? {} : { currentVersion: conflict.actualVersion }),
        },
        cause: conflict,
      },
    );
  }
}
