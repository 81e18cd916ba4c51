import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { L4Metrics } from '../proxy/l4/l4-resource';
import type { AccessRecord } from './access-record';

/** Requests that matched no resource are counted under this label. */
export const NO_RESOURCE = '-';

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** The series of one resource, looked up once per request (one map read, then direct increments). */
interface ResourceSeries {
  byClass: Counter.Internal[];
  inFlight: Gauge.Internal<string>;
  /** Requests in flight, counted here so a series dropped and re-made never goes below zero. */
  active: number;
  duration: Histogram.Internal<'resource'>;
  bytesIn: Counter.Internal;
  bytesOut: Counter.Internal;
  decisions: Map<string, Counter.Internal>;
}

/**
 * The data path's numbers on the management /metrics, per resource id (never per path or user, so
 * the number of series stays that of the resources): requests by status class, decisions, latency,
 * bytes, requests in flight, upgraded connections open; and the access log's shipping.
 */
export class AccessMetrics implements L4Metrics {
  readonly #requests: Counter<'resource' | 'status_class'>;
  readonly #decisions: Counter<'resource' | 'decision' | 'decided_by'>;
  readonly #duration: Histogram<'resource'>;
  readonly #bytesIn: Counter<'resource'>;
  readonly #bytesOut: Counter<'resource'>;
  readonly #inFlight: Gauge<'resource'>;
  readonly #upgraded: Gauge<'resource'>;
  /** Upgraded connections and L4 connections/flows open, by `kind|resource`, never below zero. */
  readonly #open = new Map<string, number>();
  readonly shipped: Counter;
  readonly dropped: Counter<'reason'>;
  readonly queued: Gauge;
  readonly #series = new Map<string, ResourceSeries>();
  readonly #l4Decisions: Counter<'resource' | 'protocol' | 'decision' | 'decided_by'>;
  readonly #l4Open: Gauge<'resource' | 'protocol'>;
  readonly #l4BytesIn: Counter<'resource' | 'protocol'>;
  readonly #l4BytesOut: Counter<'resource' | 'protocol'>;
  /** The L4 outcome label sets seen per resource (`protocol|decision|decided_by`), to remove them. */
  readonly #l4Outcomes = new Map<string, Set<string>>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.#requests = new Counter({
      name: 'rustronaut_gateway_http_requests_total',
      help: 'HTTP requests answered, by resource and status class',
      labelNames: ['resource', 'status_class'],
      registers,
    });
    this.#decisions = new Counter({
      name: 'rustronaut_gateway_http_decisions_total',
      help: 'Decisions on HTTP requests, by resource, outcome (allowed, refused, failed) and what decided',
      labelNames: ['resource', 'decision', 'decided_by'],
      registers,
    });
    this.#duration = new Histogram({
      name: 'rustronaut_gateway_http_request_duration_seconds',
      help: 'From the request arriving to the response done, by resource',
      labelNames: ['resource'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.#bytesIn = new Counter({
      name: 'rustronaut_gateway_http_received_bytes_total',
      help: 'Bytes received from clients (headers included), by resource',
      labelNames: ['resource'],
      registers,
    });
    this.#bytesOut = new Counter({
      name: 'rustronaut_gateway_http_sent_bytes_total',
      help: 'Bytes sent to clients (headers included), by resource',
      labelNames: ['resource'],
      registers,
    });
    this.#inFlight = new Gauge({
      name: 'rustronaut_gateway_http_requests_in_flight',
      help: 'HTTP requests being answered now, by resource',
      labelNames: ['resource'],
      registers,
    });
    this.#upgraded = new Gauge({
      name: 'rustronaut_gateway_upgraded_connections',
      help: 'Upgraded (WebSocket) connections open now, by resource',
      labelNames: ['resource'],
      registers,
    });
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
    const series = this.#of(resourceId);
    series.inFlight.set(++series.active);
  }

  /** A request is done: count it under its resource. */
  finished(record: AccessRecord): void {
    const resourceId = record.resource?.id ?? NO_RESOURCE;
    const series = this.#of(resourceId);
    if (record.resource && series.active > 0) series.inFlight.set(--series.active);
    const cls = Math.floor(record.status / 100) - 1;
    if (cls >= 0 && cls < STATUS_CLASSES.length) series.byClass[cls]!.inc();
    const key = `${record.decision}|${record.decidedBy}`;
    let decisions = series.decisions.get(key);
    if (!decisions) {
      decisions = this.#decisions.labels(resourceId, record.decision, record.decidedBy);
      series.decisions.set(key, decisions);
    }
    decisions.inc();
    series.duration.observe(record.totalMs / 1000);
    if (record.bytesIn) series.bytesIn.inc(record.bytesIn);
    if (record.bytesOut) series.bytesOut.inc(record.bytesOut);
  }

  l4Decided(
    resourceId: string,
    protocol: 'tcp' | 'udp',
    outcome: 'allowed' | 'refused' | 'failed',
    by: 'public' | 'firewall' | 'flow_limit' | 'target',
  ): void {
    this.#l4Decisions.inc({ resource: resourceId, protocol, decision: outcome, decided_by: by });
    let seen = this.#l4Outcomes.get(resourceId);
    if (!seen) this.#l4Outcomes.set(resourceId, (seen = new Set()));
    seen.add(`${protocol}|${outcome}|${by}`);
  }

  l4Opened(resourceId: string, protocol: 'tcp' | 'udp'): void {
    this.#l4Open.set({ resource: resourceId, protocol }, this.#count(`${protocol}|${resourceId}`, 1));
  }

  /** A WebSocket (or other upgrade) was joined to its target; `upgradeClosed` when it ends. */
  upgradeOpened(resourceId: string): void {
    this.#upgraded.set({ resource: resourceId }, this.#count(`ws|${resourceId}`, 1));
  }

  upgradeClosed(resourceId: string): void {
    this.#upgraded.set({ resource: resourceId }, this.#count(`ws|${resourceId}`, -1));
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
    for (const [resource, series] of this.#series) {
      if (resource === NO_RESOURCE || served.has(resource)) continue;
      for (const status_class of STATUS_CLASSES) this.#requests.remove({ resource, status_class });
      for (const key of series.decisions.keys()) {
        const [decision, decided_by] = key.split('|') as [string, string];
        this.#decisions.remove({ resource, decision, decided_by });
      }
      for (const metric of [this.#duration, this.#bytesIn, this.#bytesOut, this.#inFlight, this.#upgraded])
        metric.remove({ resource });
      this.#open.delete(`ws|${resource}`);
      this.#series.delete(resource);
    }
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
        byClass: STATUS_CLASSES.map((c) => this.#requests.labels(resourceId, c)),
        inFlight: this.#inFlight.labels(resourceId),
        duration: this.#duration.labels(resourceId),
        bytesIn: this.#bytesIn.labels(resourceId),
        bytesOut: this.#bytesOut.labels(resourceId),
        decisions: new Map(),
        active: 0,
      };
      this.#series.set(resourceId, series);
    }
    return series;
  }
}
