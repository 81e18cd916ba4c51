import { connect, type NatsConnection } from 'nats';
import { TestNatsServer, uniqueName } from '@rustronaut/testing';
import { LiveFeed } from './live-feed';
import { formatEvent, mapLive, serverSentEvents } from './server-sent-events';

const record = (id: string, path: string) => ({
  id,
  at: '2026-12-07T00:00:00.000Z',
  siteId: 'sit_1',
  resourceId: 'res_1',
  userId: null,
  email: null,
  ip: '127.0.0.1',
  method: 'GET',
  host: 'app.localhost',
  path,
  status: 200,
  decision: 'allowed',
  decidedBy: 'policy',
  ruleId: null,
  ruleName: null,
  reason: null,
  admissionMs: 0.1,
  totalMs: 1,
  bytesIn: 0,
  bytesOut: 10,
  traceId: null,
});

async function firstOf<T>(source: AsyncIterable<T>, count: number): Promise<T[]> {
  const seen: T[] = [];
  for await (const item of source) {
    seen.push(item);
    if (seen.length === count) break;
  }
  return seen;
}

describe('the live feed (real NATS)', () => {
  let nats: TestNatsServer;
  let nc: NatsConnection;
  const root = uniqueName('rn_live');
  const roots = { access: `${root}.access`, events: `${root}.events`, runtime: `${root}.runtime` };

  beforeAll(async () => {
    nats = await TestNatsServer.start();
    nc = await connect({ servers: nats.url });
  });
  afterAll(async () => {
    await nc.close();
    await nats.dispose();
  });

  it("follows one org's access records as gateways ship them, never another org's or a malformed batch", async () => {
    const sut = new LiveFeed(nc, roots);
    const stop = new AbortController();
    const seen = firstOf(sut.accessRecords('org_a', stop.signal), 2);
    await nc.flush();
    const publish = (subject: string, body: unknown) =>
      nc.publish(subject, new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body)));
    publish(`${roots.access}.org_b.gw_1`, { records: [record('b1', '/theirs')] });
    publish(`${roots.access}.org_a.gw_1`, 'not json');
    publish(`${roots.access}.org_a.gw_1`, { records: [{ id: 'x' }] });
    publish(`${roots.access}.org_a.gw_2`, { records: [record('a1', '/one'), record('a2', '/two')] });
    const records = await seen;
    stop.abort();
    expect(records.map((r) => [r.id, r.orgId, r.gatewayId, r.path])).toEqual([
      ['a1', 'org_a', 'gw_2', '/one'],
      ['a2', 'org_a', 'gw_2', '/two'],
    ]);
  });

  it("follows the org's gateway events only, and refuses an org id that would widen the subject", async () => {
    const sut = new LiveFeed(nc, roots);
    const stop = new AbortController();
    const seen = firstOf(sut.gatewayChanges('org_a', stop.signal), 1);
    await nc.flush();
    const commit = (orgId: string, type: string) =>
      nc.publish(
        `${roots.events}.gateway.gw_9`,
        new TextEncoder().encode(
          JSON.stringify({
            events: [{ orgId, aggregateId: 'gw_9', type, occurredAt: '2026-12-07T00:00:00Z' }],
          }),
        ),
      );
    commit('org_b', 'GatewayDeleted');
    commit('org_a', 'GatewayStatusChanged');
    expect(await seen).toEqual([
      { gatewayId: 'gw_9', type: 'GatewayStatusChanged', at: '2026-12-07T00:00:00Z' },
    ]);
    stop.abort();
    // What a gateway serves changed (the registry's notice): told as GatewayRuntimeReported, this org's only.
    const again = new AbortController();
    const reported = firstOf(sut.gatewayChanges('org_a', again.signal), 1);
    await nc.flush();
    const notice = (orgId: string, gatewayId: string) =>
      nc.publish(
        `${roots.runtime}.${orgId}`,
        new TextEncoder().encode(JSON.stringify({ gatewayId, at: '2026-12-07T00:00:01Z' })),
      );
    notice('org_b', 'gw_theirs');
    notice('org_a', 'gw_9');
    expect(await reported).toEqual([
      { gatewayId: 'gw_9', type: 'GatewayRuntimeReported', at: '2026-12-07T00:00:01Z' },
    ]);
    again.abort();
    expect(() => sut.accessRecords('org.*', new AbortController().signal)).toThrow(/subject token/);
  });

  it('writes server-sent events the browser parses, and ends the stream when the client goes', async () => {
    expect(formatEvent({ event: 'access\nx', data: { path: '/a\nb' } })).toBe(
      'event: accessx\ndata: {"path":"/a\\nb"}\n\n',
    );
    const stop = new AbortController();
    async function* two() {
      yield 1;
      yield 2;
      await new Promise(() => undefined);
    }
    const stream = serverSentEvents(
      mapLive(two(), (n) => ({ event: 'n', data: n })),
      stop.signal,
    );
    let text = '';
    stream.on('data', (c: Buffer) => (text += c.toString()));
    await new Promise((r) => setTimeout(r, 50));
    stop.abort();
    await new Promise((r) => stream.on('end', r));
    expect(text).toBe(': live\n\nevent: n\ndata: 1\n\nevent: n\ndata: 2\n\n');
  });
});
