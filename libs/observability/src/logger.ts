import { destination as fileDestination, pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * The JSON logger of a service; children per component. Lines go to stdout, or to `destination`
 * (the launcher of the one-process console formats its services' lines for a person).
 *
 * Stdout is written synchronously, line by line, as Node.js writes its own stdout to a pipe. Not
 * pino's default (writes queued, flushed at exit): that flush retries a failed write every 100 ms
 * in a futex wait and gives up only on EAGAIN, so with the reader gone (the launcher killed, EPIPE)
 * process.exit() never returned and nothing else of the process ran again, its SIGTERM handler
 * included (an orphaned gateway). Written at once, a write to a gone reader fails once and pino
 * stops writing.
 */
export function createLogger(service: string, level: string, destination?: DestinationStream): Logger {
  const options = { name: service, level, base: { service } };
  return pino(options, destination ?? fileDestination({ dest: 1, sync: true }));
}
