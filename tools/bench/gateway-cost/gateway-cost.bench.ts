/**
 * What one proxied request costs the gateway as it ships, in instructions (callgrind), beside a bare
 * `node:http` proxy on the same machine; and the gateway's resident memory at rest. Instruction
 * counts do not depend on the load of the machine, so figures from a busy box compare.
 *
 *   npm run bench:gateway-cost [-- --targets gateway,bare --warmup 3000 --requests 2000 --json]
 *   npm run bench:gateway-cost -- --targets gateway,gateway-auth    # the authenticated path beside the plain one
 *   npm run bench:gateway-cost -- --targets gateway --cpu-prof 10   # attribution: self time by file
 *   npm run bench:gateway-cost -- --rss [--settle 10] [--restart]     # RSS at rest only (of a second start)
 *   … --node-options "--max-semi-space-size=4"                         # other Node options than npm start's
 *
 * The gateway is `dist/apps/gateway/src/main.js` started as `npm start` starts it (the same Node
 * options), with one public HTTP resource from a signed snapshot on disk (the fixed-snapshot start
 * of `production-candidate.ts`) and its access records shipped to a private NATS JetStream server.
 * Run under `valgrind --tool=callgrind` with instrumentation off; after `--warmup` keep-alive 1 KiB
 * requests over `--connections` connections, instrumentation is switched on for an idle window (what
 * the process spends with no requests: timers, NATS pings) and then for `--requests` requests plus
 * the same idle window (the last batch of access records ships). `gateway-auth` is the same gateway
 * with the resource requiring authentication: it trusts a token issuer (HS256, as the peer harness's
 * tokens) with a policy admitting its sub, and every request carries `Authorization: Bearer <JWT>`. Per request = (requests window −
 * idle rate × its duration) / requests; the raw figure is printed too. JIT compiling and GC that fall
 * in the window are counted (a longer warm-up lowers them). Needs valgrind and nats-server; build first.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from 'nats';
import { PolicyDataSchema, ResourceDataSchema, signSnapshot, type SiteSnapshot } from '@rustronaut/contracts';
import { ensureAccessStream } from '@rustronaut/eventstore';
import { TestNatsServer, freePort } from '@rustronaut/testing';
import { PLATFORM_NODE_OPTIONS } from '../../../apps/platform/src/node-options';

const { values: args } = parseArgs({
  options: {
    targets: { type: 'string', default: 'gateway,bare' },
    warmup: { type: 'string', default: '3000' },
    requests: { type: 'string', default: '2000' },
    connections: { type: 'string', default: '8' },
    // Longer than the periodic work with no requests (a config watcher's 30 s resync), so it is subtracted.
    idle: { type: 'string', default: '35' },
    settle: { type: 'string', default: '5' },
    'cpu-prof': { type: 'string' },
    rss: { type: 'boolean', default: false },
    restart: { type: 'boolean', default: false },
    'node-options': { type: 'string' },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const WARMUP = Number(args.warmup);
const REQUESTS = Number(args.requests);
const CONNECTIONS = Number(args.connections);
const IDLE_S = Number(args.idle);
const SETTLE_S = Number(args.settle);
/**
 * The gateway's Node options: npm start's (the supervisor's, without source maps for the gateway)
 * unless --node-options says otherwise.
 */
const NODE_OPTIONS =
  args['node-options'] !== undefined
    ? args['node-options'].split(' ').filter(Boolean)
    : PLATFORM_NODE_OPTIONS;
const ROOT = resolve(__dirname, '../../..');
const GATEWAY = join(ROOT, 'dist/apps/gateway/src/main.js');
const BODY = Buffer.alloc(1024, 'x');
const log = (line: string) => (args.json ? process.stderr : process.stdout).write(`${line}\n`);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The bare proxy compared with: `http.request` + `pipe` through a keep-alive agent, nothing else. */
const BARE_PROXY = `
const http = require('node:http');
const [port, target] = [Number(process.env.PORT), new URL('http://' + process.env.TARGET)];
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
http.createServer((req, res) => {
  const up = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers, agent }, (r) => {
    res.writeHead(r.statusCode, r.headers);
    r.pipe(res);
  });
  up.on('error', () => { res.statusCode = 502; res.end(); });
  req.pipe(up);
}).listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

/** `gateway-auth`: the HS256 key of the trusted issuer, and the bearer token every request carries. */
const ISSUER_KEY = randomBytes(32);
const AUTH_HEADERS = (() => {
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iss: 'bench', aud: 'gateway', sub: 'bench-user', iat: now, exp: now + 86_400 })}`;
  return {
    authorization: `Bearer ${input}.${createHmac('sha256', ISSUER_KEY).update(input).digest('base64url')}`,
  };
})();
const headersOf = (name: string) => (name === 'gateway-auth' ? AUTH_HEADERS : {});

/** A NATS JetStream server of its own, with the console's access stream the gateway ships to. */
async function startNats(): Promise<TestNatsServer> {
  const nats = await TestNatsServer.start();
  const nc = await connect({ servers: nats.url });
  await ensureAccessStream(await nc.jetstreamManager());
  await nc.close();
  return nats;
}

/**
 * A gateway data directory after its first start: the console's key and one signed snapshot; with
 * `authenticated`, its resource requires authentication and trusts the issuer of AUTH_HEADERS.
 */
function gatewayDataDir(dir: string, upstream: string, authenticated = false): string {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const key = {
    id: 'ck_cost',
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
  const siteId = 'st_cost';
  const snapshot: SiteSnapshot = {
    format: 1,
    siteId,
    orgId: 'org_cost',
    revision: 1,
    issuedAt: new Date().toISOString(),
    site: { name: siteId, subnet: '127.0.0.0/8', region: 'local', connectionType: 'local' },
    resources: [
      {
        ...ResourceDataSchema.parse({
          siteId,
          name: 'cost',
          protocol: 'http',
          domains: ['127.0.0.1', 'localhost'],
          authRequired: authenticated,
        }),
        id: 'res_cost',
        targets: [
          { id: 'tgt_cost', address: upstream, protocol: 'http', weight: 1, region: null, healthCheck: null },
        ],
        ...(authenticated
          ? {
              tokenIssuers: [
                {
                  id: 'tis_cost',
                  name: 'bench',
                  issuer: 'bench',
                  audience: 'gateway',
                  algorithms: ['HS256'],
                  keys: [{ kty: 'oct', k: ISSUER_KEY.toString('base64url') }],
                },
              ],
            }
          : {}),
      } as SiteSnapshot['resources'][number],
    ],
    policies: authenticated
      ? [
          {
            ...PolicyDataSchema.parse({
              name: 'bench service',
              effect: 'allow',
              subjects: { tokens: [{ issuerId: 'tis_cost', subs: ['bench-user'] }] },
            }),
            id: 'pol_cost',
          },
        ]
      : [],
    groups: {},
    jwks: [],
  };
  mkdirSync(join(dir, 'sites'), { recursive: true });
  writeFileSync(join(dir, 'config-keys.json'), JSON.stringify({ [key.id]: key.publicKey }), { mode: 0o600 });
  writeFileSync(join(dir, 'sites', `${siteId}.json`), JSON.stringify(signSnapshot(snapshot, key)));
  return dir;
}

interface Target {
  name: string;
  port: number;
  child: ChildProcess;
}

/** Starts a target: the node command line, under callgrind (instrumentation off) unless profiling. */
async function startTarget(
  name: string,
  work: string,
  upstream: string,
  natsUrl: string,
  wrap: (nodeArgs: string[]) => string[],
): Promise<Target> {
  const port = await freePort();
  const nodeArgs =
    name === 'bare'
      ? ['-e', BARE_PROXY]
      : [
          ...NODE_OPTIONS,
          GATEWAY,
          '--sites',
          'st_cost',
          '--data-dir',
          gatewayDataDir(join(work, name), upstream, name === 'gateway-auth'),
          '--nats',
          natsUrl,
          '--gateway-id',
          'gw_cost',
          '--no-wireguard',
        ];
  const argv = wrap(nodeArgs);
  const child = spawn(argv[0]!, argv.slice(1), {
    // Its stdout (the gateway's log, V8 traces given by --node-options) is kept in the work directory.
    stdio: ['ignore', openSync(join(work, `${name}.stdout`), 'a'), 'pipe'],
    env: {
      ...process.env,
      PORT: String(port),
      TARGET: upstream,
      // One process: callgrind counts the process it runs (its children, the data-plane workers of
      // the default, would go uncounted), and the cost per request is one process's either way.
      RN_GATEWAY_WORKERS: '1',
      RN_GATEWAY_HTTP_HOST: '127.0.0.1',
      RN_GATEWAY_HTTP_PORT: String(port),
      RN_GATEWAY_HTTPS_PORT: String(await freePort()),
      RN_GATEWAY_MANAGEMENT_PORT: String(await freePort()),
    },
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  child.once('exit', (code) => {
    if (code !== 0 && code !== null) log(`${name} exited (${code}): ${stderr}`);
  });
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited before answering: ${stderr}`);
    try {
      const status = await new Promise<number>((done, fail) =>
        request({ host: '127.0.0.1', port, path: '/', headers: headersOf(name) }, (res) => {
          res.resume();
          done(res.statusCode ?? 0);
        })
          .once('error', fail)
          .end(),
      );
      if (status === 200) return { name, port, child };
      if (i % 20 === 19) log(`${name}: still answering ${status}`);
    } catch {
      // not listening yet
    }
    if (i > 3600) throw new Error(`${name} did not answer 200 within 30 minutes`);
    await pause(500);
  }
}

/** `count` keep-alive GETs of 1 KiB over `connections` connections; returns how many were not 200. */
async function load(port: number, count: number, headers: Record<string, string> = {}): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  let next = 0;
  let failed = 0;
  const one = () =>
    new Promise<void>((done) =>
      request({ host: '127.0.0.1', port, path: '/bench', agent, headers }, (res) => {
        res.resume();
        res.once('end', () => {
          if (res.statusCode !== 200) failed++;
          done();
        });
      })
        .once('error', () => {
          failed++;
          done();
        })
        .end(),
    );
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next++ < count) await one();
    }),
  );
  agent.destroy();
  if (failed > 0) log(`  ${failed} of ${count} requests were not answered 200`);
  return failed;
}

function callgrind(pid: number, ...options: string[]): void {
  const result = spawnSync('callgrind_control', [...options, String(pid)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`callgrind_control ${options.join(' ')}: ${result.stderr}`);
}

/** Dumps the counters since the last dump: the instructions they hold, and the dump's path. */
function dump(dir: string, pid: number): { total: number; file: string } {
  const before = new Set(readdirSync(dir));
  callgrind(pid, '--dump');
  const file = readdirSync(dir).find((f) => !before.has(f) && f.startsWith(`callgrind.out.${pid}`));
  if (!file) throw new Error('callgrind wrote no dump');
  const text = readFileSync(join(dir, file), 'utf8');
  const total = /^(?:summary|totals): (\d+)/m.exec(text);
  if (!total) throw new Error(`no totals in ${file}`);
  return { total: Number(total[1]), file: join(dir, file) };
}

/**
 * What of a dump is not the request path itself, by the inclusive cost of V8's and Node's entry
 * points: TurboFan compiling (its background jobs), garbage collection on the main thread, and
 * error stacks captured and formatted (with --enable-source-maps, formatting maps every frame).
 * Each entry point counts once (its largest line: overloads call each other).
 */
const OVERHEADS: Record<string, RegExp[]> = {
  turbofan: [/OptimizingCompileDispatcher::CompileTask::RunInternal\(\)/],
  gc: [/v8::internal::Heap::CollectGarbage\(/],
  errorStacks: [/ErrorUtils::Construct\(/, /Accessors::ErrorStackGetter\(/],
};

function overheads(file: string): Record<string, number> {
  const lines = spawnSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', file], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  }).stdout.split('\n');
  const largest = (pattern: RegExp) =>
    Math.max(
      0,
      ...lines
        .filter((line) => pattern.test(line))
        .map((line) => Number(/^\s*([\d,]+) \(/.exec(line)?.[1]?.replace(/,/g, '') ?? 0)),
    );
  return Object.fromEntries(
    Object.entries(OVERHEADS).map(([name, patterns]) => [
      name,
      patterns.reduce((sum, pattern) => sum + largest(pattern), 0),
    ]),
  );
}

interface Cost {
  target: string;
  perRequest: number;
  perRequestRaw: number;
  idlePerSecond: number;
  windowSeconds: number;
  /** Per request, of the raw figure: TurboFan compiling, GC and error stacks that fell in the window. */
  overheads: Record<string, number>;
}

async function measureCost(name: string, work: string, upstream: string, natsUrl: string): Promise<Cost> {
  const dir = join(work, `callgrind-${name}`);
  mkdirSync(dir, { recursive: true });
  log(`${name}: starting under callgrind (instrumentation off)…`);
  const target = await startTarget(name, work, upstream, natsUrl, (nodeArgs) => [
    'valgrind',
    '--tool=callgrind',
    '--instr-atstart=no',
    `--callgrind-out-file=${join(dir, 'callgrind.out.%p')}`,
    process.execPath,
    ...nodeArgs,
  ]);
  const pid = target.child.pid!;
  try {
    log(`${name}: warming up with ${WARMUP} requests…`);
    await load(target.port, WARMUP, headersOf(name));
    await pause(SETTLE_S * 1000);
    callgrind(pid, '--instr=on');
    dump(dir, pid); // drop what the switch itself counted
    const idleStart = Date.now();
    await pause(IDLE_S * 1000);
    const idle = dump(dir, pid).total;
    const idlePerSecond = idle / ((Date.now() - idleStart) / 1000);
    log(`${name}: ${REQUESTS} requests under instrumentation…`);
    const start = Date.now();
    await load(target.port, REQUESTS, headersOf(name));
    await pause(SETTLE_S * 1000);
    const { total: busy, file } = dump(dir, pid);
    const windowSeconds = (Date.now() - start) / 1000;
    callgrind(pid, '--instr=off');
    const perRequest = Object.fromEntries(
      Object.entries(overheads(file)).map(([k, v]) => [k, Math.round(v / REQUESTS)]),
    );
    const cost = {
      target: name,
      perRequest: Math.round((busy - idlePerSecond * windowSeconds) / REQUESTS),
      perRequestRaw: Math.round(busy / REQUESTS),
      idlePerSecond: Math.round(idlePerSecond),
      windowSeconds: Math.round(windowSeconds),
      overheads: perRequest,
    };
    const k = (n: number) => `${(n / 1000).toFixed(0)}k`;
    log(
      `${name}: ${k(cost.perRequest)} instructions per request ` +
        `(raw ${k(cost.perRequestRaw)}; idle ${(cost.idlePerSecond / 1e6).toFixed(2)}M/s over ${cost.windowSeconds} s; ` +
        `of the raw: ${Object.entries(perRequest)
          .map(([what, n]) => `${what} ${k(n)}`)
          .join(', ')})`,
    );
    return cost;
  } finally {
    target.child.kill('SIGTERM');
    await new Promise((r) => (target.child.exitCode === null ? target.child.once('exit', r) : r(null)));
  }
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 102.4) / 10;
}

/** RSS at rest after start-up, then a CPU profile under a load of `seconds` (self time by file). */
async function profile(name: string, work: string, upstream: string, natsUrl: string, seconds: number) {
  const dir = join(work, `cpu-prof-${name}`);
  const target = await startTarget(name, work, upstream, natsUrl, (nodeArgs) => [
    process.execPath,
    '--cpu-prof',
    `--cpu-prof-dir=${dir}`,
    ...nodeArgs,
  ]);
  await pause(SETTLE_S * 1000);
  const atRest = rssMb(target.child.pid!);
  log(`${name}: RSS at rest ${atRest} MB`);
  const until = Date.now() + seconds * 1000;
  let requests = 0;
  while (Date.now() < until) {
    await load(target.port, 1000, headersOf(name));
    requests += 1000;
  }
  log(`${name}: ${requests} requests; RSS after ${rssMb(target.child.pid!)} MB`);
  target.child.kill('SIGTERM');
  await new Promise((r) => target.child.once('exit', r));
  for (const file of readdirSync(dir)) summarise(JSON.parse(readFileSync(join(dir, file), 'utf8')));
  return { target: name, rssAtRestMb: atRest };
}

/** RSS at rest: started, `--settle` seconds without requests, read from /proc. */
async function rssAtRest(name: string, work: string, upstream: string, natsUrl: string) {
  if (args.restart) {
    // A restart, as a deployed gateway mostly starts: its CA and certificates already on disk.
    const first = await startTarget(name, work, upstream, natsUrl, (nodeArgs) => [
      process.execPath,
      ...nodeArgs,
    ]);
    first.child.kill('SIGTERM');
    await new Promise((r) => first.child.once('exit', r));
  }
  const target = await startTarget(name, work, upstream, natsUrl, (nodeArgs) => [
    process.execPath,
    ...nodeArgs,
  ]);
  await pause(SETTLE_S * 1000);
  const atRest = rssMb(target.child.pid!);
  log(`${name}: RSS at rest ${atRest} MB (${SETTLE_S} s after it answered)`);
  target.child.kill('SIGTERM');
  await new Promise((r) => target.child.once('exit', r));
  return { target: name, rssAtRestMb: atRest };
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
}

function summarise(profile: CpuProfile): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const byFile = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const id of profile.samples) {
    const frame = byId.get(id)!;
    const file = frame.url.replace(/^.*\/(node_modules|dist)\//, '$1/') || `(${frame.functionName})`;
    byFile.set(file, (byFile.get(file) ?? 0) + 1);
    const fn = `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + 1);
  }
  const total = profile.samples.length;
  const top = (map: Map<string, number>, n: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
  log(`self time by file (${total} samples):\n${top(byFile, 40).join('\n')}`);
  log(`self time by function:\n${top(byFunction, 40).join('\n')}`);
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'rn-gateway-cost-'));
  const upstreamServer: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BODY.length });
    res.end(BODY);
  });
  // The gateway keeps its target connections; an upstream closing them first makes retries, not cost.
  upstreamServer.keepAliveTimeout = 600_000;
  await new Promise<void>((r) => upstreamServer.listen(0, '127.0.0.1', r));
  const upstream = `127.0.0.1:${(upstreamServer.address() as { port: number }).port}`;
  const nats = await startNats();
  const results: unknown[] = [];
  try {
    for (const name of args.targets.split(',')) {
      if (name !== 'gateway' && name !== 'gateway-auth' && name !== 'bare')
        throw new Error(`unknown target ${name}`);
      results.push(
        args.rss
          ? await rssAtRest(name, work, upstream, nats.url)
          : args['cpu-prof']
            ? await profile(name, work, upstream, nats.url, Number(args['cpu-prof']))
            : await measureCost(name, work, upstream, nats.url),
      );
    }
  } finally {
    await nats.stop();
    upstreamServer.close();
    if (!args.keep) rmSync(work, { recursive: true, force: true });
    else log(`kept ${work}`);
  }
  if (args.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
