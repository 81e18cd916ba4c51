import { spawn, type ChildProcess } from 'node:child_process';
import { PlatformProcess } from '@rustronaut/console-testing';
import { TestNatsServer, freePort } from '@rustronaut/testing';

/**
 * `npm start` against a three-node NATS cluster (RN_NATS_URL with three servers, RN_EVENTS_REPLICAS=3):
 * every service answers before it is used, so a first start ends with its local gateway serving —
 * with the console in one process, and a process per service while the machine is busy.
 */
jest.setTimeout(300_000);

/** The console's services in their dependency order, as the launcher must wait for them. */
const SERVICES = ['identity', 'audit', 'policy', 'config-distributor', 'gateway-registry', 'api'];

async function startCluster(): Promise<TestNatsServer[]> {
  const routes = [await freePort(), await freePort(), await freePort()];
  const all = routes.map((p) => `nats://127.0.0.1:${p}`).join(',');
  const servers: TestNatsServer[] = [];
  for (const [i, port] of routes.entries())
    servers.push(
      await TestNatsServer.start({
        extraArgs: [
          '-n',
          `rn-e2e-${i}`,
          '--cluster_name',
          'rn-e2e',
          '--cluster',
          `nats://127.0.0.1:${port}`,
          '--routes',
          all,
        ],
      }),
    );
  return servers;
}

/** Busy loops on every core, for at most `ms`: a loaded machine. */
function burnCpu(count: number, ms: number): ChildProcess[] {
  return Array.from({ length: count }, () =>
    spawn(process.execPath, ['-e', `const end = Date.now() + ${ms}; while (Date.now() < end) {}`], {
      stdio: 'ignore',
    }),
  );
}

describe('npm start on a three-node NATS cluster', () => {
  let cluster: TestNatsServer[] = [];
  let platform: PlatformProcess | undefined;
  let burners: ChildProcess[] = [];

  afterEach(async () => {
    for (const b of burners) b.kill('SIGKILL');
    burners = [];
    await platform?.stop();
    platform = undefined;
    await Promise.all(cluster.map((s) => s.dispose()));
    cluster = [];
  });

  const startAndCheck = async (env: NodeJS.ProcessEnv) => {
    cluster = await startCluster();
    platform = await PlatformProcess.start({
      natsUrl: cluster.map((s) => s.url).join(','),
      env: { RN_EVENTS_REPLICAS: '3', ...env },
    });
    const out = platform.output;
    expect(out).not.toContain('no local gateway');
    // Each service was waited for, in dependency order, before the next was used.
    const order = SERVICES.map((s) => out.indexOf(`${s} ready`));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(out).toMatch(/gateway serving site st_/);
    const health = await fetch(`http://127.0.0.1:${platform.gateway.managementPort}/healthz`);
    expect(health.status).toBe(200);
  };

  it('brings the local gateway up with every console service in one process', async () => {
    await startAndCheck({ RN_CONSOLE_PROCESSES: 'one' });
    const roles = platform!.processes().map((p) => p.role);
    // The launcher with the console in it, and the gateway (its primary and a worker per core).
    expect(roles.filter((role) => role === 'platform')).toHaveLength(1);
    expect(roles.filter((role) => role !== 'platform' && role !== 'gateway')).toEqual([]);
  });

  it('brings the local gateway up with a process per service while every core is busy', async () => {
    burners = burnCpu(2, 120_000);
    await startAndCheck({ RN_CONSOLE_PROCESSES: 'per-service' });
    expect(platform!.processes().map((p) => p.role)).toEqual(
      expect.arrayContaining([...SERVICES, 'gateway']),
    );
  });
});
