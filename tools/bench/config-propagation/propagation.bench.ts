/**
 * Config propagation: an API write (renaming a resource) until every gateway has applied the
 * snapshot carrying it, over a number of changes, with 1 and with 20 gateways (separate processes).
 * Beside it, the floor of the same path: a bare JetStream KV put until a KV watcher sees it.
 *
 *   npm run bench:propagation [-- --changes 200 --gateways 1,20 --json]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { connect } from 'nats';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';
import { freePort } from '@rustronaut/testing';

const { values: args } = parseArgs({
  options: {
    changes: { type: 'string', default: '200' },
    gateways: { type: 'string', default: '1,20' },
    json: { type: 'boolean', default: false },
  },
});
const CHANGES = Number(args.changes);
const FLEETS = String(args.gateways).split(',').map(Number);
const log = (line: string) => (args.json ? process.stderr : process.stdout).write(`${line}\n`);
const GATEWAY = join(__dirname, '../../../dist/apps/gateway/src/main.js');

interface Fleet {
  children: ChildProcess[];
  /** revision → how many gateways have applied it, and when the last one did. */
  applied: Map<number, { count: number; at: number }>;
  dirs: string[];
}

function percentile(sorted: number[], p: number): number {
  return +(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN).toFixed(1);
}

async function startFleet(size: number, siteId: string, platform: ConsoleHarness): Promise<Fleet> {
  const fleet: Fleet = { children: [], applied: new Map(), dirs: [] };
  for (let i = 0; i < size; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'rn-bench-gw-'));
    fleet.dirs.push(dir);
    const child = spawn(
      process.execPath,
      [
        GATEWAY,
        '--sites',
        siteId,
        '--nats',
        platform.nats.url,
        '--console',
        platform.url,
        '--data-dir',
        dir,
        '--management-port',
        String(await freePort()),
        '--http-port',
        String(await freePort()),
        '--https-port',
        String(await freePort()),
        '--gateway-id',
        `gw_bench_${i}`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, RN_LOG_LEVEL: 'info' } },
    );
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      const now = performance.now();
      buffered += chunk.toString();
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (!line.includes('applied a new snapshot')) continue;
        const revision = (JSON.parse(line) as { revision: number }).revision;
        const entry = fleet.applied.get(revision) ?? { count: 0, at: 0 };
        fleet.applied.set(revision, { count: entry.count + 1, at: now });
      }
    });
    fleet.children.push(child);
  }
  return fleet;
}

async function waitApplied(
  fleet: Fleet,
  size: number,
  revision: number,
  timeoutMs = 10_000,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    // A gateway that skipped straight to a newer revision has this change too.
    const newer = [...fleet.applied].filter(([r]) => r >= revision).map(([, e]) => e);
    const reached = Math.max(0, ...newer.map((e) => e.count));
    const last = Math.max(0, ...newer.map((e) => e.at));
    if (reached >= size) return last;
    if (performance.now() > deadline)
      throw new Error(`revision ${revision} reached ${reached}/${size} gateways in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

async function main(): Promise<void> {
  log('starting the console (identity, audit, policy, config-distributor, api)…');
  const platform = await ConsoleHarness.start({ RN_LOG_LEVEL: 'warn' });
  const rows: Record<string, unknown>[] = [];
  try {
    const token = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    const site = (
      await call(platform.url, 'POST', '/sites', {
        token,
        body: { name: 'Bench', subnet: '10.99.0.0/24', region: 'eu', connection_type: 'local' },
      })
    ).body;
    const resource = (
      await call(platform.url, 'POST', '/resources', {
        token,
        body: { site_id: site.id, name: 'r0', protocol: 'http', domains: ['bench.example.com'] },
      })
    ).body;

    for (const size of FLEETS) {
      log(`${size} gateway(s): starting…`);
      const fleet = await startFleet(size, site.id, platform);
      await waitApplied(fleet, size, resource.version, 30_000);
      const latencies: number[] = [];
      for (let i = 0; i < CHANGES; i++) {
        const t0 = performance.now();
        const changed = await call(platform.url, 'PATCH', `/resources/${resource.id}`, {
          token,
          body: { name: `r${size}-${i}` },
        });
        if (changed.status !== 200) throw new Error(`change ${i} failed: ${changed.status}`);
        latencies.push((await waitApplied(fleet, size, changed.body.version)) - t0);
        if ((i + 1) % 50 === 0) log(`  ${i + 1}/${CHANGES} changes`);
      }
      latencies.sort((a, b) => a - b);
      rows.push({
        target: 'rustronaut (API write → all gateways applied)',
        gateways: size,
        changes: CHANGES,
        p50_ms: percentile(latencies, 50),
        p99_ms: percentile(latencies, 99),
        max_ms: percentile(latencies, 100),
      });
      for (const child of fleet.children) child.kill('SIGTERM');
      for (const dir of fleet.dirs) rmSync(dir, { recursive: true, force: true });
    }

    // The floor: a bare KV put seen by a KV watcher, on the same NATS.
    const nc = await connect({ servers: platform.nats.url });
    const kv = await nc.jetstream().views.kv('BENCH_FLOOR', { history: 1 });
    const seen = new Map<number, number>();
    const watch = await kv.watch({ key: 'k' });
    void (async () => {
      for await (const e of watch) seen.set(Number(e.string()), performance.now());
    })();
    const floor: number[] = [];
    for (let i = 1; i <= CHANGES; i++) {
      const t0 = performance.now();
      await kv.put('k', String(i));
      while (!seen.has(i)) await new Promise((r) => setImmediate(r));
      floor.push(seen.get(i)! - t0);
    }
    watch.stop();
    await (await nc.jetstreamManager()).streams.delete('KV_BENCH_FLOOR');
    await nc.close();
    floor.sort((a, b) => a - b);
    rows.push({
      target: 'bare JetStream KV put → watcher',
      gateways: 1,
      changes: CHANGES,
      p50_ms: percentile(floor, 50),
      p99_ms: percentile(floor, 99),
      max_ms: percentile(floor, 100),
    });
  } finally {
    await platform.stop();
  }
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ rows }, null, 2)}\n`);
    return;
  }
  log('');
  log('| path | gateways | changes | p50 ms | p99 ms | max ms |');
  log('|---|---|---|---|---|---|');
  for (const r of rows)
    log(
      `| ${r['target']} | ${r['gateways']} | ${r['changes']} | ${r['p50_ms']} | ${r['p99_ms']} | ${r['max_ms']} |`,
    );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
