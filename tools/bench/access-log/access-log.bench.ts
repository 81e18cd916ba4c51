/**
 * What the access log costs a request, in process (no sockets): the record's life on the data path
 * (made, routed, admitted, ended, finished: per-resource metrics and the queue), and, apart, what
 * shipping costs per record (wire form and JSON, as a batch of 500 is built).
 *
 *   npm run bench:access-log [-- --iterations 1000000]
 */
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { ResourceDataSchema } from '@rustronaut/contracts';
import { createLogger } from '@rustronaut/observability';
import { AccessLog, type AccessBatch } from '../../../apps/gateway/src/access-log/access-log';
import { AccessMetrics } from '../../../apps/gateway/src/access-log/access-metrics';
import type { AccessRecord } from '../../../apps/gateway/src/access-log/access-record';
import type { RoutedResource } from '../../../apps/gateway/src/data-path/model';

const { values: args } = parseArgs({ options: { iterations: { type: 'string', default: '1000000' } } });
const N = Number(args.iterations);

const resources: RoutedResource[] = Array.from({ length: 16 }, (_, i) => ({
  ...ResourceDataSchema.parse({ siteId: 'sit_b', name: `r${i}`, protocol: 'http', authRequired: false }),
  id: `res_${i}`,
  targets: [],
  orgId: 'org_b',
  siteId: 'sit_b',
}));
const req = {
  socket: { bytesRead: 0, bytesWritten: 0 },
  headers: { host: 'app.example' },
} as unknown as IncomingMessage;
const facts = {
  ip: '192.168.1.10',
  scheme: 'http' as const,
  host: 'app.example',
  rawPath: '/app/page',
  path: '/app/page',
  method: 'GET',
  target: '/app/page',
  authority: 'app.example',
  malformed: null,
};

let shipped = 0;
const log = new AccessLog({
  // Batches are serialised as the NATS shipper does, then let go (no network).
  shipper: {
    ship: (batch: AccessBatch) => {
      shipped += JSON.stringify({ records: batch.records }).length > 0 ? batch.records.length : 0;
      return Promise.resolve();
    },
  },
  metrics: new AccessMetrics(new Registry()),
  logger: createLogger('bench', 'silent'),
  defaultOrg: () => 'org_b',
  capacity: 10_000_000,
  flushIntervalMs: 3_600_000,
});

function lifecycle(i: number): AccessRecord {
  const record = log.start(req);
  record.facts = facts;
  record.resource = resources[i & 15]!;
  log.metrics.started(record.resource.id);
  record.admit(null);
  record.end(i & 7 ? 200 : 404);
  log.finish(record);
  return record;
}

function report(name: string, ns: number): void {
  process.stdout.write(`${name.padEnd(62)} ${ns.toFixed(0).padStart(6)} ns/record\n`);
}

async function main(): Promise<void> {
  // As in the gateway, batches of 500 leave the queue between bursts of requests; only the data
  // path's part is timed in the first figure, only the shipping in the second.
  let dataPath = 0;
  let shipping = 0;
  for (let round = 0; round < 2; round++) {
    dataPath = 0;
    shipping = 0;
    for (let done = 0; done < N; done += 500) {
      let t = performance.now();
      for (let i = done; i < done + 500; i++) lifecycle(i);
      dataPath += performance.now() - t;
      t = performance.now();
      await log.flush();
      shipping += performance.now() - t;
    }
  }
  report('data path: record made, decided, ended, counted, queued', (dataPath * 1e6) / N);
  report('shipping: wire form + JSON, in batches of 500', (shipping * 1e6) / N);
  const bytes = JSON.stringify(lifecycle(1).toWire()).length;
  process.stdout.write(`(${shipped} records shipped; one record is about ${bytes} bytes of JSON)\n`);
  await log.close();
}

void main();
