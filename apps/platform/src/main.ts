import { resolve } from 'node:path';
import { ConfigError, loadConsoleConfig } from '@rustronaut/config';
import { ensureAccessStream, ensureEventStream } from '@rustronaut/eventstore';
import { connectOrStartNats, ensureDatabase, ensureRedis, type Reporter } from './infrastructure';
import { migrateAll } from './migrate';
import { localGateway } from './local-gateway';
import { Supervisor, type ServiceSpec } from './supervisor';

const report: Reporter = {
  step: (m) => process.stdout.write(`• ${m}\n`),
  done: (m) => process.stdout.write(`  ✓ ${m}\n`),
  fail: (m) => process.stderr.write(`  ✗ ${m}\n`),
};

/** The console's processes, in start order; each is `dist/apps/<name>/src/main.js`. */
const SERVICES = ['identity', 'audit', 'policy', 'config-distributor', 'gateway-registry', 'api'] as const;

async function main(): Promise<void> {
  const config = loadConsoleConfig();
  const dataDir = resolve(process.env['RN_DATA_DIR'] ?? '.rustronaut');
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
  await nc.close();

  const natsUrl = embedded
    ? `nats://127.0.0.1:${new URL(config.natsServers[0] ?? 'nats://127.0.0.1:4222').port || 4222}`
    : undefined;
  const services: ServiceSpec[] = SERVICES.map((name) => ({
    name,
    entry: resolve(__dirname, `../../${name}/src/main.js`),
    env: natsUrl ? { RN_NATS_URL: natsUrl } : {},
  }));
  report.step('services');
  const supervisor = new Supervisor(services, {
    started: (name, pid) => report.done(`${name} started (pid ${pid})`),
    crashed: (name, code, signal, delay) =>
      report.fail(`${name} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`),
    output: (name, line) => printServiceLine(name, line),
  });
  supervisor.start();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping every service…\n`);
    await supervisor.stop();
    embedded?.kill('SIGTERM');
    process.stdout.write('stopped.\n');
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  await waitForApi(`${config.api.publicUrl}/api/v1/health`);
  report.step('local gateway');
  try {
    const gateway = await localGateway(config, dataDir, natsUrl);
    supervisor.add(gateway.spec);
    report.done(`gateway serving site ${gateway.siteId}; ${gateway.listening}`);
  } catch (error) {
    report.fail(`no local gateway: ${(error as Error).message}`);
  }
  const email = config.admin.email ?? 'admin@rustronaut.local';
  process.stdout.write(
    [
      '',
      `Rustronaut console is up: ${config.api.publicUrl}/api/v1  (docs: ${config.api.publicUrl}/api/docs)`,
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
    const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
    const level = entry.level ?? 30;
    if (level < 30 && !process.env['RN_VERBOSE']) return;
    const tag = level >= 50 ? 'error' : level >= 40 ? 'warn' : 'info';
    process.stdout.write(
      `[${name}] ${tag}: ${entry.msg ?? ''}${entry.err?.message ? ` (${entry.err.message})` : ''}\n`,
    );
  } catch {
    process.stdout.write(`[${name}] ${line}\n`);
  }
}

async function waitForApi(url: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  report.fail(`the API did not answer at ${url} within 30 s; see the service output above`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    error instanceof ConfigError
      ? `${error.message}\n`
      : `rustronaut could not start: ${(error as Error).message}\n`,
  );
  process.exit(1);
});
