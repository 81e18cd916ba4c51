import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';
import { freePort } from '@rustronaut/testing';
import { GatewayProcess, through, untilServes } from './support/gateway-process';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const BROWSER_HEADERS = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0',
  accept: 'text/html,application/xhtml+xml',
  'accept-language': 'en-GB,en;q=0.8',
};

/** Solves the challenge page as its script would: reads the nonce and cookie name, finds the counter. */
function solve(page: string, bits: number): string {
  const nonce = JSON.parse(/const nonce = ("[^"]+")/.exec(page)?.[1] ?? '""') as string;
  const cookie = JSON.parse(/cookie = ("[^"]+")/.exec(page)?.[1] ?? '""') as string;
  for (let counter = 0; ; counter++) {
    const digest = createHash('sha256').update(`${nonce}.${counter}`).digest();
    let zeros = 0;
    for (const byte of digest) {
      if (byte === 0) zeros += 8;
      else {
        zeros += Math.clz32(byte) - 24;
        break;
      }
    }
    if (zeros >= bits) return `${cookie}=${nonce}.${counter}`;
  }
}

describe('the bot challenge (e2e, started processes, a real browser)', () => {
  let platform: ConsoleHarness;
  let admin: string;
  let upstream: Server;
  let gateway: GatewayProcess;
  let browser: Browser | undefined;
  const seen: string[] = [];
  const ids: Record<string, string> = {};
  const api = (method: string, path: string, body?: unknown) =>
    call(platform.url, method, path, { token: admin, body });

  beforeAll(async () => {
    platform = await ConsoleHarness.start();
    admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    const upstreamPort = await freePort();
    upstream = createServer((req, res) => {
      seen.push(`${req.url} cookie=${req.headers.cookie ?? ''}`);
      res.writeHead(200, { 'content-type': 'text/html' }).end('<title>the app</title><p>welcome</p>');
    });
    await new Promise<void>((r) => upstream.listen(upstreamPort, '127.0.0.1', r));
    const site = (
      await api('POST', '/sites', {
        name: 'Bots',
        subnet: '10.50.0.0/24',
        region: 'eu',
        connection_type: 'local',
      })
    ).body;
    for (const [name, authRequired] of [
      ['guarded', false],
      ['guardedapi', true],
    ] as const) {
      const created = await api('POST', '/resources', {
        site_id: site.id,
        name,
        protocol: 'http',
        domains: [`${name}.localhost`],
        auth_required: authRequired,
        bot_challenge: true,
        targets: [{ address: `127.0.0.1:${upstreamPort}`, protocol: 'http' }],
      });
      if (created.status !== 201) throw new Error(JSON.stringify(created.body));
      ids[name] = created.body.id as string;
    }
    await api('POST', '/policies', {
      name: 'any user',
      effect: 'allow',
      resource_ids: [ids['guardedapi']],
      subjects: { any_authenticated: true },
    });
    gateway = await GatewayProcess.start(platform, admin, site.id as string);
    await untilServes(gateway, Object.values(ids));
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    gateway?.stop();
    upstream?.close();
    await platform?.stop();
  });

  it('serves the challenge page to a bot-like client, and lets it through once it solved it (same address only)', async () => {
    seen.length = 0;
    const first = await through(gateway.httpPort, 'guarded.localhost', '/report', {
      headers: { 'user-agent': 'curl/8.5.0' },
      from: '127.0.0.2',
    });
    expect(first.status).toBe(403);
    expect(first.headers['content-type']).toMatch(/text\/html/);
    expect(first.text).toMatch(/Checking your browser before opening guarded/);
    expect(seen).toEqual([]);
    const bits = Number(/bits=(\d+)/.exec(String(first.headers['x-rustronaut-challenge']))?.[1]);
    expect(bits).toBeGreaterThan(0);
    const cookie = solve(first.text, bits);
    const passed = await through(gateway.httpPort, 'guarded.localhost', '/report', {
      headers: { 'user-agent': 'curl/8.5.0', cookie: `theme=dark; ${cookie}` },
      from: '127.0.0.2',
    });
    expect(passed.status).toBe(200);
    expect(seen).toEqual(['/report cookie=theme=dark']); // the pass is the gateway's: the target never sees it
    const elsewhere = await through(gateway.httpPort, 'guarded.localhost', '/report', {
      headers: { 'user-agent': 'curl/8.5.0', cookie },
      from: '127.0.0.3',
    });
    expect(elsewhere.status).toBe(403);
    const forged = await through(gateway.httpPort, 'guarded.localhost', '/report', {
      headers: {
        'user-agent': 'curl/8.5.0',
        cookie: cookie.replace(/\.(\d+)$/, (_, n: string) => `.${Number(n) + 1}`),
      },
      from: '127.0.0.2',
    });
    expect(forged.status).toBe(403);
  });

  it('does not challenge an ordinary browser request', async () => {
    const r = await through(gateway.httpPort, 'guarded.localhost', '/', { headers: BROWSER_HEADERS });
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/welcome/);
  });

  it('lets API clients with a valid bearer token skip it; an invalid one is not let through', async () => {
    await api('POST', '/users', { email: 'api@bots.example', name: 'Api', password: 'long-enough-pw' });
    const token = (await login(platform.url, 'api@bots.example', 'long-enough-pw')).access;
    const headers = { 'user-agent': 'python-requests/2.31' };
    expect((await through(gateway.httpPort, 'guardedapi.localhost', '/v1', { headers, token })).status).toBe(
      200,
    );
    expect((await through(gateway.httpPort, 'guarded.localhost', '/v1', { headers, token })).status).toBe(
      200,
    );
    const badProtected = await through(gateway.httpPort, 'guardedapi.localhost', '/v1', {
      headers,
      token: 'x.y.z',
    });
    expect(badProtected.status).toBe(401);
    const badPublic = await through(gateway.httpPort, 'guarded.localhost', '/v1', {
      headers,
      token: 'x.y.z',
    });
    expect(badPublic.status).toBe(403);
    expect(badPublic.text).toMatch(/Checking your browser/);
  });

  it('a headless Chromium gets the challenge, solves it in the page and lands on the app', async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const page = await browser.newPage();
    const statuses: number[] = [];
    page.on('response', (r) => statuses.push(r.status()));
    await page.goto(`http://guarded.localhost:${gateway.httpPort}/dashboard`);
    await page.waitForSelector('text=welcome', { timeout: 20_000 });
    expect(await page.title()).toBe('the app');
    expect(statuses[0]).toBe(403); // the challenge came first
    expect(statuses[statuses.length - 1]).toBe(200);
    const cookies = await page.context().cookies();
    expect(cookies.map((c) => c.name)).toContain(`rn_sess_pass_${ids['guarded']}`);
  }, 60_000);
});
