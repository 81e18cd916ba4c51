import { Counter, Gauge, type Metric, type Registry } from 'prom-client';
import type { AccessRecord } from './access-record';
import type { L4Metrics } from '../data-path/model';

/** Requests that matched no resource are counted under this label. */
export const NO_RESOURCE = '-';

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
/** Request duration buckets, in seconds: 1 ms to a minute. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * One resource's HTTP numbers, plain counters the data path adds to (a map read and a few
 * additions per request); they become Prometheus series only when /metrics is read.
 */
interface ResourceSeries {
  byClass: number[];
  decisions: Map<string, number>;
  inFlight: number;
  upgraded: number;
  /** Requests per duration bucket (not cumulative); the last one is +Inf. */
  buckets: number[];
  durationSum: number;
  count: number;
  bytesIn: number;
  bytesOut: number;
}

type Sample = { labels: Record<string, string | number>; value: number; metricName?: string };

/**
 * A metric whose samples are read from the per-resource counters when /metrics is scraped
 * (prom-client's own metrics hash their labels on every update, which the data path cannot afford).
 */
function scraped(
  name: string,
  help: string,
  type: 'counter' | 'gauge' | 'histogram',
  samples: () => Sample[],
) {
  return {
    name,
    help,
    type,
    aggregator: 'sum',
    get: () => Promise.resolve({ name, help, type, aggregator: 'sum', values: samples() }),
    reset: () => undefined,
  } as unknown as Metric;
}

/**
 * The data path's numbers on the management /metrics, per resource id (never per path or user, so
 * the number of series stays that of the resources): requests by status class, decisions, latency,
 * bytes, requests in flight, upgraded connections open; TCP/UDP connections; the access log's shipping.
 */
export class AccessMetrics implements L4Metrics {
  readonly shipped: Counter;
  readonly dropped: Counter<'reason'>;
  readonly queued: Gauge;
  readonly #series = new Map<string, ResourceSeries>();
  /** L4 connections/flows open, by `protocol|resource`, never below zero. */
  readonly #open = new Map<string, number>();
  readonly #l4Decisions: Counter<'resource' | 'protocol' | 'decision' | 'decided_by'>;
  readonly #l4Open: Gauge<'resource' | 'protocol'>;
  readonly #l4BytesIn: Counter<'resource' | 'protocol'>;
  readonly #l4BytesOut: Counter<'resource' | 'protocol'>;
  /** The L4 outcome label sets seen per resource (`protocol|decision|decided_by`), to remove them. */
  readonly #l4Outcomes = new Map<string, Set<string>>();

  constructor(registry: Registry) {
    const registers = [registry];
    const each = <T>(pick: (resource: string, series: ResourceSeries) => T[]) =>
      [...this.#series].flatMap(([resource, series]) => pick(resource, series));
    for (const metric of [
      scraped(
        'rustronaut_gateway_http_requests_total',
        'HTTP requests answered, by resource and status class',
        'counter',
        () =>
          each((resource, s) =>
            STATUS_CLASSES.map((status_class, i) => ({
              labels: { resource, status_class },
              value: s.byClass[i]!,
            })),
          ),
      ),
      scraped(
        'rustronaut_gateway_http_decisions_total',
        'Decisions on HTTP requests, by resource, outcome (allowed, refused, failed) and what decided',
        'counter',
        () =>
          each((resource, s) =>
            [...s.decisions].map(([key, value]) => {
              const [decision, decided_by] = key.split('|');
              return { labels: { resource, decision: decision!, decided_by: decided_by! }, value };
            }),
          ),
      ),
      scraped(
        'rustronaut_gateway_http_request_duration_seconds',
        'From the request arriving to the response done, by resource',
        'histogram',
        () =>
          each((resource, s) => {
            let cumulative = 0;
            const name = 'rustronaut_gateway_http_request_duration_seconds';
            return [
              ...[...BUCKETS, '+Inf'].map((le, i) => ({
                labels: { resource, le },
                value: (cumulative += s.buckets[i]!),
                metricName: `${name}_bucket`,
              })),
              { labels: { resource }, value: s.durationSum, metricName: `${name}_sum` },
              { labels: { resource }, value: s.count, metricName: `${name}_count` },
            ];
          }),
      ),
      scraped(
        'rustronaut_gateway_http_received_bytes_total',
        'Bytes received from clients (headers included), by resource',
        'counter',
        () => each((resource, s) => [{ labels: { resource }, value: s.bytesIn }]),
      ),
      scraped(
        'rustronaut_gateway_http_sent_bytes_total',
        'Bytes sent to clients (headers included), by resource',
        'counter',
        () => each((resource, s) => [{ labels: { resource }, value: s.bytesOut }]),
      ),
      scraped(
        'rustronaut_gateway_http_requests_in_flight',
        'HTTP requests being answered now, by resource',
        'gauge',
        () => each((resource, s) => [{ labels: { resource }, value: s.inFlight }]),
      ),
      scraped(
        'rustronaut_gateway_upgraded_connections',
        'Upgraded (WebSocket) connections open now, by resource',
        'gauge',
        () => each((resource, s) => [{ labels: { resource }, value: s.upgraded }]),
      ),
    ])
      registry.registerMetric(metric);
    this.#l4Decisions = new Counter({
      name: 'rustronaut_gateway_l4_connections_total',
      help: 'TCP connections and UDP flows by resource and outcome (a refused UDP source counts per datagram)',
      labelNames: ['resource', 'protocol', 'decision', 'decided_by'],
      registers,
    });
    this.#l4Open = new Gauge({
      name: 'rustronaut_gateway_l4_connections_open',
      help: 'TCP connections and UDP flows open now, by resource',
      labelNames: ['resource', 'protocol'],
      registers,
    });
    this.#l4BytesIn = new Counter({
      name: 'rustronaut_gateway_l4_received_bytes_total',
      help: 'Bytes received from clients on TCP connections and UDP flows (counted when they end), by resource',
      labelNames: ['resource', 'protocol'],
      registers,
    });
    this.#l4BytesOut = new Counter({
      name: 'rustronaut_gateway_l4_sent_bytes_total',
      help: 'Bytes sent to clients on TCP connections and UDP flows (counted when they end), by resource',
      labelNames: ['resource', 'protocol'],
      registers,
    });
    this.shipped = new Counter({
      name: 'rustronaut_gateway_access_records_shipped_total',
      help: 'Access records handed to their destination (stored by NATS JetStream, or written)',
      registers,
    });
    this.dropped = new Counter({
      name: 'rustronaut_gateway_access_records_dropped_total',
      help: 'Access records lost: the queue was full (destination away too long) or no org to file them under',
      labelNames: ['reason'],
      registers,
    });
    this.queued = new Gauge({
      name: 'rustronaut_gateway_access_records_queued',
      help: 'Access records waiting to be shipped',
      registers,
    });
  }

  /** A routed request started. */
  started(resourceId: string): void {
    this.#of(resourceId).inFlight++;
  }

  /** A request is done: count it under its resource. */
  finished(record: AccessRecord): void {
    const series = this.#of(record.resource?.id ?? NO_RESOURCE);
    if (record.resource && series.inFlight > 0) series.inFlight--;
    const cls = Math.floor(record.status / 100) - 1;
    if (cls >= 0 && cls < STATUS_CLASSES.length) series.byClass[cls]!++;
    const key = `${record.decision}|${record.decidedBy}`;
    series.decisions.set(key, (series.decisions.get(key) ?? 0) + 1);
    const seconds = record.totalMs / 1000;
    let bucket = 0;
    while (bucket < BUCKETS.length && seconds > BUCKETS[bucket]!) bucket++;
    series.buckets[bucket]!++;
    series.durationSum += seconds;
    series.count++;
    series.bytesIn += record.bytesIn;
    series.bytesOut += record.bytesOut;
  }

  /** A WebSocket (or other upgrade) was joined to its target; `upgradeClosed` when it ends. */
  upgradeOpened(resourceId: string): void {
    this.#of(resourceId).upgraded++;
  }

  upgradeClosed(resourceId: string): void {
    const series = this.#of(resourceId);
    if (series.upgraded > 0) series.upgraded--;
  }

  l4Decided(
    resourceId: string,
    protocol: 'tcp' | 'udp',
    outcome: 'allowed' | 'refused' | 'failed',
    by: 'public' | 'firewall' | 'policy' | 'flow_limit' | 'target',
  ): void {
    this.#l4Decisions.inc({ resource: resourceId, protocol, decision: outcome, decided_by: by });
    let seen = this.#l4Outcomes.get(resourceId);
    if (!seen) this.#l4Outcomes.set(resourceId, (seen = new Set()));
    seen.add(`${protocol}|${outcome}|${by}`);
  }

  l4Opened(resourceId: string, protocol: 'tcp' | 'udp'): void {
    this.#l4Open.set({ resource: resourceId, protocol }, this.#count(`${protocol}|${resourceId}`, 1));
  }

  #count(key: string, delta: number): number {
    const count = Math.max(0, (this.#open.get(key) ?? 0) + delta);
    this.#open.set(key, count);
    return count;
  }

  l4Closed(resourceId: string, protocol: 'tcp' | 'udp', bytesIn: number, bytesOut: number): void {
    this.#l4Open.set({ resource: resourceId, protocol }, this.#count(`${protocol}|${resourceId}`, -1));
    if (bytesIn) this.#l4BytesIn.inc({ resource: resourceId, protocol }, bytesIn);
    if (bytesOut) this.#l4BytesOut.inc({ resource: resourceId, protocol }, bytesOut);
  }

  /**
   * Drops the series of resources no longer served (deleted, or moved to another gateway), so the
   * number of series follows the resources served now rather than every one served since start.
   */
  forgetAllBut(served: ReadonlySet<string>): void {
    for (const resource of this.#series.keys())
      if (resource !== NO_RESOURCE && !served.has(resource)) this.#series.delete(resource);
    for (const [resource, outcomes] of this.#l4Outcomes) {
      if (served.has(resource)) continue;
      for (const key of outcomes) {
        const [protocol, decision, decided_by] = key.split('|') as [string, string, string];
        this.#l4Decisions.remove({ resource, protocol, decision, decided_by });
      }
      for (const protocol of ['tcp', 'udp'])
        for (const metric of [this.#l4Open, this.#l4BytesIn, this.#l4BytesOut]) {
          metric.remove({ resource, protocol });
          this.#open.delete(`${protocol}|${resource}`);
        }
      this.#l4Outcomes.delete(resource);
    }
  }

  #of(resourceId: string): ResourceSeries {
    let series = this.#series.get(resourceId);
    if (!series) {
      series = {
        byClass: STATUS_CLASSES.map(() => 0),
        decisions: new Map(),
        inFlight: 0,
        upgraded: 0,
        buckets: new Array<number>(BUCKETS.length + 1).fill(0),
        durationSum: 0,
        count: 0,
        bytesIn: 0,
        bytesOut: 0,
      };
      this.#series.set(resourceId, series);
    }
    return series;
  }
}
