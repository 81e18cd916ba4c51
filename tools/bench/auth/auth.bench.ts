/**
 * What authentication costs a proxied request: the gateway's `--bench` pipeline (route →
 * authenticate → decide → forward, with the identity headers and the signed X-Rustronaut-Assertion)
 * on its plain port and on its authenticated port, same upstream, same load, alternating runs. The
 * token is checked once and then served from the credential cache, which is what keeps the
 * difference small (target: under 10 %).
 *
 *   npm run bench:auth [-- --duration 5 --connections 32 --reps 3]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { PolicyDataSchema, ResourceDataSchema, type SiteSnapshot } from '@rustronaut/contracts';
import { freePort } from '@rustronaut/testing';
import { EdgeAuthenticator } from '../../../apps/gateway/src/data-path/admission/auth/edge-authenticator';
import { AssertionKey } from '../../../apps/gateway/src/data-path/admission/auth/identity-assertion';
import {
  ConsoleTokenVerifier,
  SnapshotKeys,
} from '../../../apps/gateway/src/data-path/admission/auth/token-verifier';
import type { Admission, AppliedSnapshot, RoutedResource } from '../../../apps/gateway/src/data-path/model';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    reps: { type: 'string', default: '3' },
  },
});
const GATEWAY = join(__dirname, '../../../dist/apps/gateway/src/main.js');
const SECRET = 'bench-secret-for-the-auth-cost-run';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
/** The HS256 token the peer harness would send (bench mode's verifier), valid for an hour. */
function benchToken(): string {
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({
    sub: 'usr_bench',
    iss: 'bench',
    aud: 'gateway',
    exp: Math.floor(Date.now() / 1000) + 3600,
  })}`;
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
}

async function waitFor(url: string, headers: Record<string, string> = {}): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(url, { headers }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

async function load(url: string, headers: Record<string, string>) {
  const result = await autocannon({
    url,
    connections: Number(args.connections),
    duration: Number(args.duration),
    headers,
  });
  if (result.non2xx || result.errors)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p99: result.latency.p99 };
}

/**
 * In process, no sockets: what `authenticate` costs per request once the console token is cached
 * (the steady state), against its first check (EdDSA signature).
 */
async function inProcess(): Promise<void> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const resource = {
    ...ResourceDataSchema.parse({ siteId: 'st_b', name: 'b', protocol: 'http', domains: ['b.localhost'] }),
    id: 'res_b',
    targets: [],
  };
  const snapshot: SiteSnapshot = {
    format: 1,
    siteId: 'st_b',
    orgId: 'org_b',
    revision: 1,
    issuedAt: new Date().toISOString(),
    site: { name: 'b', subnet: '10.0.0.0/24', region: 'eu', connectionType: 'local' },
    resources: [resource],
    policies: [
      {
        ...PolicyDataSchema.parse({ name: 'all', effect: 'allow', subjects: { anyAuthenticated: true } }),
        id: 'pol_b',
      },
    ],
    groups: { grp_b: ['usr_b'] },
    jwks: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA' }],
  };
  const applied = new Map<string, AppliedSnapshot>([['st_b', { snapshot, appliedAt: new Date() }]]);
  const source = { all: () => applied, get: (id: string) => applied.get(id), onChanged: () => undefined };
  const sut = new EdgeAuthenticator(source, new ConsoleTokenVerifier(new SnapshotKeys(source)), {
    assertions: AssertionKey.ephemeral('gw_b'),
  });
  const token = await new SignJWT({ typ: 'access', org: 'org_b', role: 'member', sid: 'ses_b', email: 'b@x' })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
    .setIssuer('rustronaut')
    .setAudience('rustronaut')
    .setSubject('usr_b')
    .setExpirationTime('1h')
    .sign(privateKey);
  const routed: RoutedResource = { ...resource, orgId: 'org_b', siteId: 'st_b' };
  // The access record is not touched by authentication: left out, as in the admission bench.
  const admission = (): Admission =>
    ({
      req: {
        headers: { authorization: `Bearer ${token}` },
        rawHeaders: ['Authorization', `Bearer ${token}`],
        method: 'GET',
      } as IncomingMessage,
      facts: { ip: '127.0.0.1', scheme: 'http', host: 'b.localhost', rawPath: '/', path: '/', method: 'GET' },
      resource: routed,
      caller: null,
    }) as unknown as Admission;
  const first = performance.now();
  await sut.authenticate(admission());
  const firstMs = performance.now() - first;
  const one = admission();
  const n = 1_000_000;
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    one.caller = null;
    if (sut.authenticate(one) !== undefined) throw new Error('refused');
  }
  const ns = ((performance.now() - start) * 1e6) / n;
  process.stdout.write(
    `in process: first check of a console token ${firstMs.toFixed(2)} ms; then ${ns.toFixed(0)} ns per request (cached, synchronous, assertion reused)\n`,
  );
}

async function main(): Promise<void> {
  await inProcess();
  const upstreamPort = await freePort();
  const plainPort = await freePort();
  const authPort = await freePort();
  const children: ChildProcess[] = [];
  try {
    children.push(
      spawn(
        process.execPath,
        [
          '-e',
          `require('node:http').createServer((q, s) => s.end('ok')).listen(${upstreamPort}, '127.0.0.1')`,
        ],
        { stdio: 'ignore' },
      ),
    );
    children.push(
      spawn(process.execPath, [GATEWAY, '--bench'], {
        stdio: 'ignore',
        env: {
          ...process.env,
          BENCH_HTTP_PORT: String(plainPort),
          BENCH_HTTP_AUTH_PORT: String(authPort),
          BENCH_UPSTREAM_HTTP: `127.0.0.1:${upstreamPort}`,
          BENCH_TCP_PORT: String(await freePort()),
          BENCH_UDP_PORT: String(await freePort()),
          BENCH_JWT_SECRET: SECRET,
        },
      }),
    );
    const auth = { authorization: `Bearer ${benchToken()}` };
    await waitFor(`http://127.0.0.1:${plainPort}/`);
    await waitFor(`http://127.0.0.1:${authPort}/`, auth);
    const runs: { plain: number; auth: number; plainP99: number; authP99: number }[] = [];
    for (let rep = 0; rep < Number(args.reps); rep++) {
      const plain = await load(`http://127.0.0.1:${plainPort}/`, {});
      const authed = await load(`http://127.0.0.1:${authPort}/`, auth);
      runs.push({ plain: plain.rps, auth: authed.rps, plainP99: plain.p99, authP99: authed.p99 });
      process.stdout.write(
        `rep ${rep + 1}: plain ${plain.rps.toFixed(0)} req/s (p99 ${plain.p99} ms), authenticated ${authed.rps.toFixed(0)} req/s (p99 ${authed.p99} ms)\n`,
      );
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const plain = median(runs.map((r) => r.plain));
    const authed = median(runs.map((r) => r.auth));
    process.stdout.write(
      `median: plain ${plain.toFixed(0)} req/s, authenticated ${authed.toFixed(0)} req/s: authentication costs ${((1 - authed / plain) * 100).toFixed(1)} % of throughput\n`,
    );
  } finally {
    for (const child of children) child.kill('SIGTERM');
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
