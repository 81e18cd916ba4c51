import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { AccessRecordSchema } from '@rustronaut/contracts';
import { createLogger } from '@rustronaut/observability';
import { AccessLog, type AccessBatch, type AccessShipper } from './access-log';
import { AccessMetrics } from './access-metrics';
import { traceIdOf } from './access-record';
import { NdjsonAccessShipper } from './shippers';
import type { RoutedResource } from '../data-path/model';

/** A destination that can be switched off, keeping what it stored. */
class SwitchableShipper implements AccessShipper {
  up = true;
  readonly stored: AccessBatch[] = [];
  ship(batch: AccessBatch): Promise<void> {
    if (!this.up) return Promise.reject(new Error('destination away'));
    this.stored.push(batch);
    return Promise.resolve();
  }
}

const request = (traceparent?: string) =>
  ({
    socket: { bytesRead: 0, bytesWritten: 0 },
    headers: traceparent ? { traceparent } : {},
  }) as unknown as IncomingMessage;

const resource = (id: string, orgId: string) =>
  ({ id, orgId, siteId: `st_${orgId}`, name: id }) as unknown as RoutedResource;

function setup(capacity: number, defaultOrg?: string) {
  const registry = new Registry();
  const metrics = new AccessMetrics(registry);
  const shipper = new SwitchableShipper();
  const log = new AccessLog({
    shipper,
    metrics,
    logger: createLogger('test', 'silent'),
    defaultOrg: () => defaultOrg,
    capacity,
    flushIntervalMs: 60_000,
  });
  const finish = (res: RoutedResource | null, status = 200) => {
    const record = log.start(request());
    record.resource = res;
    record.facts = {
      ip: '10.0.0.1',
      scheme: 'http',
      host: 'a.test',
      rawPath: '/x',
      path: '/x',
      method: 'GET',
      target: '/x',
      authority: 'a.test',
      malformed: null,
    };
    record.admit(null);
    record.end(status);
    log.finish(record);
    return record;
  };
  const value = async (name: string, labels: Record<string, string> = {}) =>
    (await registry.getSingleMetric(name)!.get()).values.find((v) =>
      Object.entries(labels).every(([k, l]) => v.labels[k] === l),
    )?.value ?? 0;
  return { log, shipper, finish, value };
}

describe('the gateway access log', () => {
  it('ships one batch per org, in valid wire form, and counts them', async () => {
    const { log, shipper, finish, value } = setup(100);
    finish(resource('res_a', 'org_1'));
    finish(resource('res_b', 'org_2'), 404);
    finish(resource('res_a', 'org_1'), 502);
    await log.flush();
    expect(shipper.stored.map((b) => [b.orgId, b.records.length])).toEqual([
      ['org_1', 2],
      ['org_2', 1],
    ]);
    for (const batch of shipper.stored) for (const r of batch.records) AccessRecordSchema.parse(r);
    expect(await value('rustronaut_gateway_access_records_shipped_total')).toBe(3);
    expect(
      await value('rustronaut_gateway_http_requests_total', { resource: 'res_a', status_class: '5xx' }),
    ).toBe(1);
    expect(log.queued).toBe(0);
    await log.close();
  });

  it('keeps records while the destination is away, drops and counts beyond capacity, and loses none it kept', async () => {
    const { log, shipper, finish, value } = setup(3);
    shipper.up = false;
    const kept = [1, 2, 3].map(() => finish(resource('res_a', 'org_1')).id);
    finish(resource('res_a', 'org_1'));
    finish(resource('res_a', 'org_1'));
    await log.flush();
    expect(log.queued).toBe(3);
    expect(await value('rustronaut_gateway_access_records_dropped_total', { reason: 'queue_full' })).toBe(2);
    shipper.up = true;
    await log.close(); // close ships at once, without waiting for the back-off
    expect(shipper.stored.flatMap((b) => b.records.map((r) => r.id))).toEqual(kept);
  });

  it('files a request that matched no resource under the gateway org, or drops and counts it when there is none', async () => {
    const withOrg = setup(10, 'org_gw');
    withOrg.finish(null, 404);
    await withOrg.log.flush();
    expect(withOrg.shipper.stored[0]).toMatchObject({
      orgId: 'org_gw',
      records: [{ resourceId: null, status: 404 }],
    });
    await withOrg.log.close();
    const without = setup(10);
    without.finish(null, 404);
    await without.log.flush();
    expect(without.shipper.stored).toEqual([]);
    expect(await without.value('rustronaut_gateway_access_records_dropped_total', { reason: 'no_org' })).toBe(
      1,
    );
    await without.log.close();
  });

  it('drops the series of resources no longer served, keeps the others', async () => {
    const { log, finish, value } = setup(100);
    finish(resource('res_a', 'org_1'));
    finish(resource('res_b', 'org_1'), 403);
    log.metrics.l4Decided('res_c', 'tcp', 'allowed', 'public');
    log.metrics.forgetAllBut(new Set(['res_b']));
    expect(await value('rustronaut_gateway_http_requests_total', { resource: 'res_a' })).toBe(0);
    expect(
      await value('rustronaut_gateway_http_requests_total', { resource: 'res_b', status_class: '4xx' }),
    ).toBe(1);
    expect(await value('rustronaut_gateway_l4_connections_total', { resource: 'res_c' })).toBe(0);
    // A resource served again starts over.
    finish(resource('res_a', 'org_1'));
    expect(
      await value('rustronaut_gateway_http_requests_total', { resource: 'res_a', status_class: '2xx' }),
    ).toBe(1);
    await log.close();
  });

  it('writes NDJSON to a file (appending), and refuses at once a path it cannot open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rn-access-'));
    try {
      const file = join(dir, 'access.ndjson');
      const { log, finish } = setup(100);
      const shipper = new NdjsonAccessShipper('gw_1', { file });
      const records = [1, 2].map(() => finish(resource('res_a', 'org_1')).toWire());
      await shipper.ship({ id: 'b', orgId: 'org_1', records });
      await shipper.ship({ id: 'c', orgId: 'org_1', records: records.slice(0, 1) });
      await shipper.close();
      const lines = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toHaveLength(3);
      expect(lines[0]).toMatchObject({ orgId: 'org_1', gatewayId: 'gw_1', resourceId: 'res_a', status: 200 });
      await log.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => new NdjsonAccessShipper('gw_1', { file: join(dir, 'gone', 'access.ndjson') })).toThrow(
      /RN_GATEWAY_ACCESS_LOG: cannot open .* for appending \(ENOENT\)/,
    );
  });

  it('reads the trace id of a well-formed traceparent only', () => {
    expect(traceIdOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBe(
      '4bf92f3577b34da6a3ce929d0e0e4736',
    );
    expect(traceIdOf('00-00000000000000000000000000000000-00f067aa0ba902b7-01')).toBeNull();
    expect(traceIdOf('garbage')).toBeNull();
    expect(traceIdOf(undefined)).toBeNull();
  });
});
