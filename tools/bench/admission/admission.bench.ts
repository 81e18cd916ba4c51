/**
 * What the gateway's protection stages cost a request, in process (no sockets): the admission of a
 * public resource with no rules (the hot path), and of one with a full firewall, a rate limit and
 * the bot challenge, beside an empty stage list. Also the token bucket alone.
 *
 *   npm run bench:admission [-- --iterations 2000000]
 */
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { FirewallRuleSchema, ResourceDataSchema } from '@rustronaut/contracts';
import { createLogger } from '@rustronaut/observability';
import { runStages } from '../../../apps/gateway/src/data-path/pipeline';
import { bodyLimitStage } from '../../../apps/gateway/src/data-path/admission/limits/body-limit';
import { BotChallenge } from '../../../apps/gateway/src/data-path/admission/firewall/bot-challenge';
import { FirewallStage } from '../../../apps/gateway/src/data-path/admission/firewall/firewall';
import { NO_COUNTRIES } from '../../../apps/gateway/src/data-path/admission/firewall/geoip';
import { RateLimiter } from '../../../apps/gateway/src/data-path/admission/limits/rate-limit';
import { TokenBuckets } from '../../../apps/gateway/src/data-path/admission/limits/token-buckets';
import { canonicalPath, factsOf } from '../../../apps/gateway/src/data-path/http/request-facts';
import { RequestHeadLimits } from '../../../apps/gateway/src/data-path/http/request-head';
import { RouteTable } from '../../../apps/gateway/src/data-path/http/route-table';
import { upstreamHeaders } from '../../../apps/gateway/src/data-path/upstream/header-filter';
import type { Admission, AdmissionStage, RoutedResource } from '../../../apps/gateway/src/data-path/model';

const { values: args } = parseArgs({ options: { iterations: { type: 'string', default: '1000000' } } });
const N = Number(args.iterations);
const logger = createLogger('bench', 'silent');

function resource(id: string, extra: Record<string, unknown>): RoutedResource {
  const data = ResourceDataSchema.parse({
    siteId: 'sit_b',
    name: id,
    protocol: 'http',
    authRequired: false,
    ...extra,
  });
  return { ...data, id, targets: [], orgId: 'org_b', siteId: 'sit_b' };
}

const plain = resource('res_plain', {});
const guarded = resource('res_guarded', {
  firewallRules: [
    FirewallRuleSchema.parse({
      action: 'deny',
      cidrs: Array.from({ length: 500 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`),
    }),
    FirewallRuleSchema.parse({ action: 'deny', paths: ['/admin', '/internal/*', '/.git'] }),
    FirewallRuleSchema.parse({ action: 'deny', headers: [{ name: 'X-Debug', pattern: '^(1|true)$' }] }),
    FirewallRuleSchema.parse({ action: 'deny', userAgents: ['sqlmap', 'nikto', '/^python-requests\\//'] }),
    FirewallRuleSchema.parse({ action: 'allow', cidrs: ['0.0.0.0/0', '::/0'] }),
  ],
  rateLimit: { requestsPerMinute: 1e6, burst: 1e6, per: 'ip' },
  botChallenge: true,
});

const firewall = new FirewallStage(NO_COUNTRIES, logger);
firewall.update([plain, guarded]);
const limiter = new RateLimiter(logger);
const challenge = new BotChallenge(
  () => Buffer.alloc(32, 1),
  async () => false,
);
const stages: AdmissionStage[] = [
  firewall.stage,
  bodyLimitStage,
  limiter.beforeAuthentication,
  challenge.stage,
  limiter.afterAuthentication,
];

const headers = {
  host: 'app.example',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0',
  accept: 'text/html',
  'accept-language': 'en',
};
const req = {
  headers,
  rawHeaders: Object.entries(headers).flat(),
  httpVersionMajor: 1,
  method: 'GET',
  url: '/app/page',
} as unknown as IncomingMessage;
const admissionOf = (r: RoutedResource, i: number): Admission =>
  ({
    req,
    facts: {
      ip: `192.168.${(i >> 8) & 255}.${i & 255}`,
      scheme: 'http',
      host: 'app.example',
      rawPath: '/app/page',
      path: canonicalPath('/app/page'),
      method: 'GET',
    },
    resource: r,
    caller: null,
    country: undefined,
  }) as unknown as Admission;

function measure(name: string, run: (i: number) => unknown): void {
  for (let i = 0; i < Math.min(N, 100_000); i++) run(i); // warm up
  const started = performance.now();
  for (let i = 0; i < N; i++) run(i);
  const ns = ((performance.now() - started) * 1e6) / N;
  process.stdout.write(`${name.padEnd(58)} ${ns.toFixed(0).padStart(6)} ns/request\n`);
}

// The admission objects are made outside the timed loop, as the proxy makes one per request anyway.
const plainAdmissions = Array.from({ length: 1024 }, (_, i) => admissionOf(plain, i));
const guardedAdmissions = Array.from({ length: 1024 }, (_, i) => admissionOf(guarded, i));
let refused = 0;
measure('no stages (baseline)', (i) => runStages([], plainAdmissions[i & 1023]!));
measure('protection stages, resource without rules', (i) => {
  if (runStages(stages, plainAdmissions[i & 1023]!) !== undefined) refused++;
});
measure('protection stages, 5 rules (500 CIDRs), rate limit, challenge', (i) => {
  const admission = guardedAdmissions[i & 1023]!;
  admission.country = undefined;
  if (runStages(stages, admission) !== undefined) refused++;
});
const buckets = new TokenBuckets();
const limit = { requestsPerMinute: 1e6, burst: 1e6 };
const keys = Array.from({ length: 1024 }, (_, i) => `192.168.0.${i}`);
measure('token bucket take (1024 keys)', (i) => buckets.take(keys[i & 1023]!, limit, i));

// What every proxied request pays before and after the stages: its facts (client address, host,
// canonical path), the route, and the headers the target gets (the client's, filtered, plus ours).
const routes = new RouteTable([
  {
    format: 1,
    siteId: 'sit_b',
    orgId: 'org_b',
    revision: 1,
    issuedAt: '',
    site: { name: 's', subnet: '10.0.0.0/24', region: 'eu', connectionType: 'local' },
    resources: [
      { ...plain, domains: ['app.example'] },
      { ...guarded, id: 'res_admin', domains: ['app.example'], pathPrefix: '/admin' },
    ],
    policies: [],
    groups: {},
    jwks: [],
  },
]);
const browserHeaders = {
  ...headers,
  'accept-encoding': 'gzip, deflate, br',
  cookie: 'theme=dark; lang=en',
  referer: 'http://app.example/app/',
  'x-requested-with': 'XMLHttpRequest',
};
const incoming = {
  ...req,
  headers: browserHeaders,
  rawHeaders: Object.entries(browserHeaders).flat(),
  url: '/app/page/list?sort=name&page=2',
  socket: { remoteAddress: '::ffff:192.168.1.20' },
} as unknown as IncomingMessage;
let unrouted = 0;
const head = new RequestHeadLimits(16 * 1024, 200);
measure('request facts + head limits + route + upstream headers (8 headers)', () => {
  const facts = factsOf(incoming, 'http');
  if (head.check(incoming)) return unrouted++;
  const resource = routes.match(facts.host, facts.path);
  if (!resource) return unrouted++;
  return upstreamHeaders({ req: incoming, facts, resource, caller: null } as unknown as Admission);
});
if (unrouted) process.stdout.write(`(unexpected: ${unrouted} unrouted)\n`);
if (refused) process.stdout.write(`(unexpected: ${refused} refusals)\n`);
