import { DomainError } from './domain-error';

/** Codes raised by the contracts lib (see docs/errors.md). */
export enum ContractsErrorCode {
  UnknownEventType = 'CONTRACTS_UNKNOWN_EVENT_TYPE',
  UnknownEventVersion = 'CONTRACTS_UNKNOWN_EVENT_VERSION',
  InvalidEvent = 'CONTRACTS_INVALID_EVENT',
  InvalidSubjectToken = 'CONTRACTS_INVALID_SUBJECT_TOKEN',
  DuplicateEventType = 'CONTRACTS_DUPLICATE_EVENT_TYPE',
}

export class ContractsError extends DomainError<ContractsErrorCode> {}
