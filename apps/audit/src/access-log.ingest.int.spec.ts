import { connect, headers as natsHeaders, type NatsConnection } from 'nats';
import { accessLogSubject, type AccessRecordWire } from '@rustronaut/contracts';
import { migrateService } from '@rustronaut/migrations';
import { createLogger } from '@rustronaut/observability';
import { TestNatsServer, createTestSchema, testDatabaseUrl, type TestSchema } from '@rustronaut/testing';
import { AccessLogIngest, originOf, startAccessRetention } from './access-log.ingest';
import { AccessLogQueries } from './access-log.queries';

const record = (id: string, at: string, extra: Partial<AccessRecordWire> = {}): AccessRecordWire => ({
  id,
  at,
  siteId: 'st_1',
  resourceId: 'res_1',
  userId: 'usr_1',
  email: 'Alice@Example.com',
  ip: '10.0.0.1',
  method: 'GET',
  host: 'app.example.com',
  path: '/',
  status: 200,
  decision: 'allowed',
  decidedBy: 'policy',
  ruleId: 'pol_1',
  ruleName: 'staff',
  reason: null,
  admissionMs: 0.2,
  totalMs: 3.5,
  bytesIn: 120,
  bytesOut: 800,
  traceId: null,
  ...extra,
});

/** The audit service's access-log ingest on a NATS server and a Postgres schema of the test's own. */
describe('access log ingest (real NATS JetStream and Postgres)', () => {
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let db: TestSchema;
  let ingest: AccessLogIngest;
  let queries: AccessLogQueries;
  const logger = createLogger('test', 'silent');

  beforeAll(async () => {
    nats = await TestNatsServer.start();
    nc = await connect({ servers: nats.url });
    db = await createTestSchema('access');
    await migrateService(await testDatabaseUrl(), 'audit', db.schema);
    ingest = new AccessLogIngest({ nc, db: db.dataSource, schema: db.schema, logger });
    await ingest.start();
    queries = new AccessLogQueries(db.dataSource, db.schema);
  });
  afterAll(async () => {
    await ingest?.stop();
    await nc?.close();
    await db?.drop();
    await nats?.dispose();
  });

  const publish = async (subject: string, body: unknown, msgId?: string) => {
    const h = natsHeaders();
    if (msgId) h.set('Nats-Msg-Id', msgId);
    await nc.jetstream().publish(subject, JSON.stringify(body), { headers: h });
  };

  async function rowsOf(orgId: string, count: number) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const page = await queries.list({ orgId, limit: 100 });
      if (page.items.length >= count || Date.now() > deadline) return page.items;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('files records under the org and gateway of the subject, and stores a re-sent record once', async () => {
    const now = new Date().toISOString();
    const batch = { records: [record('r1', now), { ...record('r2', now), orgId: 'org_evil' }] };
    await publish(accessLogSubject('org_a', 'gw_1'), batch, 'b1');
    // The same records again under another message id (a retry whose ack was lost, a redelivery).
    await publish(accessLogSubject('org_a', 'gw_1'), batch, 'b1-again');
    // Same record id from another gateway: a different record.
    await publish(accessLogSubject('org_a', 'gw_2'), { records: [record('r1', now)] }, 'b2');
    await publish(accessLogSubject('org_a', 'gw_2'), { records: [record('marker', now)] }, 'b3');
    const rows = await rowsOf('org_a', 4);
    await new Promise((r) => setTimeout(r, 300)); // anything late would show up now
    const again = await queries.list({ orgId: 'org_a', limit: 100 });
    expect(again.items.map((r) => `${r.gatewayId}/${r.id}`).sort()).toEqual([
      'gw_1/r1',
      'gw_1/r2',
      'gw_2/marker',
      'gw_2/r1',
    ]);
    expect(rows.every((r) => r.orgId === 'org_a')).toBe(true);
    expect((await queries.list({ orgId: 'org_evil', limit: 10 })).items).toEqual([]);
    // A user is found by id or by email, whatever the case.
    expect((await queries.list({ orgId: 'org_a', user: 'alice@example.com', limit: 10 })).items).toHaveLength(
      4,
    );
  });

  it('drops a malformed batch without stalling the ones after it', async () => {
    const now = new Date().toISOString();
    await publish(accessLogSubject('org_b', 'gw_1'), { records: [{ id: 'x' }] });
    await nc.jetstream().publish(accessLogSubject('org_b', 'gw_1'), 'not json');
    await publish(accessLogSubject('org_b', 'gw_1'), { records: [record('good', now)] });
    const rows = await rowsOf('org_b', 1);
    expect(rows.map((r) => r.id)).toEqual(['good']);
  });

  it('keeps the good records of a batch that holds a bad one', async () => {
    const now = new Date().toISOString();
    await publish(accessLogSubject('org_h', 'gw_1'), {
      records: [record('first', now), { ...record('broken', now), bytesIn: null }, record('third', now)],
    });
    const rows = await rowsOf('org_h', 2);
    expect(rows.map((r) => r.id).sort()).toEqual(['first', 'third']);
  });

  it('pages newest first with a cursor, and filters by decision and status', async () => {
    const base = Date.parse('2026-01-01T00:00:00Z');
    const records = Array.from({ length: 7 }, (_, i) =>
      record(
        `p${i}`,
        new Date(base + i * 1000).toISOString(),
        i % 2 ? { decision: 'refused', status: 403 } : {},
      ),
    );
    await publish(accessLogSubject('org_c', 'gw_1'), { records });
    await rowsOf('org_c', 7);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await queries.list({ orgId: 'org_c', limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(['p6', 'p5', 'p4', 'p3', 'p2', 'p1', 'p0']);
    const refused = await queries.list({ orgId: 'org_c', decision: 'refused', status: 403, limit: 10 });
    expect(refused.items.map((r) => r.id)).toEqual(['p5', 'p3', 'p1']);
  });

  it('deletes records older than the retention and keeps the rest', async () => {
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    const recent = new Date(Date.now() - 10 * 86_400_000).toISOString();
    await publish(accessLogSubject('org_d', 'gw_1'), {
      records: [record('old', old), record('recent', recent)],
    });
    await rowsOf('org_d', 2);
    const stop = startAccessRetention(db.dataSource, db.schema, 30, logger);
    const deadline = Date.now() + 5_000;
    let ids: string[] = [];
    while (Date.now() < deadline) {
      ids = (await queries.list({ orgId: 'org_d', limit: 10 })).items.map((r) => r.id);
      if (ids.length === 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    stop();
    expect(ids).toEqual(['recent']);
  });

  it('carries on after its consumer was deleted', async () => {
    const jsm = await nc.jetstreamManager();
    await jsm.consumers.delete('RN_ACCESS', ingest.consumerName);
    await publish(accessLogSubject('org_e', 'gw_1'), {
      records: [record('after', new Date().toISOString())],
    });
    const deadline = Date.now() + 20_000;
    let ids: string[] = [];
    while (ids.length === 0 && Date.now() < deadline) {
      ids = (await queries.list({ orgId: 'org_e', limit: 10 })).items.map((r) => r.id);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(ids).toEqual(['after']);
  }, 30_000);

  it('reads the origin from the subject only when it has exactly org and gateway', () => {
    expect(originOf('rn.access.org_a.gw_1')).toEqual({ orgId: 'org_a', gatewayId: 'gw_1' });
    expect(originOf('rn.access.org_a')).toBeUndefined();
    expect(originOf('rn.access.org_a.gw_1.extra')).toBeUndefined();
  });
});
