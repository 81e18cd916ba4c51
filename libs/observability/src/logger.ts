import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** The JSON logger of a process; one per service, children per component. */
export function createLogger(service: string, level: string): Logger {
  return pino({ name: service, level, base: { service } });
}
