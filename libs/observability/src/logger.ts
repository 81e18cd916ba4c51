import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * The JSON logger of a service; children per component. Lines go to stdout, or to `destination`
 * (the launcher of the one-process console formats its services' lines for a person).
 */
export function createLogger(service: string, level: string, destination?: DestinationStream): Logger {
  const options = { name: service, level, base: { service } };
  return destination ? pino(options, destination) : pino(options);
}
