import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  ADMIN,
  ConsoleHarness,
  eventually,
  field,
  launchChromium,
  select,
  seriousViolations,
} from '@rustronaut/console-testing';
import { freePort } from '@rustronaut/testing';

const ROOT = join(__dirname, '../../..');
const SHOTS = join(ROOT, 'docs/console');

describe('the web console (e2e: console, gateway and Chromium as processes)', () => {
  let platform: ConsoleHarness;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let upstream: Server;
  let upstreamPort: number;
  let gateway: ChildProcess | undefined;
  let gatewayLog = '';
  let gatewayHttp: number;
  const dataDir = mkdtempSync(join(tmpdir(), 'rn-console-gw-'));
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    platform = await ConsoleHarness.start({}, { upWithinMs: 150_000 });
    upstream = createServer((req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(
        `<!doctype html><title>App</title><h1>Hello from the app, ${String(req.headers['x-rustronaut-email'])}</h1>`,
      );
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamPort = (upstream.address() as { port: number }).port;
    gatewayHttp = await freePort();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    gateway?.kill('SIGTERM');
    upstream?.close();
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the console at / (any app path gets the page), keeps the API and the gateway login page', async () => {
    const root = await fetch(`${platform.url}/sites/anything`);
    expect(root.status).toBe(200);
    expect(root.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await root.text()).toContain('<div id="root">');
    const missing = await fetch(`${platform.url}/api/v1/no-such-route`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('API_ROUTE_NOT_FOUND');
    expect((await fetch(`${platform.url}/assets/nope.js`)).status).toBe(404);
    const login = await fetch(`${platform.url}/login?return=${encodeURIComponent('http://app.localhost/')}`);
    expect(await login.text()).toContain('<h1>Sign in</h1>');
  });

  it('refuses a write with the session cookie but without the CSRF token', async () => {
    const signIn = await fetch(`${platform.url}/api/v1/auth/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    });
    const cookies = signIn.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const site = { name: 'csrf', subnet: '10.99.0.0/24', region: 'x', connection_type: 'local' };
    const forged = await fetch(`${platform.url}/api/v1/sites`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: cookies },
      body: JSON.stringify(site),
    });
    expect(forged.status).toBe(403);
    const read = await fetch(`${platform.url}/api/v1/sites`, { headers: { cookie: cookies } });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { items: unknown[] }).items).toHaveLength(0);
  });

  it('walks a new admin from sign-in to a resource opened through the gateway, its access log and the simulator', async () => {
    // Sign in; a page asked for before sign-in is where the console comes back to.
    await page.goto(`${platform.url}/resources`);
    await page.waitForURL(/\/sign-in\?return=%2Fresources/);
    await shot('sign-in');
    expect(await seriousViolations(page)).toEqual([]);
    await field(page, 'Email').fill(ADMIN.email);
    await field(page, 'Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/./);
    await field(page, 'Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${platform.url}/resources`);
    await page.getByText('No resources yet').waitFor();

    // A site: the API's validation error shows beside the field, then it is created.
    await page.getByRole('link', { name: 'Sites' }).click();
    await page.getByRole('button', { name: 'New site' }).click();
    await field(page, 'Name').fill('HQ');
    await field(page, 'Subnet').fill('10.1.0.0/33');
    await field(page, 'Region').fill('eu-west');
    await select(page, 'Connection', 'Local network of the gateway');
    await page.getByRole('button', { name: 'Create site' }).click();
    await page.getByText(/is not a CIDR/).waitFor();
    expect(await field(page, 'Subnet').getAttribute('aria-invalid')).toBe('true');
    await field(page, 'Subnet').fill('10.1.0.0/24');
    await page.getByRole('button', { name: 'Create site' }).click();
    await page.getByRole('cell', { name: 'HQ' }).waitFor();
    await shot('sites');
    expect(await seriousViolations(page)).toEqual([]);

    // A gateway, and the enrolment command it shows, run as shown (plus this test's ports and NATS).
    await page.getByRole('link', { name: 'Gateways' }).click();
    await page.getByRole('button', { name: 'New gateway' }).click();
    await field(page, 'Name').fill('edge-1');
    await field(page, 'Region').fill('eu-west');
    await field(page, 'Sites it serves').first().click({ force: true });
    await page.getByRole('option', { name: 'HQ' }).click();
    await page.keyboard.press('Escape');
    await field(page, 'Public IP').fill('203.0.113.10');
    await page.getByRole('button', { name: 'Create gateway' }).click();
    const command = (await page.locator('pre[aria-label="Enrolment command"]').textContent())!;
    expect(command).toMatch(
      /^node dist\/apps\/gateway\/src\/main\.js --console http:\/\/127\.0\.0\.1:\d+ --enroll rng_\S+ --data-dir \S+$/,
    );
    const [node, ...args] = command.split(' ');
    expect(node).toBe('node');
    gateway = spawn(
      process.execPath,
      [
        ...args,
        '--data-dir',
        dataDir,
        '--nats',
        platform.nats.url,
        '--http-port',
        String(gatewayHttp),
        '--https-port',
        String(await freePort()),
        '--management-port',
        String(await freePort()),
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, RN_GATEWAY_HTTP_HOST: '127.0.0.1' },
      },
    );
    gateway.stdout?.on('data', (c: Buffer) => (gatewayLog += c.toString()));
    gateway.stderr?.on('data', (c: Buffer) => (gatewayLog += c.toString()));
    // Its status turns healthy on the page by itself (server-sent events, no reload).
    await eventually(
      async () =>
        (await page.getByTestId('gateway-edge-1').getByText('healthy', { exact: true }).count()) > 0,
      () => `the gateway healthy on the page\n${gatewayLog}`,
      120_000,
    );
    await shot('gateways');
    expect(await seriousViolations(page)).toEqual([]);

    // A resource with a target, in the form.
    await page.getByRole('link', { name: 'Resources' }).click();
    await page.getByRole('link', { name: 'New resource' }).click();
    await field(page, 'Name').fill('app');
    await field(page, 'Domains').fill('app.localhost');
    await page.getByRole('button', { name: 'Add target' }).click();
    await field(page, 'Target 1 address').fill(`127.0.0.1:${upstreamPort}`);
    await page.getByRole('button', { name: 'Create resource' }).click();
    await page.getByRole('heading', { name: 'DNS records to create' }).waitFor();
    await shot('resource');
    expect(await seriousViolations(page)).toEqual([]);

    // Two policies in the editor: admins may reach the app, nobody its /admin.
    for (const [name, effect, path] of [
      ['admins', 'Allow', ''],
      ['no admin pages', 'Deny', '/admin'],
    ] as const) {
      await page.getByRole('link', { name: 'Policies' }).click();
      await page.getByRole('link', { name: 'New policy' }).click();
      await field(page, 'Name').fill(name);
      await page.locator(`label[for$="-${effect.toLowerCase()}"]`).click();
      await field(page, 'Resources').first().click({ force: true });
      await page.getByRole('option', { name: 'app' }).click();
      await page.keyboard.press('Escape');
      await page.getByRole('checkbox', { name: 'Admins' }).check();
      await page.getByRole('checkbox', { name: 'Owners' }).check();
      if (path) await field(page, 'Path prefixes').fill(path);
      await page.getByRole('button', { name: 'Create policy' }).click();
      await page.waitForURL(/\/policies\/pol_/);
    }
    await page.getByRole('link', { name: 'Policies' }).click();
    await page.getByRole('cell', { name: 'no admin pages' }).waitFor();
    await shot('policies');
    expect(await seriousViolations(page)).toEqual([]);

    // The resource through the gateway, in the same browser: in without a password.
    const app = `http://app.localhost:${gatewayHttp}`;
    await eventually(
      async () => {
        const r = await page.goto(`${app}/`);
        return (
          r?.status() === 200 && (await page.locator('h1').textContent())?.includes('Hello from the app')
        );
      },
      () => `the app through the gateway\n${gatewayLog}`,
    );
    expect(page.url()).toBe(`${app}/`);
    await expect(page.locator('h1').textContent()).resolves.toBe(`Hello from the app, ${ADMIN.email}`);
    const refused = await page.goto(`${app}/admin/settings`);
    expect(refused?.status()).toBe(403);

    // The access log has both; the refused line opens the simulator, which names the deciding policy.
    await page.goto(`${platform.url}/access-log`);
    await eventually(
      async () => {
        await page.getByRole('button', { name: 'Filter' }).click();
        return (await page.getByTestId('access-line').count()) >= 2;
      },
      'the accesses in the access log',
      90_000,
    );
    const allowedLine = page
      .locator('[data-testid="access-line"][data-decision="allowed"]')
      .filter({ hasText: 'app.localhost' });
    await expect(allowedLine.first().textContent()).resolves.toContain(ADMIN.email);
    await shot('access-log');
    expect(await seriousViolations(page)).toEqual([]);
    const refusedLine = page
      .locator('[data-testid="access-line"][data-decision="refused"]')
      .filter({ hasText: '/admin/settings' })
      .first();
    await eventually(
      async () => {
        await page.getByRole('button', { name: 'Filter' }).click();
        return (await refusedLine.count()) > 0;
      },
      'the refused request in the access log',
      90_000,
    );
    await refusedLine.getByRole('link', { name: 'Why?' }).click();
    await page.waitForURL(/\/simulator\?/);
    await page.getByRole('button', { name: 'Simulate' }).click();
    const verdict = page.getByTestId('simulation');
    await verdict.waitFor();
    await expect(verdict.textContent()).resolves.toMatch(
      /Refused at app.*Decided by: no admin pages \(deny\)/s,
    );
    await shot('simulator');
    expect(await seriousViolations(page)).toEqual([]);
  }, 240_000);

  it('tails the access log live as the gateway ships new requests', async () => {
    await page.goto(`${platform.url}/access-log`);
    await page.getByRole('switch', { name: 'Live tail' }).check({ force: true });
    await page.getByText('Following new requests').waitFor();
    // The line arrives over the live stream: the list is not reloaded (no new GET of the access log).
    const reloads: string[] = [];
    page.on('request', (r) => {
      if (/\/api\/v1\/access-log\?/.test(r.url())) reloads.push(r.url());
    });
    const other = await context.newPage();
    await other.goto(`http://app.localhost:${gatewayHttp}/live-tail-check`);
    await other.close();
    await page
      .locator('[data-testid="access-line"]')
      .filter({ hasText: '/live-tail-check' })
      .waitFor({ timeout: 30_000 });
    await expect(page.getByText(/\([1-9]\d* so far\)/).count()).resolves.toBe(1);
    expect(reloads).toEqual([]);
  }, 60_000);

  it('says a change lost to someone else’s and offers to reload', async () => {
    await page.goto(`${platform.url}/policies`);
    await page.getByRole('link', { name: 'admins' }).click();
    await field(page, 'Name').fill('admins edited here');
    // Someone else saves the same policy first, with the API.
    const id = page.url().split('/').pop()!;
    const cookies = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const csrf = (await context.cookies()).find((c) => c.name === 'rn_csrf')!.value;
    const current = await fetch(`${platform.url}/api/v1/policies/${id}`, { headers: { cookie: cookies } });
    const changed = await fetch(`${platform.url}/api/v1/policies/${id}`, {
      method: 'PATCH',
      headers: {
        'content-type': 'application/json',
        cookie: cookies,
        'x-csrf-token': csrf,
        'if-match': `"${((await current.json()) as { version: number }).version}"`,
      },
      body: JSON.stringify({ name: 'admins edited elsewhere' }),
    });
    expect({ status: changed.status, body: changed.status === 200 ? '' : await changed.text() }).toEqual({
      status: 200,
      body: '',
    });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Changed by someone else', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Reload' }).click();
    await eventually(
      async () => (await field(page, 'Name').inputValue()) === 'admins edited elsewhere',
      'the reloaded policy in the form',
    );
    await expect(page.getByText('Changed by someone else', { exact: true }).count()).resolves.toBe(0);
  }, 60_000);

  it('shows every page without serious accessibility violations, reachable by keyboard', async () => {
    for (const [path, name] of [
      ['/', 'overview'],
      ['/services', 'services'],
      ['/audit', 'audit'],
      ['/users', 'users'],
      ['/api-keys', 'api-keys'],
      ['/account', 'account'],
    ] as const) {
      await page.goto(`${platform.url}${path}`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.waitForLoadState('networkidle');
      await shot(name);
      expect({ path, violations: await seriousViolations(page) }).toEqual({ path, violations: [] });
    }
    // Tab from the top reaches the navigation's links.
    await page.goto(`${platform.url}/`);
    let reached = '';
    for (let i = 0; i < 12 && reached !== 'Sites'; i++) {
      await page.keyboard.press('Tab');
      reached = (
        await page.evaluate(
          () =>
            (globalThis as unknown as { document: { activeElement: { textContent: string | null } | null } })
              .document.activeElement?.textContent ?? '',
        )
      ).trim();
    }
    expect(reached).toBe('Sites');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${platform.url}/sites`);
  }, 120_000);

  it('signs out: the session ends and the pages send you to sign-in', async () => {
    await page.goto(`${platform.url}/`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
    await page.goto(`${platform.url}/gateways`);
    await page.waitForURL(/\/sign-in\?return=%2Fgateways/);
  }, 60_000);
});
