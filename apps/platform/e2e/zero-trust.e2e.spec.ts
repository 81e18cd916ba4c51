import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey, createPublicKey, sign, verify, type JsonWebKey } from 'node:crypto';
import { Client } from 'pg';
import { chromium, type Browser } from 'playwright-core';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';
import { freePort } from '@rustronaut/testing';

const GATEWAY = join(__dirname, '../../../dist/apps/gateway/src/main.js');

type JWK = JsonWebKey & { kid?: string };
interface JSONWebKeySet {
  keys: JWK[];
}
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** An EdDSA JWT, signed with node:crypto (what any app could do; jose is ESM-only under Jest). */
function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, jwk: JWK): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign(null, Buffer.from(input), createPrivateKey({ key: jwk, format: 'jwk' })).toString('base64url')}`;
}

/** What an app behind the gateway does with X-Rustronaut-Assertion: check it against the gateway's JWKS. */
function verifyAssertion(jwt: string, jwks: JSONWebKeySet): Record<string, unknown> {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  const { kid, alg } = JSON.parse(Buffer.from(header, 'base64url').toString()) as {
    kid: string;
    alg: string;
  };
  const jwk = jwks.keys.find((k) => k.kid === kid);
  if (alg !== 'EdDSA' || !jwk) throw new Error('unknown key');
  const ok = verify(
    null,
    Buffer.from(`${header}.${payload}`),
    createPublicKey({ key: jwk, format: 'jwk' }),
    Buffer.from(signature, 'base64url'),
  );
  if (!ok) throw new Error('bad signature');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  if ((claims['exp'] as number) * 1000 < Date.now()) throw new Error('expired');
  return claims;
}

interface Answer {
  status: number;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One request through the gateway with a given Host header, as curl would send it. */
function through(
  port: number,
  host: string,
  path: string,
  options: {
    token?: string;
    headers?: Record<string, string>;
    method?: string;
    body?: string;
    localAddress?: string;
  } = {},
) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
        path,
        method: options.method ?? 'GET',
        headers: {
          host,
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(options.headers ?? {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Polls until `check` holds (a revocation reaching the gateway), or fails after 10 s. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('the condition did not hold within 10 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('zero trust at the gateway (e2e, started processes)', () => {
  let platform: ConsoleHarness;
  let admin: string;
  let upstream: Server;
  let gateway: ChildProcess;
  let httpPort: number;
  let httpsPort: number;
  let managementPort: number;
  let dataDir: string;
  let gatewayJwks: JSONWebKeySet | undefined;
  let consoleKey: { kid: string; jwk: JWK };
  let browser: Browser;
  const ids: Record<string, string> = {};
  const api = (method: string, path: string, body?: unknown) =>
    call(platform.url, method, path, { token: admin, body });

  /** A token signed with the console's real signing key, with claims the test chooses. */
  const consoleToken = (claims: Record<string, unknown>, exp: number, aud = 'rustronaut') =>
    signJwt(
      { alg: 'EdDSA', kid: consoleKey.kid, typ: 'JWT' },
      {
        iss: 'rustronaut',
        aud,
        sub: ids['alice'],
        typ: 'access',
        org: ids['org'],
        role: 'member',
        sid: 'ses_forged',
        email: 'a@x',
        iat: Math.floor(Date.now() / 1000),
        exp,
        ...claims,
      },
      consoleKey.jwk,
    );

  beforeAll(async () => {
    platform = await ConsoleHarness.start();
    admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    const upstreamPort = await freePort();
    // The app behind the gateway: says what it got, and whether the assertion verifies against the
    // gateway's published keys.
    upstream = createServer((req, res) => {
      let assertion: unknown = null;
      const jwt = req.headers['x-rustronaut-assertion'];
      if (typeof jwt === 'string' && gatewayJwks) {
        try {
          assertion = verifyAssertion(jwt, gatewayJwks);
        } catch (error) {
          assertion = { invalid: (error as Error).message };
        }
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ path: req.url, headers: req.headers, assertion }));
    });
    await new Promise<void>((r) => upstream.listen(upstreamPort, '127.0.0.1', r));

    const site = (
      await api('POST', '/sites', {
        name: 'Apps',
        subnet: '10.30.0.0/24',
        region: 'eu',
        connection_type: 'local',
      })
    ).body;
    ids['org'] = site.org_id;
    ids['app'] = (
      await api('POST', '/resources', {
        site_id: site.id,
        name: 'app',
        protocol: 'http',
        domains: ['app.localhost'],
        targets: [{ address: `127.0.0.1:${upstreamPort}`, protocol: 'http' }],
      })
    ).body.id;
    ids['kiosk'] = (
      await api('POST', '/resources', {
        site_id: site.id,
        name: 'kiosk',
        protocol: 'http',
        domains: ['kiosk.localhost'],
        auth_methods: ['pin', 'share_link'],
        targets: [{ address: `127.0.0.1:${upstreamPort}`, protocol: 'http' }],
      })
    ).body.id;
    ids['alice'] = (
      await api('POST', '/users', { email: 'alice@zt.example', name: 'Alice', password: 'long-enough-pw' })
    ).body.id;
    await api('POST', '/policies', {
      name: 'anyone signed in',
      effect: 'allow',
      resource_ids: [ids['app']],
      subjects: { any_authenticated: true },
    });

    const db = new Client({ connectionString: platform.databaseUrl });
    await db.connect();
    const row = (
      await db.query<{ kid: string; private_jwk: JWK }>(
        `SELECT kid, private_jwk FROM "${platform.prefix}_identity".signing_keys WHERE retired_at IS NULL`,
      )
    ).rows[0]!;
    await db.end();
    consoleKey = { kid: row.kid, jwk: row.private_jwk };

    httpPort = await freePort();
    managementPort = await freePort();
    dataDir = mkdtempSync(join(tmpdir(), 'rn-zero-trust-'));
    gateway = spawn(
      process.execPath,
      [
        GATEWAY,
        ...['--sites', site.id, '--nats', platform.nats.url, '--console', platform.url],
        ...[
          '--data-dir',
          dataDir,
          '--management-port',
          String(managementPort),
          '--http-port',
          String(httpPort),
          '--https-port',
          String((httpsPort = await freePort())),
        ],
      ],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 20_000;
    for (;;) {
      const r = await fetch(`http://127.0.0.1:${managementPort}/status`, {
        headers: { authorization: `Bearer ${admin}` },
      }).catch(() => undefined);
      const status = r?.ok ? ((await r.json()) as { sites: { resources: string[] }[] }) : undefined;
      if (status?.sites[0]?.resources.includes(ids['kiosk']!)) break;
      if (Date.now() > deadline) throw new Error('the gateway did not get its snapshot');
      await new Promise((r2) => setTimeout(r2, 100));
    }
    gatewayJwks = JSON.parse((await through(httpPort, 'app.localhost', '/.rustronaut/jwks.json')).text);
    browser = await chromium.launch({
      executablePath: process.env['RN_CHROMIUM'] ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    gateway?.kill('SIGKILL');
    upstream?.close();
    await platform?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('publishes the same assertion keys on the resource host and on the management API', async () => {
    expect(gatewayJwks?.keys).toHaveLength(1);
    expect(gatewayJwks?.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    const management = await (await fetch(`http://127.0.0.1:${managementPort}/.rustronaut/jwks.json`)).json();
    expect(management).toEqual(gatewayJwks);
  });

  it('passes a signed-in user on with an assertion the app verifies, and strips what a client forges', async () => {
    const alice = (await login(platform.url, 'alice@zt.example', 'long-enough-pw')).access;
    const r = await through(httpPort, 'app.localhost', '/page', {
      token: alice,
      headers: {
        'x-rustronaut-user': 'usr_forged',
        'x-rustronaut-email': 'ceo@zt.example',
        'x-rustronaut-assertion': 'forged',
        cookie: `theme=dark; rn_sess_${ids['app']}=forged-session; lang=en`,
      },
    });
    expect(r.status).toBe(200);
    const seen = JSON.parse(r.text) as {
      headers: Record<string, string>;
      assertion: Record<string, unknown>;
    };
    expect(seen.headers['x-rustronaut-user']).toBe(ids['alice']);
    expect(seen.headers['x-rustronaut-email']).toBe('alice@zt.example');
    expect(seen.headers['cookie']).toBe('theme=dark; lang=en');
    expect(seen.headers['authorization']).toBeUndefined(); // the console token stays at the gateway
    expect(seen.assertion).toMatchObject({
      sub: ids['alice'],
      email: 'alice@zt.example',
      aud: ids['app'],
      groups: [],
    });
    expect(typeof seen.assertion['iss']).toBe('string');
    expect((seen.assertion['exp'] as number) - (seen.assertion['iat'] as number)).toBe(60);
  });

  it('refuses alg:none, expired, wrong-audience and other-organisation tokens (401)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({
      iss: 'rustronaut',
      aud: 'rustronaut',
      sub: ids['alice'],
      org: ids['org'],
      typ: 'access',
      sid: 'ses_x',
      role: 'owner',
      exp: now + 600,
    })}.`;
    const none = await through(httpPort, 'app.localhost', '/', { token: unsigned });
    expect(none.status).toBe(401);

    const expired = await through(httpPort, 'app.localhost', '/', { token: consoleToken({}, now - 10) });
    expect(expired.status).toBe(401);
    expect(expired.text).toMatch(/expired/);

    const audience = await through(httpPort, 'app.localhost', '/', {
      token: consoleToken({}, now + 600, 'some-other-service'),
    });
    expect(audience.status).toBe(401);
    expect(audience.text).toMatch(/aud/);

    const otherOrg = await through(httpPort, 'app.localhost', '/', {
      token: consoleToken({ org: 'org_someone_else' }, now + 600),
    });
    expect(otherOrg.status).toBe(401);
    expect(otherOrg.text).toMatch(/another organisation/);

    // The same real key with good claims is admitted: the refusals above were about the claims.
    const good = await through(httpPort, 'app.localhost', '/', { token: consoleToken({}, now + 600) });
    expect(good.status).toBe(200);
  });

  it('takes an API key once exchanged for an access token, until the key is revoked', async () => {
    const key = await api('POST', '/api-keys', { name: 'ci', role: 'member' });
    expect(key.status).toBe(201);
    const raw = await through(httpPort, 'app.localhost', '/', { token: key.body.key as string });
    expect(raw.status).toBe(401);
    expect(raw.text).toMatch(/exchange it for an access token at POST \/api\/v1\/auth\/token/);
    const exchanged = await call(platform.url, 'POST', '/auth/token', { token: key.body.key as string });
    expect(exchanged.status).toBe(200);
    expect(exchanged.body.expires_in).toBeLessThanOrEqual(900);
    const token = exchanged.body.access_token as string;
    expect((await through(httpPort, 'app.localhost', '/', { token })).status).toBe(200);
    // A user's own access token cannot be "exchanged": that is for API keys.
    expect((await call(platform.url, 'POST', '/auth/token', { token: admin })).status).toBe(403);
    expect((await api('DELETE', `/api-keys/${key.body.id}`)).status).toBe(200);
    await eventually(async () => (await through(httpPort, 'app.localhost', '/', { token })).status === 401);
    expect((await call(platform.url, 'GET', '/me', { token })).status).toBe(401);
  });

  it('answers a non-browser client without a token with a 401 that says what to send', async () => {
    const r = await through(httpPort, 'app.localhost', '/', { headers: { accept: 'application/json' } });
    expect(r.status).toBe(401);
    expect(r.text).toMatch(/Authorization: Bearer/);
  });

  it('refuses a logged-out session’s token within seconds', async () => {
    const { access } = await login(platform.url, 'alice@zt.example', 'long-enough-pw');
    expect((await through(httpPort, 'app.localhost', '/', { token: access })).status).toBe(200);
    expect((await call(platform.url, 'POST', '/auth/logout', { token: access })).status).toBe(200);
    await eventually(
      async () => (await through(httpPort, 'app.localhost', '/', { token: access })).status === 401,
    );
    const refused = await through(httpPort, 'app.localhost', '/', { token: access });
    expect(refused.text).toMatch(/session was ended/);
  });

  describe('in a real browser', () => {
    it('sends a browser to the console to sign in, and back to the page with a session cookie the app never sees; logout ends it', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const app = `http://app.localhost:${httpPort}`;
      await page.goto(`${app}/dashboard?tab=2`);
      expect(page.url()).toBe(`${platform.url}/login?return=${encodeURIComponent(`${app}/dashboard?tab=2`)}`);
      await expect(page.locator('h1').textContent()).resolves.toBe('Sign in');
      await page.fill('#email', 'alice@zt.example');
      await page.fill('#password', 'long-enough-pw');
      const loggedIn = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login'));
      await page.click('#submit');
      const access = ((await (await loggedIn).json()) as { access_token: string }).access_token;
      await page.waitForURL(`${app}/dashboard?tab=2`);
      const seen = JSON.parse((await page.locator('body').textContent()) ?? '{}') as {
        path: string;
        headers: Record<string, string>;
        assertion: Record<string, unknown>;
      };
      expect(seen.path).toBe('/dashboard?tab=2');
      expect(seen.headers['x-rustronaut-user']).toBe(ids['alice']);
      expect(seen.headers['cookie']).toBeUndefined(); // the session cookie stays between browser and gateway
      expect(seen.assertion).toMatchObject({ sub: ids['alice'], aud: ids['app'] });

      const cookies = await context.cookies(app);
      expect(cookies).toHaveLength(1);
      const cookie = cookies[0]!;
      expect(cookie).toMatchObject({
        name: `rn_sess_${ids['app']}`,
        domain: 'app.localhost', // host-only: no Domain attribute
        path: '/',
        httpOnly: true,
        sameSite: 'Lax',
        secure: false, // plain http here; Secure over https (unit-tested)
      });
      // Signed in on the console a moment ago: without the resource's cookie, the browser goes to the
      // console and straight back (its sign-in cookie), no password asked.
      const consoleCookies = await context.cookies(`${platform.url}/api/v1/auth/resource-handoff`);
      expect(await context.cookies(platform.url)).toEqual([]); // sent to the hand-off route only
      expect(consoleCookies).toEqual([
        expect.objectContaining({
          name: 'rn_console',
          path: '/api/v1/auth/resource-handoff',
          httpOnly: true,
          sameSite: 'Strict',
        }),
      ]);
      await context.clearCookies({ domain: 'app.localhost' });
      await page.goto(`${app}/again`);
      await page.waitForURL(`${app}/again`);
      expect(JSON.parse((await page.locator('body').textContent()) ?? '{}').path).toBe('/again');
      // The cookie alone (no bearer) is what lets a client in:
      const withCookie = () =>
        through(httpPort, 'app.localhost', '/', { headers: { cookie: `${cookie.name}=${cookie.value}` } });
      expect((await withCookie()).status).toBe(200);
      // …and a forged value is not.
      expect(
        (await through(httpPort, 'app.localhost', '/', { headers: { cookie: `${cookie.name}=tampered` } }))
          .status,
      ).toBe(401);

      expect((await call(platform.url, 'POST', '/auth/logout', { token: access })).status).toBe(200);
      await eventually(async () => (await withCookie()).status === 401);
      expect((await withCookie()).text).toMatch(/session was ended/);
      // The browser is sent to sign in again, and the console's cookie no longer signs it in.
      const attempt = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/resource-handoff'));
      await page.goto(`${app}/dashboard`);
      expect((await attempt).status()).toBe(401);
      expect(page.url()).toMatch(new RegExp(`^${platform.url}/login\\?return=`));
      expect(await page.locator('#email').isVisible()).toBe(true);
      await context.close();
    });

    it.each([
      ['//evil.example/phish', /http:\/\/ or https:\/\//],
      ['javascript:alert(document.cookie)', /http:\/\/ or https:\/\//],
      ['http://app.localhost@evil.example/', /user information/],
      ['https:\\\\evil.example', /backslashes/],
    ])('refuses a sign-in link returning to %j with a page that says why', async (target, why) => {
      const page = await browser.newPage();
      const response = await page.goto(`${platform.url}/login?return=${encodeURIComponent(target)}`);
      expect(response?.status()).toBe(400);
      await expect(page.locator('#error').textContent()).resolves.toMatch(why);
      expect(await page.locator('form').count()).toBe(0);
      await page.close();
    });

    it('refuses, after sign-in, to return to a host that is not a resource of the organisation', async () => {
      const page = await browser.newPage();
      await page.goto(`${platform.url}/login?return=${encodeURIComponent('https://evil.example/x')}`);
      await page.fill('#email', 'alice@zt.example');
      await page.fill('#password', 'long-enough-pw');
      await page.click('#submit');
      await page.locator('#error', { hasText: 'refused' }).waitFor();
      expect(await page.locator('#error').textContent()).toMatch(
        /evil\.example is not a resource of your organisation/,
      );
      expect(page.url().startsWith(platform.url)).toBe(true);
      await page.close();
    });

    it('over HTTPS, marks the session cookie Secure (real TLS, the gateway’s development CA)', async () => {
      const alice = (await login(platform.url, 'alice@zt.example', 'long-enough-pw')).access;
      const handoff = await call(platform.url, 'POST', '/auth/resource-handoff', {
        token: alice,
        body: { return_url: `https://app.localhost:${httpsPort}/secure?x=1` },
      });
      expect(handoff.status).toBe(200);
      const url = new URL(handoff.body.redirect_url as string);
      expect(`${url.protocol}//${url.host}`).toBe(`https://app.localhost:${httpsPort}`);
      const answer = await new Promise<{ status: number; headers: Record<string, unknown> }>(
        (resolve, reject) => {
          const req = httpsRequest(
            {
              host: '127.0.0.1',
              port: httpsPort,
              servername: 'app.localhost',
              path: `${url.pathname}${url.search}`,
              headers: { host: `app.localhost:${httpsPort}` },
              ca: readFileSync(join(dataDir, 'tls', 'ca.crt')),
            },
            (res) => {
              res.resume();
              res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
            },
          );
          req.on('error', reject);
          req.end();
        },
      );
      expect(answer.status).toBe(302);
      expect(answer.headers['location']).toBe('/secure?x=1');
      expect(String(answer.headers['set-cookie'])).toMatch(
        /^rn_sess_\w+=[^;]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax; Secure$/,
      );
    });

    it("takes a sign-in hand-off once, and never redirects off the resource's host", async () => {
      const alice = (await login(platform.url, 'alice@zt.example', 'long-enough-pw')).access;
      const handoff = await call(platform.url, 'POST', '/auth/resource-handoff', {
        token: alice,
        body: { return_url: `http://app.localhost:${httpPort}/after` },
      });
      expect(handoff.status).toBe(200);
      const url = new URL(handoff.body.redirect_url as string);
      expect(url.pathname).toBe('/.rustronaut/auth/callback');
      expect(url.searchParams.get('return')).toBe('/after');
      const callback = `${url.pathname}${url.search}`;
      const first = await through(httpPort, 'app.localhost', callback);
      expect(first.status).toBe(302);
      expect(first.headers['location']).toBe('/after');
      expect(String(first.headers['set-cookie'])).toMatch(
        /^rn_sess_\w+=[^;]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/,
      );
      const again = await through(httpPort, 'app.localhost', callback);
      expect(again.status).toBe(401);
      expect(again.text).toMatch(/already used/);
      // A callback that tries to send the browser elsewhere goes to / on this host instead.
      const evil = await call(platform.url, 'POST', '/auth/resource-handoff', {
        token: alice,
        body: { return_url: `http://app.localhost:${httpPort}/ok` },
      });
      const evilUrl = new URL(evil.body.redirect_url as string);
      evilUrl.searchParams.set('return', '//evil.example/');
      const redirected = await through(httpPort, 'app.localhost', `${evilUrl.pathname}${evilUrl.search}`);
      expect(redirected.headers['location']).toBe('/');
    });
  });

  describe('a PIN and share links (people without an account)', () => {
    const kiosk = () => `http://kiosk.localhost:${httpPort}`;
    /** The gateway's answer for a session cookie, once its snapshot has caught up. */
    const withCookie = (cookie: string) =>
      through(httpPort, 'kiosk.localhost', '/', { headers: { cookie, accept: 'application/json' } });

    it('keeps the PIN hashed, shows only that it is set, and refuses a PIN that is not 4–12 digits', async () => {
      const bad = await api('PUT', `/resources/${ids['kiosk']}/pin`, { pin: '12ab' });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toMatch(/4 to 12 digits/);
      const noMethod = await api('PUT', `/resources/${ids['app']}/pin`, { pin: '4829' });
      expect(noMethod.status).toBe(400);
      expect(noMethod.body.error.message).toMatch(/add "pin" to its auth_methods/);
      const set = await api('PUT', `/resources/${ids['kiosk']}/pin`, { pin: '482913' });
      expect(set.status).toBe(200);
      expect(set.body.access).toEqual({ pin: true, password: false });
      expect(JSON.stringify(set.body)).not.toMatch(/482913|scrypt/);
      const audit = await api('GET', '/audit?type=ResourceAccessSecretSet');
      expect(audit.status).toBe(200);
      expect(audit.body.items.length).toBeGreaterThan(0); // the change is audited, with the hash redacted
      expect(JSON.stringify(audit.body)).not.toMatch(/482913|scrypt\$/);
    });

    it('asks a browser for the PIN on the gateway, refuses a wrong one, and lets the right one in', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await eventually(async () => {
        await page.goto(`${kiosk()}/board?x=1`);
        return page.url().startsWith(`${kiosk()}/.rustronaut/auth/unlock`);
      });
      await page.fill('#secret', '000000');
      await page.click('#submit');
      await page.locator('#error', { hasText: 'not right' }).waitFor();
      await page.fill('#secret', '482913');
      await page.click('#submit');
      await page.waitForURL(`${kiosk()}/board?x=1`);
      const seen = JSON.parse((await page.locator('body').textContent()) ?? '{}') as {
        headers: Record<string, string>;
      };
      expect(seen.headers['x-rustronaut-user']).toBeUndefined(); // no account, no identity
      expect(seen.headers['cookie']).toBeUndefined();
      const [cookie] = await context.cookies(kiosk());
      expect(cookie).toMatchObject({ name: `rn_sess_${ids['kiosk']}`, httpOnly: true, sameSite: 'Lax' });
      const session = `${cookie!.name}=${cookie!.value}`;
      expect((await withCookie(session)).status).toBe(200);
      // Signing out of the resource forgets the cookie in this browser.
      await page.goto(`${kiosk()}/.rustronaut/auth/logout`);
      expect(await context.cookies(kiosk())).toEqual([]);
      await page.goto(`${kiosk()}/board`);
      expect(page.url()).toMatch(/\/\.rustronaut\/auth\/unlock\?return=%2Fboard$/);
      // A new PIN ends the sessions the old one opened.
      expect((await api('PUT', `/resources/${ids['kiosk']}/pin`, { pin: '555123' })).status).toBe(200);
      await eventually(async () => (await withCookie(session)).status === 401);
      await context.close();
    });

    it('rate-limits wrong PIN attempts per client address', async () => {
      const attempt = (localAddress: string, secret: string) =>
        through(httpPort, 'kiosk.localhost', '/.rustronaut/auth/unlock', {
          method: 'POST',
          localAddress,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ secret, return: '/' }).toString(),
        });
      for (let i = 0; i < 5; i++) expect((await attempt('127.0.0.3', '111111')).status).toBe(401);
      const limited = await attempt('127.0.0.3', '555123');
      expect(limited.status).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Another address is not affected, and the right PIN opens it.
      const other = await attempt('127.0.0.4', '555123');
      expect(other.status).toBe(303);
      expect(other.headers['location']).toBe('/');
    });

    it('opens the resource with a share link, until the link is revoked or expires', async () => {
      const created = await api('POST', `/resources/${ids['kiosk']}/share-links`, { expires_in_s: 3600 });
      expect(created.status).toBe(201);
      expect(created.body.url).toMatch(/^https:\/\/kiosk\.localhost\/\.rustronaut\/share\/[\w-]{43}$/);
      const token = (created.body.path as string).split('/').pop()!;
      const listed = await api('GET', `/resources/${ids['kiosk']}/share-links`);
      expect(listed.body.items).toEqual([expect.objectContaining({ id: created.body.id, revoked_at: null })]);
      expect(JSON.stringify(listed.body)).not.toContain(token);

      const context = await browser.newContext();
      const page = await context.newPage();
      await eventually(async () => {
        await page.goto(`${kiosk()}${created.body.path as string}`);
        return page.url() === `${kiosk()}/`;
      });
      const [cookie] = await context.cookies(kiosk());
      const session = `${cookie!.name}=${cookie!.value}`;
      expect((await withCookie(session)).status).toBe(200);
      await context.close();

      expect((await through(httpPort, 'kiosk.localhost', '/.rustronaut/share/not-a-real-token')).status).toBe(
        403,
      );
      const revoked = await api('DELETE', `/resources/${ids['kiosk']}/share-links/${created.body.id}`);
      expect(revoked.body.revoked_at).not.toBeNull();
      await eventually(async () => (await withCookie(session)).status === 401);
      const again = await through(httpPort, 'kiosk.localhost', created.body.path as string);
      expect(again.status).toBe(403);
      expect(again.text).toMatch(/expired, was revoked/);

      const brief = await api('POST', `/resources/${ids['kiosk']}/share-links`, { expires_in_s: 2 });
      await new Promise((r) => setTimeout(r, 2_100));
      expect((await through(httpPort, 'kiosk.localhost', brief.body.path as string)).status).toBe(403);
    });
  });
});
