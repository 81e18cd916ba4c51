export { DomainError, isDomainError } from './domain-error';
export { ContractsError, ContractsErrorCode } from './errors';
export {
  ActorSchema,
  EnvelopeSchema,
  SYSTEM_ACTOR,
  TraceContextSchema,
  type Actor,
  type EventEnvelope,
  type TraceContext,
} from './envelope';
export {
  defineEvent,
  upcaster,
  type AnyEventDefinition,
  type EventDefinition,
  type EventOf,
  type NewEvent,
  type Upcaster,
} from './event-definition';
export { EventRegistry } from './event-registry';
export {
  EVENTS_STREAM_NAME,
  EVENTS_SUBJECT_ROOT,
  aggregateSubject,
  assertSubjectToken,
  eventsFilter,
  serviceHealthSubject,
  type ServiceHealth,
} from './subjects';
export * from './events';
export * from './messages';
export * from './net';
export * from './patterns';
export { newId, type IdPrefix } from './ids';
export * from './config/site-snapshot';
export { accessSecretMatches, hashAccessSecret, shareTokenSha256 } from './access-secrets';
export { openSecret, sealSecret } from './sealed-secrets';
export * from './token-issuers';
export { hashSecret, issueSecret, parseSecret, secretMatches, type SecretPrefix } from './secrets';
export { EmailSchema, IdSchema, NameSchema, PasswordSchema } from './fields';
