import { resolve } from 'node:path';
import { ConfigError, loadConsoleConfig } from '@rustronaut/config';
import { startConsoleServices, type RunningConsoleServices } from '@rustronaut/console-service';
import { ensureAccessStream, ensureEventStream } from '@rustronaut/eventstore';
import { startTracing } from '@rustronaut/observability';
import { connectOrStartNats, ensureDatabase, ensureRedis, type Reporter } from './infrastructure';
import { migrateAll } from './migrate';
import { PLATFORM_NODE_OPTIONS } from './node-options';
import { localGateway, withLocalGatewayCa } from './local-gateway';
import { CONSOLE_SERVICES, loadServiceDefinition, serviceEntry } from './console-services';
import { untilHealthy, untilServes } from './readiness';
import { Supervisor } from './supervisor';

const report: Reporter = {
  step: (m) => process.stdout.write(`• ${m}\n`),
  done: (m) => process.stdout.write(`  ✓ ${m}\n`),
  fail: (m) => process.stderr.write(`  ✗ ${m}\n`),
};

async function main(): Promise<void> {
  const dataDir = resolve(process.env['RN_DATA_DIR'] ?? '.rustronaut');
  const config = withLocalGatewayCa(loadConsoleConfig(), dataDir);
  const { nc, embedded } = await connectOrStartNats(config, dataDir, report);
  await ensureDatabase(config, report);
  await ensureRedis(config, report);
  report.step('migrations');
  await migrateAll(config, report.done);
  report.step(`events stream ${config.eventsStream}`);
  const stream = await ensureEventStream(await nc.jetstreamManager(), {
    name: config.eventsStream,
    replicas: config.eventsReplicas,
  });
  report.done(`stream ready: ${stream.state.messages} commits stored`);
  // The gateways' access records (the audit service makes it too, if it starts first).
  report.step('access-log stream');
  const access = await ensureAccessStream(await nc.jetstreamManager(), { replicas: config.eventsReplicas });
  report.done(`stream ready: ${access.state.messages} batches waiting or kept`);

  const natsUrl = embedded
    ? `nats://127.0.0.1:${new URL(config.natsServers[0] ?? 'nats://127.0.0.1:4222').port || 4222}`
    : undefined;
  const env = {
    ...(natsUrl ? { RN_NATS_URL: natsUrl } : {}),
    ...(config.exposure.developmentCaFile ? { RN_EDGE_CA_FILE: config.exposure.developmentCaFile } : {}),
  };
  const supervisor = new Supervisor([], {
    started: (name, pid) => report.done(`${name} process started (pid ${pid})`),
    crashed: (name, code, signal, delay) =>
      report.fail(`${name} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`),
    output: (name, line) => printServiceLine(name, line),
  });
  let inProcess: RunningConsoleServices | undefined;
  let tracing: { shutdown(): Promise<void> } | undefined;
  let stopping = false;
  const shutdown = async (signal: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping every service…\n`);
    await supervisor.stop();
    const clean = (await inProcess?.close()) ?? true;
    await tracing?.shutdown().catch(() => undefined);
    embedded?.kill('SIGTERM');
    process.stdout.write('stopped.\n');
    process.exit(clean ? code : 1);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  // The terminal closed: stop everything, as Ctrl-C does. (Left to the default, this process would
  // die at once, and the gateway, which takes SIGHUP as "reload", would stay behind.)
  process.once('SIGHUP', () => void shutdown('SIGHUP'));
  // With the services in this process, a fault in one ends them all: say so, and stop the gateway
  // too rather than leave it behind holding its ports (a supervisor such as systemd restarts us).
  const fault = (error: unknown) => {
    report.fail(`stopping after an unexpected error: ${(error as Error).stack ?? String(error)}`);
    void shutdown('fault', 1);
  };
  process.on('uncaughtException', fault);
  process.on('unhandledRejection', fault);

  try {
    if (config.processes === 'one') {
      // Every service in this process: each keeps its Nest module, subjects, consumers and read model.
      report.step('console services, in this process (RN_CONSOLE_PROCESSES=per-service: a process each)');
      tracing = startTracing('console', config.tracing);
      inProcess = await startConsoleServices(
        natsUrl ? { ...config, natsServers: [natsUrl] } : config,
        CONSOLE_SERVICES.map(loadServiceDefinition),
        {
          processName: 'console',
          log: (line) => printServiceLine('console', line.trimEnd()),
          starting: (name) => report.step(`${name}…`),
        },
      );
    } else {
      report.step('console services, a process each (RN_CONSOLE_PROCESSES=per-service)');
    }
    // Dependency order: each service answers on its health subject (over NATS) before the next starts.
    for (const service of CONSOLE_SERVICES) {
      const since = Date.now();
      if (!inProcess)
        supervisor.add({
          name: service,
          entry: serviceEntry(service),
          env,
          nodeOptions: PLATFORM_NODE_OPTIONS,
        });
      await untilHealthy(nc, service, report);
      report.done(`${service} ready (${((Date.now() - since) / 1000).toFixed(1)} s)`);
    }
    await untilServes(`${config.api.publicUrl}/api/v1/health`, report);
  } catch (error) {
    report.fail((error as Error).message);
    await shutdown('not ready', 1);
    return;
  }
  report.step('local gateway');
  try {
    const gateway = await localGateway(config, dataDir, natsUrl, report);
    supervisor.add(gateway.spec);
    await untilServes(gateway.healthUrl, report);
    report.done(`gateway serving site ${gateway.siteId}; ${gateway.listening}`);
  } catch (error) {
    report.fail(`no local gateway: ${(error as Error).message}`);
  }
  await nc.close();
  const email = config.admin.email ?? 'admin@rustronaut.local';
  process.stdout.write(
    [
      '',
      `Rustronaut console is up: ${config.api.publicUrl}/api/v1  (docs: ${config.api.publicUrl}/api/docs)`,
      ...(config.admin.setup === 'console'
        ? [`First run: open ${config.api.publicUrl}/ to create the administrator (until someone has).`]
        : []),
      'Log in:',
      `  curl -s ${config.api.publicUrl}/api/v1/auth/login -H 'content-type: application/json' \\`,
      `       -d '{"email":"${email}","password":"${config.admin.password ? '<RN_ADMIN_PASSWORD>' : '<the password printed by identity on first start>'}"}'`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}

/** Service logs are JSON (pino); show the level and message, plus the rest when it matters. */
function printServiceLine(name: string, line: string): void {
  try {
    const entry = JSON.parse(line) as {
      level?: number;
      msg?: string;
      service?: string;
      err?: { message?: string };
    };
    const level = entry.level ?? 30;
    if (level < 30 && !process.env['RN_VERBOSE']) return;
    const tag = level >= 50 ? 'error' : level >= 40 ? 'warn' : 'info';
    process.stdout.write(
      `[${entry.service ?? name}] ${tag}: ${entry.msg ?? ''}${entry.err?.message ? ` (${entry.err.message})` : ''}\n`,
    );
  } catch {
    process.stdout.write(`[${name}] ${line}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    error instanceof ConfigError
      ? `${error.message}\n`
      : `rustronaut could not start: ${(error as Error).message}\n`,
  );
  process.exit(1);
});
