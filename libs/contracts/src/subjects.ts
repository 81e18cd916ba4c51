import { ContractsError, ContractsErrorCode } from './errors';

/** Root of every domain-event subject: `rn.events.<aggregate>.<aggregateId>`. */
export const EVENTS_SUBJECT_ROOT = 'rn.events';

/** Name of the JetStream stream that stores the domain events. */
export const EVENTS_STREAM_NAME = 'RN_EVENTS';

const TOKEN = /^[A-Za-z0-9_-]{1,128}$/;

/** A NATS subject token: no dots, wildcards or whitespace, so one id can never address another. */
export function assertSubjectToken(value: string, what: string): string {
  if (!TOKEN.test(value)) {
    throw new ContractsError(
      ContractsErrorCode.InvalidSubjectToken,
      `${what} "${value}" is not a valid subject token (letters, digits, "_" and "-", 1 to 128 characters)`,
      { details: { what, value } },
    );
  }
  return value;
}

/**
 * A console service answers a request here once it is ready: its read model caught up and its
 * handlers listening. `npm start` waits on it, in dependency order, before using the service.
 */
export function serviceHealthSubject(service: string): string {
  return `rn.health.${assertSubjectToken(service, 'service')}`;
}

/** What a ready service answers on its health subject. */
export interface ServiceHealth {
  service: string;
  ready: true;
  pid: number;
  /** The process's resident memory, bytes (shared by every service of the process in one-process mode). */
  rss: number;
}

/** Subject of one aggregate's events. */
export function aggregateSubject(
  aggregateType: string,
  aggregateId: string,
  root = EVENTS_SUBJECT_ROOT,
): string {
  return `${root}.${assertSubjectToken(aggregateType, 'aggregate type')}.${assertSubjectToken(aggregateId, 'aggregate id')}`;
}

/** Subject filter for every event of one aggregate type, or of all types. */
export function eventsFilter(aggregateType?: string, root = EVENTS_SUBJECT_ROOT): string {
  return aggregateType === undefined
    ? `${root}.>`
    : `${root}.${assertSubjectToken(aggregateType, 'aggregate type')}.*`;
}

/** Where a gateway reports to the registry. */
export const gatewayReportSubject = (gatewayId: string) => `rn.gateway.${gatewayId}.report`;

/** Where the console tells a gateway its settings changed, and where a gateway asks for them. */
export const gatewayControlSubject = (gatewayId: string) => `rn.gateway.${gatewayId}.control`;
export const gatewaySettingsSubject = (gatewayId: string) => `rn.gateway.${gatewayId}.settings`;

/** The JetStream stream that carries the gateways' access records to the console (limits-based). */
export const ACCESS_STREAM_NAME = 'RN_ACCESS';
/** Root of the access-log subjects: `rn.access.<orgId>.<gatewayId>`. */
export const ACCESS_SUBJECT_ROOT = 'rn.access';

/** Where a gateway publishes its access records: its org and its own id, nothing else (NATS permissions). */
export function accessLogSubject(orgId: string, gatewayId: string, root = ACCESS_SUBJECT_ROOT): string {
  return `${root}.${assertSubjectToken(orgId, 'org id')}.${assertSubjectToken(gatewayId, 'gateway id')}`;
}
