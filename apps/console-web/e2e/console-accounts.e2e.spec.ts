import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  ADMIN,
  addVirtualAuthenticator,
  ConsoleHarness,
  NetworkLab,
  TestOidcProvider,
  gatewayInNamespaceArgs,
  call,
  eventually,
  field,
  fieldError,
  launchChromium,
  login,
  select,
  seriousViolations,
} from '@rustronaut/console-testing';
import { freePort } from '@rustronaut/testing';

const SHOTS = join(__dirname, '../../../docs/console');
const GATEWAY = join(__dirname, '../../../dist/apps/gateway/src/main.js');

// A browser against processes on a loaded machine: each step may take seconds.
jest.setTimeout(120_000);

/**
 * Closes a test's own browser context once its assertions are done. Chromium has been seen to
 * leave `BrowserContext.close()` unanswered for minutes when it comes while a redirect to sign-in
 * is still committing (every assertion of the test had passed); the context is abandoned after
 * 10 s instead, and the browser, closed after all tests, takes it with it.
 */
async function closeOwn(context: BrowserContext): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    context.close().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 10_000);
    }),
  ]);
  clearTimeout(timer);
}

/** A WireGuard public key made here (the device keeps its private key). */
function wireGuardPublicKey(): string {
  const { publicKey } = generateKeyPairSync('x25519');
  return Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64');
}

/**
 * The console's accounts and devices in a browser, against a platform started without an
 * administrator (RN_ADMIN_SETUP=console): the first run, password / passkey / identity-provider
 * sign-in, sign-out and an expired session, users and groups, devices with their config.
 */
describe('the web console: first run, sign-in, users and groups, devices (e2e)', () => {
  let platform: ConsoleHarness;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let admin: string;
  /** The console as the browser reaches it: WebAuthn refuses an IP address as the relying party. */
  const consoleAt = () => platform.url.replace('127.0.0.1', 'localhost');
  const api = (method: string, path: string, body?: unknown) =>
    call(platform.url, method, path, { token: admin, ...(body === undefined ? {} : { body }) });
  const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  async function signIn(p: Page, email = ADMIN.email, password = ADMIN.password) {
    await field(p, 'Email').fill(email);
    await field(p, 'Password').fill(password);
    await p.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  beforeAll(async () => {
    platform = await ConsoleHarness.start(
      {
        RN_ADMIN_SETUP: 'console',
        RN_SECRETS_KEY: randomBytes(32).toString('base64'),
        // One admin signs in many times a minute here.
        RN_LOGIN_LIMIT_PER_ACCOUNT: '100',
        // The WireGuard gateway's state reaches the console within seconds.
        RN_GATEWAY_HEARTBEAT_INTERVAL: '2',
      },
      { upWithinMs: 150_000 },
    );
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it('first run: the platform without an administrator asks for one and the organisation name, once', async () => {
    expect((await call(platform.url, 'GET', '/setup')).body).toEqual({ needed: true });
    // Nobody can sign in yet: the console sends the first visitor to the first run.
    await page.goto(`${consoleAt()}/users`);
    await page.waitForURL(/\/first-run$/);
    expect(await seriousViolations(page)).toEqual([]);
    const form = page.getByRole('form', { name: 'First run' });
    await field(form, 'Organisation name').fill('Acme Networks');
    await field(form, 'Your name').fill('Ada Admin');
    await field(form, 'Email').fill(ADMIN.email);
    await field(form, 'Password').fill('too-short');
    await form.getByRole('button', { name: 'Create the administrator' }).click();
    expect(await fieldError(form, 'Password')).toContain('at least 10 characters');
    await shot(page, 'first-run');
    expect((await call(platform.url, 'GET', '/setup')).body).toEqual({ needed: true });

    await field(form, 'Password').fill(ADMIN.password);
    await form.getByRole('button', { name: 'Create the administrator' }).click();
    // Signed in as the new owner, in the console.
    await page.waitForURL(`${consoleAt()}/`);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    expect((await api('GET', '/orgs')).body.items).toEqual([
      expect.objectContaining({ name: 'Acme Networks', slug: 'default' }),
    ]);
    expect((await api('GET', '/users')).body.items).toEqual([
      expect.objectContaining({ email: ADMIN.email, name: 'Ada Admin', role: 'owner' }),
    ]);

    // Done once: the API refuses a second first run, the page is gone.
    expect((await call(platform.url, 'GET', '/setup')).body).toEqual({ needed: false });
    const again = await call(platform.url, 'POST', '/setup', {
      body: { organization: 'Evil', name: 'Eve', email: 'eve@example.com', password: 'eve-password-1' },
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('IDENTITY_SETUP_DONE');
    await page.goto(`${consoleAt()}/first-run`);
    await page.waitForURL(/\/sign-in$/);
  });

  it('users: edit one (the API validation error beside the field) and delete one', async () => {
    const pat = (
      await api('POST', '/users', { email: 'pat@example.com', name: 'Pat', password: 'pat-password-1' })
    ).body;
    await page.goto(`${consoleAt()}/users`);
    await page.getByRole('button', { name: 'Edit pat@example.com' }).click();
    const form = page.getByRole('form', { name: 'Edit pat@example.com' });
    await field(form, 'Email').fill('not-an-email');
    await form.getByRole('button', { name: 'Save' }).click();
    expect(await fieldError(form, 'Email')).not.toBe('');
    await shot(page, 'users-edit-error');

    await field(form, 'Email').fill('pat@corp.example');
    await field(form, 'Name').fill('Pat Smith');
    await select(page, 'Role', 'admin', form);
    await form.getByRole('button', { name: 'Save' }).click();
    const row = page.getByRole('row', { name: /pat@corp\.example/ });
    await row.getByRole('cell', { name: 'Pat Smith', exact: true }).waitFor();
    expect(await row.getByRole('cell', { name: 'admin', exact: true }).count()).toBe(1);
    expect((await api('GET', `/users/${pat.id}`)).body).toMatchObject({
      email: 'pat@corp.example',
      name: 'Pat Smith',
      role: 'admin',
    });
    expect(await seriousViolations(page)).toEqual([]);
    await shot(page, 'users-actions');

    // Disabled: the badge says so and the account cannot sign in; enabled again, it can.
    await page.getByRole('button', { name: 'Disable pat@corp.example' }).click();
    await row.getByText('disabled', { exact: true }).waitFor();
    const refused = await call(platform.url, 'POST', '/auth/login', {
      body: { email: 'pat@corp.example', password: 'pat-password-1' },
    });
    expect(refused.body.error.code).toBe('AUTH_ACCOUNT_DISABLED');
    // Nobody disables themself: the API's refusal is shown in the row.
    const me = page.getByRole('row', { name: new RegExp(ADMIN.email.replace(/\./g, '\\.')) });
    await page.getByRole('button', { name: `Disable ${ADMIN.email}` }).click();
    await me.getByRole('alert').waitFor();
    expect(await me.getByRole('alert').textContent()).toMatch(/yourself|own|self/i);
    await page.getByRole('button', { name: 'Enable pat@corp.example' }).click();
    await eventually(
      async () => (await row.getByText('disabled', { exact: true }).count()) === 0,
      'the badge gone once enabled',
    );
    await login(platform.url, 'pat@corp.example', 'pat-password-1');

    await page.getByRole('button', { name: 'Delete pat@corp.example' }).click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await eventually(
      async () => (await page.getByRole('row', { name: /pat@corp\.example/ }).count()) === 0,
      'the deleted user gone from the table',
    );
    expect((await api('GET', `/users/${pat.id}`)).status).toBe(404);
  });

  it('groups: rename one (the API validation error beside the field) and delete one', async () => {
    const group = (await api('POST', '/groups', { name: 'Engineers' })).body;
    await page.goto(`${consoleAt()}/users`);
    await page.getByRole('button', { name: 'Rename Engineers' }).click();
    const form = page.getByRole('form', { name: 'Rename Engineers' });
    await field(form, 'New name of Engineers').fill('   ');
    await form.getByRole('button', { name: 'Save' }).click();
    expect(await fieldError(form, 'New name of Engineers')).not.toBe('');
    await field(form, 'New name of Engineers').fill('Platform team');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('combobox', { name: 'Members of Platform team' }).waitFor();
    expect((await api('GET', `/groups/${group.id}`)).body.name).toBe('Platform team');

    await page.getByRole('button', { name: 'Delete Platform team' }).click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await eventually(
      async () => (await page.getByRole('combobox', { name: 'Members of Platform team' }).count()) === 0,
      'the deleted group gone from the page',
    );
    expect((await api('GET', `/groups/${group.id}`)).status).toBe(404);
  });

  it('devices: create with and without a public key (the private key shown once), config, revoke', async () => {
    await api('POST', '/sites', {
      name: 'Office',
      subnet: '10.77.0.0/24',
      region: 'eu',
      connection_type: 'wireguard',
    });
    await page.goto(`${consoleAt()}/devices`);
    await page.getByTestId('empty-state').waitFor();
    const form = page.getByRole('form', { name: 'New device' });
    await field(form, 'Name').fill('laptop');
    await select(page, 'Site', 'Office', form);
    await field(form, 'Public key').fill('not-a-key');
    await form.getByRole('button', { name: 'Create device' }).click();
    expect(await fieldError(form, 'Public key')).not.toBe('');
    await shot(page, 'devices-error');

    // Without a key the console makes the pair: the private key is on the page this once.
    await field(form, 'Public key').fill('');
    await form.getByRole('button', { name: 'Create device' }).click();
    const shown = page.getByRole('status').filter({ hasText: 'Private key of laptop' });
    await shown.waitFor();
    const privateKey = await shown.getByLabel('Private key of laptop', { exact: true }).textContent();
    expect(privateKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(await shown.textContent()).toContain('no WireGuard gateway yet');

    // With its own key: nothing secret to show.
    await field(form, 'Name').fill('phone');
    await field(form, 'Public key').fill(wireGuardPublicKey());
    await form.getByRole('button', { name: 'Create device' }).click();
    const phone = page.getByRole('row', { name: /^phone/ });
    await phone.waitFor();
    expect(await page.getByText('Private key of phone').count()).toBe(0);
    const devices = (await api('GET', '/devices')).body.items as {
      id: string;
      name: string;
      address: string;
    }[];
    expect(devices.map((d) => d.name).sort()).toEqual(['laptop', 'phone']);
    for (const d of devices) {
      expect(d.address).toMatch(/^10\.77\.0\.\d+$/);
      expect(await page.getByRole('row', { name: new RegExp(`^${d.name}`) }).textContent()).toContain(
        d.address,
      );
    }
    expect(await phone.textContent()).toContain(ADMIN.email);
    expect(await phone.textContent()).toContain('Office');
    expect(await phone.textContent()).toContain('never');
    expect(await seriousViolations(page)).toEqual([]);
    await shot(page, 'devices');

    // The site has no WireGuard gateway yet: the config says why it cannot be made.
    await phone.getByRole('button', { name: 'Config' }).click();
    const problem = page.getByRole('alert');
    await problem.waitFor();
    expect(await problem.textContent()).toMatch(/gateway/i);

    await page.getByRole('button', { name: 'Revoke laptop' }).click();
    await page.getByRole('button', { name: 'Yes, revoke' }).click();
    await eventually(
      async () => (await page.getByRole('row', { name: /^laptop/ }).count()) === 0,
      'the revoked device gone from the table',
    );
    const laptop = devices.find((d) => d.name === 'laptop')!;
    expect((await api('GET', `/devices/${laptop.id}`)).body.revoked_at).not.toBeNull();
  });

  it('devices: in a site with a WireGuard gateway, the config and its QR code (with the key made, once)', async () => {
    // A real gateway with WireGuard, in a network namespace of its own that reaches the console's ports.
    const lab = new NetworkLab();
    try {
      const ns = lab.namespace('g');
      const inside = { api: 7780, nats: 7722 };
      await lab.bridge(ns, inside.api, Number(new URL(platform.url).port));
      await lab.bridge(ns, inside.nats, Number(new URL(platform.nats.url).port));
      const site = (
        await api('POST', '/sites', {
          name: 'Lab',
          subnet: '10.78.0.0/24',
          region: 'eu',
          connection_type: 'wireguard',
        })
      ).body;
      const created = (
        await api('POST', '/gateways', {
          name: 'edge-lab',
          region: 'eu',
          site_ids: [site.id],
          public_ip: '192.0.2.10',
        })
      ).body;
      const gateway = lab.start(
        ns,
        process.execPath,
        gatewayInNamespaceArgs({
          gateway: GATEWAY,
          ports: inside,
          dataDir: mkdtempSync(join(lab.dir, 'gateway-')),
          wireguardInterface: lab.wireguardName('rnh16'),
          enrollmentToken: created.enrollment_token,
        }),
      );
      // Ready when the console can make a device's config: the gateway reported its WireGuard key.
      const probe = (
        await api('POST', '/devices', { name: 'probe', site_id: site.id, public_key: wireGuardPublicKey() })
      ).body;
      await eventually(
        async () => (await api('GET', `/devices/${probe.id}/config`)).status === 200,
        () => `the WireGuard gateway to report\n${gateway.log()}`,
        90_000,
      );
      await api('DELETE', `/devices/${probe.id}`);

      await page.goto(`${consoleAt()}/devices`);
      const form = page.getByRole('form', { name: 'New device' });
      await field(form, 'Name').fill('tablet');
      await select(page, 'Site', 'Lab', form);
      await form.getByRole('button', { name: 'Create device' }).click();
      const shown = page.getByRole('status').filter({ hasText: 'Private key of tablet' });
      await shown.getByRole('img', { name: "QR code of tablet's WireGuard config" }).waitFor();
      const privateKey = await shown.getByLabel('Private key of tablet', { exact: true }).textContent();
      const config = await shown.getByLabel('WireGuard config of tablet', { exact: true }).textContent();
      expect(config).toContain(`PrivateKey = ${privateKey}`);
      expect(config).toMatch(/Endpoint = 192\.0\.2\.10:\d+/);
      expect(config).toMatch(/Address = 10\.78\.0\.\d+/);
      expect(await seriousViolations(page)).toEqual([]);
      await shot(page, 'devices-created');

      // Later, from the list: the same config and QR, without the private key (never stored).
      await page.reload();
      await page
        .getByRole('row', { name: /^tablet/ })
        .getByRole('button', { name: 'Config' })
        .click();
      const panel = page.getByRole('region', { name: 'Device config' });
      await panel.getByRole('img', { name: "QR code of tablet's WireGuard config" }).waitFor();
      const later = await panel.getByLabel('WireGuard config of tablet', { exact: true }).textContent();
      expect(later).not.toContain(privateKey!);
      expect(later).toMatch(/Endpoint = 192\.0\.2\.10:\d+/);
      await shot(page, 'devices-config');
    } finally {
      lab.cleanup();
    }
  }, 240_000);

  it('sign-in: the API validation error beside the field; an expired session comes back where it was; sign-out', async () => {
    const own = await browser.newContext();
    try {
      const p = await own.newPage();
      await p.goto(`${consoleAt()}/devices`);
      await p.waitForURL(/\/sign-in\?return=%2Fdevices$/);
      await signIn(p, ADMIN.email, 'x'.repeat(1025));
      expect(await fieldError(p, 'Password')).not.toBe('');
      await signIn(p);
      await p.waitForURL(`${consoleAt()}/devices`);

      // The page has what it asked for (else a request still to be sent finds the cookies gone).
      await p.getByRole('table', { name: 'Devices' }).waitFor();
      await p.waitForLoadState('networkidle');
      // The session's cookies are gone (expired): the next page asks to sign in, then comes back.
      await own.clearCookies();
      await p.getByRole('link', { name: 'Users & groups' }).click();
      await p.waitForURL(/\/sign-in\?return=%2Fusers$/);
      await signIn(p);
      await p.waitForURL(`${consoleAt()}/users`);

      // Signing out ends the session itself: its cookies, replayed, no longer sign anyone in.
      const cookie = (await own.cookies())
        .filter((c) => c.name.startsWith('rn_'))
        .map((c) => `${c.name}=${c.value}`)
        .join('; ');
      expect((await call(platform.url, 'GET', '/auth/session', { headers: { cookie } })).status).toBe(200);
      await p.getByRole('button', { name: 'Sign out' }).click();
      await p.waitForURL(/\/sign-in$/);
      await eventually(
        async () =>
          (await call(platform.url, 'GET', '/auth/session', { headers: { cookie } })).status === 401,
        'the signed-out session refused',
      );
      await p.goto(`${consoleAt()}/account`);
      await p.waitForURL(/\/sign-in\?return=%2Faccount$/);
    } finally {
      await closeOwn(own);
    }
  });

  it('passkeys: added on the account page in Chromium (virtual authenticator), then signing in with one', async () => {
    const own = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    try {
      const p = await own.newPage();
      await addVirtualAuthenticator(own, p);
      await p.goto(`${consoleAt()}/account`);
      await p.waitForURL(/\/sign-in\?return=%2Faccount$/);
      await signIn(p);
      await p.waitForURL(`${consoleAt()}/account`);
      const form = p.getByRole('form', { name: 'Add a passkey' });
      await field(form, 'Passkey name').fill('Work laptop');
      await form.getByRole('button', { name: 'Add a passkey' }).click();
      await p.getByRole('row', { name: /Work laptop/ }).waitFor();
      expect(await seriousViolations(p)).toEqual([]);
      await shot(p, 'account-passkeys');
      const mine = (await api('GET', '/me/passkeys')).body.items as { name: string }[];
      expect(mine.map((k) => k.name)).toEqual(['Work laptop']);

      await p.getByRole('button', { name: 'Sign out' }).click();
      await p.waitForURL(/\/sign-in$/);
      await p.goto(`${consoleAt()}/sign-in?return=%2Fdevices`);
      await p.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await p.waitForURL(`${consoleAt()}/devices`);
      const session = (await p.evaluate(() => fetch('/api/v1/auth/session').then((r) => r.json()))) as {
        role: string;
      };
      expect(session.role).toBe('owner');
      expect((await api('GET', '/me/passkeys')).body.items[0].last_used_at).not.toBeNull();
    } finally {
      await closeOwn(own);
    }
  });

  it('a refused passkey says so on the sign-in page', async () => {
    // A fresh authenticator has no passkey for this console: the browser refuses, the page says so.
    const own = await browser.newContext();
    try {
      const p = await own.newPage();
      await addVirtualAuthenticator(own, p);
      await p.goto(`${consoleAt()}/sign-in`);
      await p.getByRole('button', { name: 'Sign in with a passkey' }).click();
      const alert = p.getByRole('alert').filter({ hasText: 'Passkey sign-in failed' });
      await alert.waitFor({ timeout: 60_000 });
      expect(p.url()).toBe(`${consoleAt()}/sign-in`);
    } finally {
      await closeOwn(own);
    }
  }, 90_000);

  it("identity provider: the sign-in page's button signs in through the provider and comes back", async () => {
    const opPort = await freePort();
    const created = await api('POST', '/identity-providers', {
      type: 'oidc',
      name: 'Corp SSO',
      issuer: `http://127.0.0.1:${opPort}`,
      client_id: 'rustronaut',
      client_secret: 'console-e2e-secret-0123456789',
      scopes: ['openid', 'email', 'profile'],
    });
    expect(created.status).toBe(201);
    const op = await TestOidcProvider.start({
      port: opPort,
      clients: [
        {
          client_id: 'rustronaut',
          client_secret: 'console-e2e-secret-0123456789',
          redirect_uris: [created.body.redirect_uri],
        },
      ],
      accounts: { ada: { email: 'ada@corp.example', email_verified: true, name: 'Ada', groups: [] } },
    });
    // The provider calls back at the console's public address: the browser starts there too.
    const own = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    try {
      const p = await own.newPage();
      await p.goto(`${platform.url}/account`);
      await p.waitForURL(/\/sign-in\?return=%2Faccount$/);
      const button = p.getByRole('link', { name: 'Sign in with Corp SSO' });
      await button.waitFor();
      expect(await seriousViolations(p)).toEqual([]);
      await shot(p, 'sign-in-providers');
      await button.click();
      await p.waitForURL((url) => url.href.startsWith(op.issuer));
      await p.fill('input[name=login]', 'ada');
      await p.fill('input[name=password]', 'whatever');
      await p.click('button[type=submit]');
      await p.waitForURL(`${platform.url}/account`);
      await p.getByRole('heading', { name: 'Passkeys' }).waitFor();
      const users = (await api('GET', '/users')).body.items as { id: string; email: string }[];
      const ada = users.find((u) => u.email === 'ada@corp.example');
      expect(ada).toBeDefined();
      const session = (await p.evaluate(() => fetch('/api/v1/auth/session').then((r) => r.json()))) as {
        user_id: string;
      };
      expect(session.user_id).toBe(ada!.id);
    } finally {
      await closeOwn(own);
      await op.stop();
    }
  }, 90_000);
});
