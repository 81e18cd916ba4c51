import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { freePort } from '@rustronaut/testing';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';

interface CollectedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
}

/** An OTLP/HTTP (JSON) trace receiver that keeps every span in memory. */
async function startCollector(): Promise<{ server: Server; url: string; spans: CollectedSpan[] }> {
  const spans: CollectedSpan[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (c: Buffer) => (body += c.toString()));
    request.on('end', () => {
      const payload = JSON.parse(body || '{}') as {
        resourceSpans?: {
          resource: { attributes: { key: string; value: { stringValue?: string } }[] };
          scopeSpans: { spans: { name: string; traceId: string; spanId: string; parentSpanId?: string }[] }[];
        }[];
      };
      for (const rs of payload.resourceSpans ?? []) {
        const service =
          rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
        for (const ss of rs.scopeSpans) {
          for (const s of ss.spans)
            spans.push({
              service,
              name: s.name,
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId || undefined,
            });
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${port}/v1/traces`, spans };
}

describe('console tracing and token lifetime (e2e, started processes)', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let sut: ConsoleHarness;

  beforeAll(async () => {
    collector = await startCollector();
    sut = await ConsoleHarness.start({
      RN_OTEL_EXPORTER: 'otlp',
      RN_OTEL_ENDPOINT: collector.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      RN_ACCESS_TOKEN_TTL: '2',
    });
  }, 90_000);
  afterAll(async () => {
    await sut?.stop();
    collector?.server.close();
  });

  it('makes one HTTP request one trace: api → identity → event append → audit projection', async () => {
    const token = (await login(sut.url, ADMIN.email, ADMIN.password)).access;
    const traceId = randomBytes(16).toString('hex');
    const created = await call(sut.url, 'POST', '/users', {
      token,
      body: { email: 'traced@example.com', name: 'Traced', password: 'long-enough-pw' },
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    });
    expect(created.status).toBe(201);

    const deadline = Date.now() + 10_000;
    const mine = () => collector.spans.filter((s) => s.traceId === traceId);
    const services = () => new Set(mine().map((s) => s.service));
    while (Date.now() < deadline && services().size < 3) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300)); // the last batches of each process
    const spans = mine();
    const byName = (service: string, name: RegExp) =>
      spans.find((s) => s.service === service && name.test(s.name));
    const http = byName('api', /^POST \/api\/v1\/users$/);
    const rpc = byName('identity', /^identity\.users\.create$/);
    const append = byName('identity', /^eventstore\.append user$/);
    const audit = byName('audit', /^projection .*_audit_log$/);
    expect({ http, rpc, append, audit }).toEqual({
      http: expect.anything(),
      rpc: expect.anything(),
      append: expect.anything(),
      audit: expect.anything(),
    });
    expect(rpc!.parentSpanId).toBe(http!.spanId);
    // The append happens inside the identity handler, and the audit projection is the append's child.
    const ancestors = (span: CollectedSpan): string[] => {
      const parent = spans.find((s) => s.spanId === span.parentSpanId);
      return parent ? [parent.spanId, ...ancestors(parent)] : [];
    };
    expect(ancestors(append!)).toContain(rpc!.spanId);
    const auditParents = spans.filter((s) => s.service === 'audit').map((s) => s.parentSpanId);
    expect(auditParents).toContain(append!.spanId); // the UserRegistered commit (EmailClaimed has its own)
  });

  it('refuses an access token once it has expired, and a refresh brings a working one', async () => {
    const tokens = await login(sut.url, ADMIN.email, ADMIN.password);
    expect((await call(sut.url, 'GET', '/me', { token: tokens.access })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 3_100));
    const expired = await call(sut.url, 'GET', '/me', { token: tokens.access });
    expect(expired.body.error).toMatchObject({ status: 401, code: 'AUTH_UNAUTHENTICATED' });
    expect(expired.body.error.message).toMatch(/expired/);
    const refreshed = await call(sut.url, 'POST', '/auth/refresh', {
      body: { refresh_token: tokens.refresh },
    });
    expect((await call(sut.url, 'GET', '/me', { token: refreshed.body.access_token })).status).toBe(200);
  });
});
