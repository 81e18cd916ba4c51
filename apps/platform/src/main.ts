import { resolve } from 'node:path';
import { ConfigError, loadPlatformConfig } from '@rustronaut/config';
import { ensureEventStream } from '@rustronaut/eventstore';
import { connectOrStartNats, ensureDatabase, type Reporter } from './infrastructure';
import { Supervisor, type ServiceSpec } from './supervisor';

const report: Reporter = {
  step: (m) => process.stdout.write(`• ${m}\n`),
  done: (m) => process.stdout.write(`  ✓ ${m}\n`),
  fail: (m) => process.stderr.write(`  ✗ ${m}\n`),
};

/** The console's processes, in start order; each is `dist/apps/<name>/src/main.js`. */
const SERVICES: string[] = [];

async function main(): Promise<void> {
  const config = loadPlatformConfig();
  const dataDir = resolve(process.env['RN_DATA_DIR'] ?? '.rustronaut');
  const { nc, embedded } = await connectOrStartNats(config, dataDir, report);
  await ensureDatabase(config, report);
  report.step(`events stream ${config.eventsStream}`);
  const stream = await ensureEventStream(await nc.jetstreamManager(), {
    name: config.eventsStream,
    replicas: config.eventsReplicas,
  });
  report.done(`stream ready: ${stream.state.messages} commits stored`);
  await nc.close();

  const services: ServiceSpec[] = SERVICES.map((name) => ({
    name,
    entry: resolve(__dirname, `../../${name}/src/main.js`),
  }));
  const supervisor = new Supervisor(services, {
    started: (name, pid) => report.done(`${name} started (pid ${pid})`),
    crashed: (name, code, signal, delay) =>
      report.fail(`${name} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`),
    output: (name, line) => process.stdout.write(`[${name}] ${line}\n`),
  });
  supervisor.start();

  if (services.length === 0 && !embedded) {
    process.stdout.write("\nThe platform's infrastructure is ready. No service is built yet to run.\n");
    return;
  }
  process.stdout.write('\nRunning. Press Ctrl-C to stop.\n');
  const shutdown = async (signal: string) => {
    process.stdout.write(`\n${signal}: stopping…\n`);
    await supervisor.stop();
    embedded?.kill('SIGTERM');
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`rustronaut could not start: ${(error as Error).message}\n`);
  }
  process.exit(1);
});
