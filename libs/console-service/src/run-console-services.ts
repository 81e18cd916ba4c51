import type { NatsConnection } from 'nats';
import { ConfigError, loadConsoleConfig, type ConsoleConfig } from '@rustronaut/config';
import { serviceHealthSubject, type ServiceHealth } from '@rustronaut/contracts';
import { connectNats } from '@rustronaut/messaging';
import { createLogger, startTracing, type Logger } from '@rustronaut/observability';

/** A console service as its process runs it: a name (its logs, health subject) and how it starts. */
export interface ConsoleServiceDefinition {
  name: string;
  start(config: ConsoleConfig, logger: Logger): Promise<{ close(): Promise<void> }>;
}

export interface RunningConsoleServices {
  /** Closes the services in reverse order of their start; resolves false if one did not close cleanly. */
  close(): Promise<boolean>;
}

/**
 * Starts console services one after the other, in the given order, each with a logger of its own
 * (`log` receives its JSON lines, stdout by default). Once a service has started (its read model
 * caught up, its handlers listening) it answers on its health subject. If one cannot start, those
 * already started are closed and the error is thrown.
 */
export async function startConsoleServices(
  config: ConsoleConfig,
  services: ConsoleServiceDefinition[],
  options: { processName: string; log?: (line: string) => void; starting?: (service: string) => void },
): Promise<RunningConsoleServices> {
  const destination = options.log ? { write: options.log } : undefined;
  const health: NatsConnection = await connectNats(config, `${options.processName}-health`);
  const running: { name: string; logger: Logger; close(): Promise<void> }[] = [];
  const close = async () => {
    let clean = true;
    await health.drain().catch(() => undefined);
    for (const service of [...running].reverse()) {
      try {
        await service.close();
      } catch (error) {
        clean = false;
        service.logger.error({ err: error }, 'could not stop cleanly');
      }
    }
    return clean;
  };
  for (const definition of services) {
    options.starting?.(definition.name);
    const logger = createLogger(definition.name, config.logLevel, destination);
    // A start that hangs (a lock, a server that does not answer) is said, not waited out in silence.
    const startedAt = Date.now();
    const slow = setInterval(
      () => logger.warn({ waitedMs: Date.now() - startedAt }, `${definition.name} is still starting`),
      30_000,
    );
    slow.unref();
    try {
      const service = await definition.start(config, logger);
      running.push({ name: definition.name, logger, close: () => service.close() });
    } catch (error) {
      logger.fatal({ err: error }, `${definition.name} could not start: ${(error as Error).message}`);
      await close();
      throw new Error(`${definition.name} could not start: ${(error as Error).message}`, { cause: error });
    } finally {
      clearInterval(slow);
    }
    answerHealth(health, definition.name);
  }
  return { close };
}

/**
 * The life of a console process of its own (one service, as a deployment over several machines
 * runs it): validated config (a bad variable stops it, naming the variable), tracing, the service;
 * SIGTERM or SIGINT closes it cleanly. A service that cannot start ends the process (code 1).
 */
export function runConsoleServices(processName: string, services: ConsoleServiceDefinition[]): void {
  let config: ConsoleConfig;
  try {
    config = loadConsoleConfig();
  } catch (error) {
    process.stderr.write(`${processName}: ${(error as Error).message}\n`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
  const tracing = startTracing(processName, config.tracing);
  const logger = createLogger(processName, config.logLevel);
  let running: RunningConsoleServices | undefined;
  let stopping = false;
  const stop = async (signal: string, code: number) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    const clean = (await running?.close()) ?? true;
    await tracing.shutdown().catch(() => undefined);
    process.exit(clean ? code : 1);
  };
  process.once('SIGTERM', () => void stop('SIGTERM', 0));
  process.once('SIGINT', () => void stop('SIGINT', 0));
  startConsoleServices(config, services, { processName }).then(
    (started) => {
      running = started;
      if (stopping) void started.close();
    },
    (error: unknown) => {
      logger.fatal({ err: error }, (error as Error).message);
      void stop('start failed', 1);
    },
  );
}

function answerHealth(nc: NatsConnection, service: string): void {
  nc.subscribe(serviceHealthSubject(service), {
    callback: (_error, message) => {
      const answer: ServiceHealth = {
        service,
        ready: true,
        pid: process.pid,
        rss: process.memoryUsage.rss(),
      };
      message.respond(JSON.stringify(answer));
    },
  });
}
