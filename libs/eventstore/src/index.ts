export {
  EventStore,
  type AggregateRef,
  type AppendOptions,
  type AppendResult,
  type EventStoreOptions,
  type ExpectedVersion,
  type LoadedAggregate,
} from './event-store';
export {
  ConcurrencyConflictError,
  EventStoreError,
  EventStoreErrorCode,
  PreconditionFailedError,
} from './errors';
export { ensureEventStream, eventStreamSettings, type EventStreamOptions } from './stream';
export { ensureAccessStream, type AccessStreamOptions } from './access-stream';
export { injectTraceContext, extractTraceContext } from './trace-context';
export type { Projection, ProjectionContext } from './projection/projection';
export { isEventOf } from './projection/projection';
export {
  ProjectionRunner,
  type ProjectionRunnerOptions,
  type RunnerLogger,
} from './projection/projection-runner';
export { commitAndWait, retryOnConflict, type CommitKeys } from './commit-and-wait';
export {
  Reservations,
  bookAggregate,
  type HoldPlan,
  type KeyRef,
  type KeySpace,
  type ReservationsOptions,
} from './reservations/reservations';
export {
  decideReservation,
  evolveBook,
  emptyBook,
  type Hold,
  type ReservationBook,
  type ReservationCommand,
  type Verdict,
} from './reservations/reservation-book';
export {
  FoldSnapshots,
  type FoldSnapshot,
  type FoldSnapshotsOptions,
  type SnapshotRefusal,
} from './fold-snapshot/fold-snapshots';
