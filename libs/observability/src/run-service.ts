import { ConfigError, loadConsoleConfig, type ConsoleConfig } from '@rustronaut/config';
import { createLogger, type Logger } from './logger';
import { startTracing } from './tracing';

/**
 * The life of a console service process: validated config (a bad variable stops it with the
 * variable's name), logger, tracing, start; SIGTERM or SIGINT closes it cleanly.
 */
export function runService(
  name: string,
  start: (config: ConsoleConfig, logger: Logger) => Promise<{ close(): Promise<void> }>,
): void {
  let config: ConsoleConfig;
  try {
    config = loadConsoleConfig();
  } catch (error) {
    process.stderr.write(`${name}: ${(error as Error).message}\n`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
  const logger = createLogger(name, config.logLevel);
  const tracing = startTracing(name, config.tracing);
  start(config, logger).then(
    (service) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'stopping');
        service
          .close()
          .then(() => tracing.shutdown())
          .then(
            () => process.exit(0),
            (error: unknown) => {
              logger.error({ err: error }, 'could not stop cleanly');
              process.exit(1);
            },
          );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    },
    (error: unknown) => {
      logger.fatal({ err: error }, `${name} could not start: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}
