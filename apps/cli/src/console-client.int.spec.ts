import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@rustronaut/testing';
import { ConsoleClient, data } from './console-client';
import { CredentialStore, type Session } from './credentials';
import { CliErrorCode, ConsoleApiError } from './errors';

/**
 * The API client against a real HTTP server playing the console's answers (status codes, error
 * bodies, token refresh). The real console is exercised by apps/platform/e2e/cli.e2e.spec.ts.
 */
describe('ConsoleClient', () => {
  let server: Server;
  let url: string;
  let handle: (req: IncomingMessage, body: string, res: ServerResponse) => void;
  const seen: { method: string; path: string; authorization: string | undefined; body: string }[] = [];
  const json = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const apiError = (res: ServerResponse, status: number, code: string, message: string) =>
    json(res, status, { error: { status, code, message } });

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, path: req.url!, authorization: req.headers.authorization, body });
        handle(req, body, res);
      });
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => (seen.length = 0));
  afterAll(() => server.close());

  const session = (expiresAt: number): Session => ({
    kind: 'session',
    access_token: 'old-access',
    refresh_token: 'old-refresh',
    expires_at: expiresAt,
  });

  it('sends the API key as a bearer token and reads JSON', async () => {
    handle = (_req, _body, res) => json(res, 200, { items: [], next_cursor: null });
    const sut = new ConsoleClient(`${url}/`, { auth: { kind: 'api_key', api_key: 'rnk_k' } });
    await expect(data(sut.api.GET('/api/v1/services'))).resolves.toEqual({ items: [], next_cursor: null });
    expect(seen[0]).toMatchObject({ method: 'GET', path: '/api/v1/services', authorization: 'Bearer rnk_k' });
  });

  it("turns the console's error body into its code and message, with a hint", async () => {
    handle = (_req, _body, res) =>
      apiError(res, 409, 'POLICY_DOMAIN_TAKEN', 'dev.example.com is already served by another resource');
    const sut = new ConsoleClient(url, { auth: { kind: 'api_key', api_key: 'rnk_k' } });
    const error = await sut.api
      .POST('/api/v1/services', { body: { local_address: 'localhost:3000', protocol: 'http' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConsoleApiError);
    expect(error).toMatchObject({
      status: 409,
      code: 'POLICY_DOMAIN_TAKEN',
      message: 'dev.example.com is already served by another resource',
      hint: expect.stringMatching(/--subdomain/),
      exitCode: 1,
    });
    expect(JSON.parse(seen[0]!.body)).toEqual({ local_address: 'localhost:3000', protocol: 'http' });
  });

  it('says "changed by someone else — reload" when a precondition failed (412)', async () => {
    handle = (_req, _body, res) =>
      apiError(
        res,
        412,
        'EVENTSTORE_PRECONDITION_FAILED',
        'service res_1 was changed by someone else since version 5',
      );
    const sut = new ConsoleClient(url, { auth: { kind: 'api_key', api_key: 'rnk_k' } });
    const error = await sut.api
      .DELETE('/api/v1/services/{id}', { params: { path: { id: 'res_1' } } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      status: 412,
      code: 'EVENTSTORE_PRECONDITION_FAILED',
      message: 'changed by someone else — reload (service res_1 was changed by someone else since version 5)',
      hint: expect.stringMatching(/^reload it/),
    });
  });

  it('says when the address answers with something that is not the API', async () => {
    handle = (_req, _body, res) => res.writeHead(502).end('<html>bad gateway</html>');
    const sut = new ConsoleClient(url, { auth: { kind: 'api_key', api_key: 'rnk_k' } });
    await expect(data(sut.api.GET('/api/v1/me'))).rejects.toMatchObject({
      code: CliErrorCode.ConsoleAnswer,
      message: `${url} answered GET /me with HTTP 502, not with the Rustronaut API's JSON`,
    });
  });

  it('says the console is unreachable, at which URL and why', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const sut = new ConsoleClient(closed, { auth: { kind: 'api_key', api_key: 'rnk_k' } });
    await expect(data(sut.api.GET('/api/v1/me'))).rejects.toMatchObject({
      code: CliErrorCode.ConsoleUnreachable,
      message: expect.stringMatching(new RegExp(`^console unreachable at ${closed}: .*ECONNREFUSED`)),
    });
  });

  it('refreshes an access token about to expire before the request, and hands the new session over', async () => {
    handle = (req, _body, res) => {
      if (req.url === '/api/v1/auth/refresh')
        return json(res, 200, { access_token: 'new-access', refresh_token: 'new-refresh', expires_in: 900 });
      if (req.headers.authorization !== 'Bearer new-access')
        return apiError(res, 401, 'AUTH_UNAUTHENTICATED', 'expired');
      json(res, 200, { ok: true });
    };
    const stored: Session[] = [];
    const now = 1_000_000;
    const sut = new ConsoleClient(url, {
      auth: session(now + 10_000),
      sessions: { exclusive: (renew) => renew(), latest: () => undefined, save: (s) => stored.push(s) },
      now: () => now,
    });
    await expect(data(sut.api.GET('/api/v1/me'))).resolves.toEqual({ ok: true });
    expect(seen.map((s) => s.path)).toEqual(['/api/v1/auth/refresh', '/api/v1/me']);
    expect(JSON.parse(seen[0]!.body)).toEqual({ refresh_token: 'old-refresh' });
    expect(stored).toEqual([
      {
        kind: 'session',
        access_token: 'new-access',
        refresh_token: 'new-refresh',
        expires_at: now + 900_000,
      },
    ]);
  });

  it('refreshes once and retries when the console says the token is no longer valid', async () => {
    handle = (req, _body, res) => {
      if (req.url === '/api/v1/auth/refresh')
        return json(res, 200, { access_token: 'new-access', refresh_token: 'new-refresh', expires_in: 900 });
      if (req.headers.authorization !== 'Bearer new-access')
        return apiError(res, 401, 'AUTH_UNAUTHENTICATED', 'the access token expired');
      json(res, 200, { ok: true });
    };
    const sut = new ConsoleClient(url, { auth: session(Date.now() + 600_000) });
    await expect(data(sut.api.GET('/api/v1/me'))).resolves.toEqual({ ok: true });
    expect(seen.map((s) => `${s.path} ${s.authorization ?? '-'}`)).toEqual([
      '/api/v1/me Bearer old-access',
      '/api/v1/auth/refresh -',
      '/api/v1/me Bearer new-access',
    ]);
  });

  it('asks to log in again when the refresh token is refused', async () => {
    handle = (req, _body, res) =>
      req.url === '/api/v1/auth/refresh'
        ? apiError(res, 401, 'AUTH_INVALID_TOKEN', 'the refresh token was revoked')
        : json(res, 200, {});
    const sut = new ConsoleClient(url, { auth: session(0) });
    await expect(data(sut.api.GET('/api/v1/me'))).rejects.toMatchObject({
      code: CliErrorCode.NotLoggedIn,
      message: `your session at ${url} ended (the refresh token was revoked)`,
      hint: 'log in again with `rustronaut login`',
    });
    expect(seen.map((s) => s.path)).toEqual(['/api/v1/auth/refresh']);
  });

  it('gives a gateway an access token: exchanged once for an API key and kept until it expires', async () => {
    handle = (_req, _body, res) =>
      json(res, 200, { access_token: 'exchanged', token_type: 'Bearer', expires_in: 900 });
    let now = 1_000_000;
    const sut = new ConsoleClient(url, { auth: { kind: 'api_key', api_key: 'rnk_k' }, now: () => now });
    await expect(sut.accessToken()).resolves.toBe('exchanged');
    await expect(sut.accessToken()).resolves.toBe('exchanged');
    expect(seen.map((s) => `${s.method} ${s.path} ${s.authorization}`)).toEqual([
      'POST /api/v1/auth/token Bearer rnk_k',
    ]);
    now += 900_000;
    await sut.accessToken();
    expect(seen).toHaveLength(2);
  });

  it("gives a gateway the session's access token, refreshed when it is about to expire", async () => {
    handle = (_req, _body, res) =>
      json(res, 200, { access_token: 'new-access', refresh_token: 'new-refresh', expires_in: 900 });
    const now = 1_000_000;
    const fresh = new ConsoleClient(url, { auth: session(now + 600_000), now: () => now });
    await expect(fresh.accessToken()).resolves.toBe('old-access');
    expect(seen).toHaveLength(0);
    const expiring = new ConsoleClient(url, { auth: session(now + 1_000), now: () => now });
    await expect(expiring.accessToken()).resolves.toBe('new-access');
    expect(seen.map((s) => s.path)).toEqual(['/api/v1/auth/refresh']);
  });

  it('takes turns with other processes to refresh, and adopts the session one of them stored', async () => {
    // The console's rule: a refresh token works once; using it again ends the session.
    const used = new Set<string>();
    let issued = 0;
    handle = (req, body, res) => {
      if (req.url === '/api/v1/auth/refresh') {
        const { refresh_token } = JSON.parse(body) as { refresh_token: string };
        if (used.has(refresh_token))
          return apiError(res, 401, 'AUTH_INVALID_TOKEN', 'this session has ended: log in again');
        used.add(refresh_token);
        issued++;
        return json(res, 200, {
          access_token: `access-${issued}`,
          refresh_token: `refresh-${issued}`,
          expires_in: 900,
        });
      }
      json(res, 200, { authorization: req.headers.authorization });
    };
    const dir = mkdtempSync(join(tmpdir(), 'rn-cli-sessions-'));
    try {
      const store = new CredentialStore(dir);
      store.save({ console_url: url, auth: session(Date.now() - 1000) });
      // Three processes started with the same expired session (three CredentialStores on one file).
      const processes = [1, 2, 3].map(
        () =>
          new ConsoleClient(url, {
            auth: session(Date.now() - 1000),
            sessions: new CredentialStore(dir).sessionKeeper(url),
          }),
      );
      const answers = (await Promise.all(processes.map((p) => data(p.api.GET('/api/v1/me'))))) as unknown as {
        authorization: string;
      }[];
      expect(issued).toBe(1);
      expect(answers.map((a) => a.authorization)).toEqual([
        'Bearer access-1',
        'Bearer access-1',
        'Bearer access-1',
      ]);
      expect(store.load()?.auth).toMatchObject({ access_token: 'access-1', refresh_token: 'refresh-1' });
      expect(existsSync(join(dir, 'refresh.lock'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
