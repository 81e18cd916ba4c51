import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import {
  ADMIN,
  ConsoleHarness,
  addVirtualAuthenticator,
  TestOidcProvider,
  call,
  login,
  type ProviderAccount,
} from '@rustronaut/console-testing';
import { freePort } from '@rustronaut/testing';
import { GatewayProcess } from './support/gateway-process';
import { HostileOidcProvider, type IdTokenRecipe } from './support/hostile-oidc-provider';
import { RunningRustronaut, personEnv, rustronaut } from './support/rustronaut';

jest.setTimeout(120_000);

const CLIENT_SECRET = `op-secret-${randomBytes(8).toString('hex')}`;
const ACCOUNTS: Record<string, ProviderAccount> = {
  ada: {
    email: 'ada@corp.example',
    email_verified: true,
    name: 'Ada Lovelace',
    groups: ['eng', 'rn-admins'],
  },
  carol: { email: 'carol@corp.example', email_verified: true, name: 'Carol', groups: ['ops'] },
  dave: { email: 'dave@corp.example', email_verified: true, name: 'Dave', groups: ['eng'] },
  erin: { email: 'erin@corp.example', email_verified: true, name: 'Erin', groups: [] },
  mallory: { email: 'bob@corp.example', email_verified: false, name: 'Mallory', groups: ['rn-admins'] },
};

describe("sign-in through an organisation's identity provider", () => {
  let platform: ConsoleHarness;
  let admin: string;
  let op: TestOidcProvider;
  let hostile: HostileOidcProvider;
  let browser: Browser;
  let gateway: GatewayProcess;
  let upstream: Server;
  let home: string;
  const ids: Record<string, string> = {};
  const api = (method: string, path: string, body?: unknown) =>
    call(platform.url, method, path, { token: admin, ...(body === undefined ? {} : { body }) });

  beforeAll(async () => {
    platform = await ConsoleHarness.start(
      { RN_SECRETS_KEY: randomBytes(32).toString('base64') },
      { upWithinMs: 120_000 },
    );
    admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    ids['eng'] = (await api('POST', '/groups', { name: 'Engineers' })).body.id;
    ids['ops'] = (await api('POST', '/groups', { name: 'Ops' })).body.id;
    ids['bob'] = (
      await api('POST', '/users', { email: 'bob@corp.example', name: 'Bob', password: 'bob-password-1' })
    ).body.id;
    ids['erin'] = (
      await api('POST', '/users', { email: 'erin@corp.example', name: 'Erin', password: 'erin-password-1' })
    ).body.id;

    const opPort = await freePort();
    const created = await api('POST', '/identity-providers', {
      type: 'oidc',
      name: 'Corp SSO',
      issuer: `http://127.0.0.1:${opPort}`,
      client_id: 'rustronaut',
      client_secret: CLIENT_SECRET,
      scopes: ['openid', 'email', 'profile', 'groups'],
      claim_mappings: { groups: { eng: [ids['eng']], ops: [ids['ops']] }, roles: { 'rn-admins': 'admin' } },
    });
    expect(created.status).toBe(201);
    ids['idp'] = created.body.id;
    expect(created.body.redirect_uri).toBe(`${platform.url}/api/v1/auth/oidc/${ids['idp']}/callback`);
    expect(JSON.stringify(created.body)).not.toContain(CLIENT_SECRET);
    op = await TestOidcProvider.start({
      port: opPort,
      clients: [
        { client_id: 'rustronaut', client_secret: CLIENT_SECRET, redirect_uris: [created.body.redirect_uri] },
      ],
      accounts: ACCOUNTS,
    });

    hostile = await HostileOidcProvider.start();
    ids['hostile'] = (
      await api('POST', '/identity-providers', {
        type: 'oidc',
        name: 'Hostile',
        issuer: hostile.issuer,
        client_id: 'hostile-client',
        client_secret: 'hostile-secret-0123456789',
      })
    ).body.id;

    // A resource at a gateway that accepts console sign-in, for the Ops group only.
    const upstreamPort = await freePort();
    upstream = createServer((req, res) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ path: req.url, user: req.headers['x-rustronaut-user'] ?? null })),
    );
    await new Promise<void>((r) => upstream.listen(upstreamPort, '127.0.0.1', r));
    const site = (
      await api('POST', '/sites', {
        name: 'Apps',
        subnet: '10.31.0.0/24',
        region: 'eu',
        connection_type: 'local',
      })
    ).body;
    ids['app'] = (
      await api('POST', '/resources', {
        site_id: site.id,
        name: 'wiki',
        protocol: 'http',
        domains: ['wiki.localhost'],
        targets: [{ address: `127.0.0.1:${upstreamPort}`, protocol: 'http' }],
      })
    ).body.id;
    await api('POST', '/policies', {
      name: 'ops only',
      effect: 'allow',
      resource_ids: [ids['app']],
      subjects: { any_authenticated: true },
    });
    gateway = await GatewayProcess.start(platform, admin, site.id);
    await gateway.until((s) => s.sites[0]?.resources.includes(ids['app']!) ?? false, 'the wiki resource');

    home = mkdtempSync(join(tmpdir(), 'rn-sso-home-'));
    browser = await chromium.launch({
      executablePath: process.env['RN_CHROMIUM'] ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    gateway?.stop();
    upstream?.close();
    hostile?.close();
    await op?.stop();
    await platform?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  /** At the provider's (oidc-provider's development) sign-in form: any password is accepted. */
  async function signInAtProvider(page: Page, account: string) {
    await page.waitForURL((url) => url.href.startsWith(op.issuer));
    await page.fill('input[name=login]', account);
    await page.fill('input[name=password]', 'whatever');
    await page.click('button[type=submit]');
  }

  /** A browser of its own signs in to the web console through the provider. */
  async function consoleSignIn(account: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${platform.url}/api/v1/auth/oidc/${ids['idp']}/start?console=/`);
    await signInAtProvider(page, account);
    await page.waitForURL(`${platform.url}/`);
    return { context, page };
  }

  const sessionOf = (page: Page) =>
    page.evaluate(async () => (await fetch('/api/v1/auth/session')).json()) as Promise<{
      user_id: string;
      role: string;
    }>;

  type AuditEntry = { data: Record<string, unknown>; actor: { kind: string; id: string } };
  const auditOf = async (type: string) =>
    (await api('GET', `/audit?type=${type}&limit=1000`)).body.items as AuditEntry[];
  /** The audit service reads the events stream on its own: its entries arrive a moment later. */
  async function auditUntil(type: string, ready: (entries: AuditEntry[]) => boolean): Promise<AuditEntry[]> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const entries = await auditOf(type);
      if (ready(entries) || Date.now() > deadline) return entries;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  describe('the web console', () => {
    it('offers the providers of an organisation to its sign-in pages', async () => {
      const offered = await call(platform.url, 'GET', '/auth/providers');
      expect(offered.status).toBe(200);
      expect(offered.body.providers).toEqual([
        {
          id: ids['idp'],
          name: 'Corp SSO',
          type: 'oidc',
          start_url: `/api/v1/auth/oidc/${ids['idp']}/start`,
        },
        {
          id: ids['hostile'],
          name: 'Hostile',
          type: 'oidc',
          start_url: `/api/v1/auth/oidc/${ids['hostile']}/start`,
        },
      ]);
      expect((await call(platform.url, 'GET', '/auth/providers?org=no-such-org')).status).toBe(404);
    });

    it('lets a new person in with the group and role their provider groups map to', async () => {
      const { context, page } = await consoleSignIn('ada');
      const session = await sessionOf(page);
      expect(session.role).toBe('admin');
      ids['ada'] = session.user_id;
      const user = (await api('GET', `/users/${session.user_id}`)).body;
      expect(user).toMatchObject({
        email: 'ada@corp.example',
        name: 'Ada Lovelace',
        role: 'admin',
        groups: [ids['eng']],
      });
      const provisioned = await auditUntil('UserProvisioned', (e) => e.length > 0);
      expect(provisioned.map((e) => e.data['email'])).toEqual(['ada@corp.example']);
      expect(provisioned[0]!.actor).toEqual({ kind: 'system', id: ids['idp'] });
      const completed = await auditUntil('ExternalSignInCompleted', (e) => e.length > 0);
      expect(completed.at(-1)?.data).toMatchObject({ userId: ids['ada'], provisioned: true });
      await context.close();
    });

    it('opens the same account at the next sign-in', async () => {
      const { context, page } = await consoleSignIn('ada');
      expect((await sessionOf(page)).user_id).toBe(ids['ada']);
      const users = (await api('GET', '/users?limit=500')).body.items as { email: string }[];
      expect(users.filter((u) => u.email === 'ada@corp.example')).toHaveLength(1);
      await context.close();
    });

    it('follows a group change at the provider at the next sign-in', async () => {
      op.setAccounts({ ...ACCOUNTS, ada: { ...ACCOUNTS['ada']!, groups: ['ops'] } });
      try {
        const { context, page } = await consoleSignIn('ada');
        expect(await sessionOf(page)).toMatchObject({ user_id: ids['ada'], role: 'member' });
        expect((await api('GET', `/users/${ids['ada']}`)).body).toMatchObject({
          role: 'member',
          groups: [ids['ops']],
        });
        await context.close();
      } finally {
        op.setAccounts(ACCOUNTS);
      }
    });

    it('keeps the client secret out of every event the audit log shows', async () => {
      const added = await auditUntil('IdentityProviderAdded', (e) => e.length >= 2);
      expect(added.length).toBeGreaterThanOrEqual(2);
      for (const entry of added) expect(entry.data['clientSecretSealed']).toBe('[redacted]');
      const exported = await fetch(`${platform.url}/api/v1/audit/export`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      expect(await exported.text()).not.toContain(CLIENT_SECRET);
    });
  });

  describe('a resource behind the gateway', () => {
    it('shows the provider on the login page and lets its people through it', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const wiki = `http://wiki.localhost:${gateway.httpPort}`;
      await page.goto(`${wiki}/pages/home`);
      await page.waitForURL((url) => url.href.startsWith(`${platform.url}/login?`));
      const button = page.locator('a.provider', { hasText: 'Sign in with Corp SSO' });
      await button.click();
      await signInAtProvider(page, 'carol');
      await page.waitForURL(`${wiki}/pages/home`);
      const seen = JSON.parse((await page.locator('body').textContent()) ?? '{}') as {
        path: string;
        user: string;
      };
      expect(seen.path).toBe('/pages/home');
      const carol = (await api('GET', '/users?limit=500')).body.items.find(
        (u: { email: string }) => u.email === 'carol@corp.example',
      );
      expect(seen.user).toBe(carol.id);
      expect(carol.groups).toEqual([ids['ops']]);
      await context.close();
    });
  });

  describe("another organisation's resource", () => {
    it("offers that organisation's providers on its login page, and only those", async () => {
      const created = await api('POST', '/orgs', {
        name: 'Partner',
        owner: { email: 'owner@partner.example', name: 'Owner', password: 'partner-pass-1' },
      });
      expect(created.status).toBe(201);
      const partner = (await login(platform.url, 'owner@partner.example', 'partner-pass-1')).access;
      const asPartner = (method: string, path: string, body: unknown) =>
        call(platform.url, method, path, { token: partner, body });
      expect(
        (
          await asPartner('POST', '/identity-providers', {
            type: 'oidc',
            name: 'Partner SSO',
            issuer: op.issuer,
            client_id: 'partner',
            client_secret: 'partner-secret-0123456789',
          })
        ).status,
      ).toBe(201);
      const site = (
        await asPartner('POST', '/sites', {
          name: 'P',
          subnet: '10.32.0.0/24',
          region: 'eu',
          connection_type: 'local',
        })
      ).body;
      await asPartner('POST', '/resources', {
        site_id: site.id,
        name: 'portal',
        protocol: 'http',
        domains: ['portal.localhost'],
        targets: [{ address: '127.0.0.1:9', protocol: 'http' }],
      });
      const page = async (host: string) =>
        (await fetch(`${platform.url}/login?return=${encodeURIComponent(`http://${host}:1/x`)}`)).text();
      const theirs = await page('portal.localhost');
      expect(theirs).toContain('Sign in with Partner SSO');
      expect(theirs).not.toContain('Corp SSO');
      const ours = await page('wiki.localhost');
      expect(ours).toContain('Sign in with Corp SSO');
      expect(ours).not.toContain('Partner SSO');
      // A host nobody serves: the default organisation's, as before.
      expect(await page('nobody.localhost')).toContain('Sign in with Corp SSO');
    });
  });

  describe('rustronaut login --sso', () => {
    it('completes through the browser and a loopback redirect', async () => {
      const cli = new RunningRustronaut(
        ['login', '--console', platform.url, '--sso', '--provider', 'Corp SSO', '--no-browser'],
        personEnv(home),
      );
      const deadline = Date.now() + 30_000;
      let url: string | undefined;
      while (!(url = /https?:\/\/\S+cli_redirect\S+/.exec(cli.err)?.[0]) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(url).toContain('cli_challenge=');
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(url!);
      await signInAtProvider(page, 'dave');
      await page.waitForURL((u) => u.hostname === '127.0.0.1' && u.pathname === '/callback');
      await expect(page.locator('h1').textContent()).resolves.toBe('Signed in');
      expect(await cli.exited).toBe(0);
      expect(cli.out).toContain(`Logged in to ${platform.url} as dave@corp.example (member)`);
      const status = await rustronaut(['status', '--json'], personEnv(home));
      expect(status.code).toBe(0);
      expect(JSON.parse(status.out)).toMatchObject({ user: { email: 'dave@corp.example' } });
      await context.close();
    });

    /**
     * `rustronaut login --sso --manual` in a home of its own, a browser that signs in at the
     * provider, and the code the page shows: the test decides what to paste.
     */
    async function manualLogin(paste: (code: string) => Promise<string>) {
      const manualHome = mkdtempSync(join(tmpdir(), 'rn-sso-manual-'));
      const child = spawn(
        process.execPath,
        [
          join(__dirname, '../../cli/bin/rustronaut.js'),
          ...[
            'login',
            '--console',
            platform.url,
            '--sso',
            '--provider',
            'Corp SSO',
            '--manual',
            '--no-browser',
          ],
        ],
        { env: personEnv(manualHome), stdio: ['pipe', 'pipe', 'pipe'] },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      const context = await browser.newContext();
      try {
        const deadline = Date.now() + 30_000;
        let url: string | undefined;
        while (!(url = /https?:\/\/\S+cli_redirect=manual\S*/.exec(err)?.[0]) && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 50));
        const page = await context.newPage();
        await page.goto(url!);
        await signInAtProvider(page, 'dave');
        const code = (await page.locator('#code').textContent()) ?? '';
        expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
        child.stdin.end(`${await paste(code)}\n`);
        return { code: await exited, output: `${out}${err}` };
      } finally {
        await context.close();
        rmSync(manualHome, { recursive: true, force: true });
      }
    }

    it('without a redirect to this machine: the page shows a code, useless without the CLI', async () => {
      const run = await manualLogin(async (code) => {
        // The code alone (without the CLI's verifier) opens nothing…
        const stolen = await call(platform.url, 'POST', '/auth/oidc/redeem', { body: { code } });
        expect(stolen.status).toBe(401);
        return code;
      });
      // …and it was single-use: the CLI's own attempt now fails, saying so.
      expect(run.code).toBe(1);
      expect(run.output).toMatch(/already used|expired/);
    });

    it('with the verifier, the pasted code signs in', async () => {
      const run = await manualLogin(async (code) => code);
      expect(run.code).toBe(0);
      expect(run.output).toContain('as dave@corp.example');
    });
  });

  describe('who gets in', () => {
    it('never takes over an account by an email the provider does not say is verified', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${platform.url}/api/v1/auth/oidc/${ids['idp']}/start?console=/`);
      await signInAtProvider(page, 'mallory');
      await page.waitForURL((u) =>
        u.href.startsWith(`${platform.url}/api/v1/auth/oidc/${ids['idp']}/callback`),
      );
      await expect(page.locator('#error').textContent()).resolves.toMatch(
        /does not say the email is verified/,
      );
      expect((await context.cookies()).filter((c) => c.name === 'rn_session')).toEqual([]);
      await context.close();
      const refused = await auditUntil('ExternalSignInRefused', (e) =>
        e.some((x) => x.data['reason'] === 'email_not_verified'),
      );
      expect(refused.find((x) => x.data['reason'] === 'email_not_verified')?.data).toMatchObject({
        reason: 'email_not_verified',
        email: 'bob@corp.example',
        subject: 'mallory',
      });
      const bob = (await api('GET', `/users/${ids['bob']}`)).body;
      expect(bob).toMatchObject({ role: 'member', groups: [] });
      expect(
        (
          await call(platform.url, 'POST', '/auth/login', {
            body: { email: 'bob@corp.example', password: 'bob-password-1' },
          })
        ).status,
      ).toBe(200);
    });

    it('links a verified email to the existing account; with require_sso its password stops working', async () => {
      const before = await call(platform.url, 'POST', '/auth/login', {
        body: { email: 'erin@corp.example', password: 'erin-password-1' },
      });
      expect(before.status).toBe(200);
      const { context, page } = await consoleSignIn('erin');
      expect((await sessionOf(page)).user_id).toBe(ids['erin']);
      await context.close();
      expect(
        (await auditUntil('UserExternalIdentityLinked', (e) => e.length > 0)).map((e) => e.data),
      ).toContainEqual({
        providerId: ids['idp'],
        subject: 'erin',
      });
      const current = await api('GET', `/identity-providers/${ids['idp']}`);
      const changed = await call(platform.url, 'PATCH', `/identity-providers/${ids['idp']}`, {
        token: admin,
        body: { require_sso: true },
        headers: { 'if-match': current.headers.get('etag')! },
      });
      expect(changed.body.require_sso).toBe(true);
      try {
        const refused = await call(platform.url, 'POST', '/auth/login', {
          body: { email: 'erin@corp.example', password: 'erin-password-1' },
        });
        expect(refused.status).toBe(403);
        expect(refused.body.error).toMatchObject({ code: 'AUTH_PASSWORD_LOGIN_DISABLED' });
        expect(refused.body.error.message).toMatch(/Corp SSO/);
        // A wrong password says nothing about the account.
        const wrong = await call(platform.url, 'POST', '/auth/login', {
          body: { email: 'erin@corp.example', password: 'wrong-password-1' },
        });
        expect(wrong.body.error.code).toBe('AUTH_INVALID_CREDENTIALS');
        // Others keep their password.
        expect(
          (
            await call(platform.url, 'POST', '/auth/login', {
              body: { email: 'bob@corp.example', password: 'bob-password-1' },
            })
          ).status,
        ).toBe(200);
      } finally {
        await api('PATCH', `/identity-providers/${ids['idp']}`, { require_sso: false });
      }
    });
  });

  describe('passkeys', () => {
    /** The console as the browser reaches it: WebAuthn refuses an IP address as the relying party. */
    const consoleAt = () => platform.url.replace('127.0.0.1', 'localhost');
    const wiki = () => `http://wiki.localhost:${gateway.httpPort}`;
    let pat: { id: string; token: string };
    let context: BrowserContext;
    let page: Page;

    beforeAll(async () => {
      const created = await api('POST', '/users', {
        email: 'pat@corp.example',
        name: 'Pat',
        password: 'pat-password-1',
      });
      pat = {
        id: created.body.id,
        token: (await login(platform.url, 'pat@corp.example', 'pat-password-1')).access,
      };
      context = await browser.newContext();
      page = await context.newPage();
      // Chromium's virtual authenticator (CDP WebAuthn domain): a platform authenticator with user verification.
      await addVirtualAuthenticator(context, page);
      await page.goto(`${consoleAt()}/login?return=${encodeURIComponent(`${wiki()}/start`)}`);
    });
    afterAll(async () => context?.close());

    /** Registers a passkey from the console's page, as the web console does (@simplewebauthn/browser). */
    const registerInBrowser = (name: string) =>
      page.evaluate(
        async ({ token, name }) => {
          const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
          const options = await (
            await fetch('/api/v1/me/passkeys/options', { method: 'POST', headers, body: '{}' })
          ).json();
          // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the page's global from the bundle
          const response = await (globalThis as any).SimpleWebAuthnBrowser.startRegistration({
            optionsJSON: options,
          });
          const r = await fetch('/api/v1/me/passkeys', {
            method: 'POST',
            headers,
            body: JSON.stringify({ response, name }),
          });
          // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever JSON came back
          return { status: r.status, body: (await r.json()) as any };
        },
        { token: pat.token, name },
      );
    const mine = (method: string, path: string, body?: unknown) =>
      call(platform.url, method, path, { token: pat.token, ...(body === undefined ? {} : { body }) });

    it('registers a passkey in Chromium, lists, renames and removes', async () => {
      const first = await registerInBrowser('Laptop');
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ name: 'Laptop', last_used_at: null });
      const listed = await mine('GET', '/me/passkeys');
      expect(listed.body).toMatchObject({
        items: [{ id: first.body.id, name: 'Laptop' }],
        passkey_only: false,
      });
      const renamed = await mine('PATCH', `/me/passkeys/${first.body.id}`, { name: 'Work laptop' });
      expect(renamed.body.name).toBe('Work laptop');
      // Another person cannot touch it.
      const other = await call(platform.url, 'PATCH', `/me/passkeys/${first.body.id}`, {
        token: admin,
        body: { name: 'x' },
      });
      expect(other.status).toBe(404);
      // The same authenticator twice: the options exclude it, the browser refuses.
      await expect(registerInBrowser('Again')).rejects.toThrow(/previously registered/);
      expect((await mine('DELETE', `/me/passkeys/${first.body.id}`)).status).toBe(204);
      expect((await mine('GET', '/me/passkeys')).body.items).toEqual([]);
      const again = await registerInBrowser('Work laptop');
      expect(again.status).toBe(201);
      expect((await mine('GET', '/me/passkeys')).body.items.map((p: { name: string }) => p.name)).toEqual([
        'Work laptop',
      ]);
    });

    it('signs in with the passkey on the login page and reaches the resource', async () => {
      await page.goto(`${consoleAt()}/login?return=${encodeURIComponent(`${wiki()}/start`)}`);
      await page.click('#passkey');
      await page.waitForURL(`${wiki()}/start`);
      const seen = JSON.parse((await page.locator('body').textContent()) ?? '{}') as { user: string };
      expect(seen.user).toBe(pat.id);
      expect((await mine('GET', '/me/passkeys')).body.items[0].last_used_at).not.toBeNull();
    });

    it('refuses a replayed passkey answer and one for a challenge it never issued', async () => {
      await context.clearCookies(); // else the page hands the last sign-in on to the resource at once
      await page.goto(`${consoleAt()}/login?return=${encodeURIComponent(`${wiki()}/start`)}`);
      const answers = await page.evaluate(async () => {
        const post = async (path: string, body: unknown) => {
          const r = await fetch(path, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
          // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever JSON came back
          return { status: r.status, body: (await r.json()) as any };
        };
        const options = (await post('/api/v1/auth/passkey/options', {})).body;
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the page's global from the bundle
        const browserLib = (globalThis as any).SimpleWebAuthnBrowser;
        const response = await browserLib.startAuthentication({ optionsJSON: options });
        const first = await post('/api/v1/auth/passkey', { response });
        const replay = await post('/api/v1/auth/passkey', { response });
        const forged = await browserLib.startAuthentication({
          optionsJSON: { ...options, challenge: 'bm90LWlzc3VlZC1ieS10aGUtY29uc29sZQ' },
        });
        const unissued = await post('/api/v1/auth/passkey', { response: forged });
        return { first: first.status, replay: replay.body, unissued: unissued.body };
      });
      expect(answers.first).toBe(200);
      expect(answers.replay.error).toMatchObject({ code: 'AUTH_PASSKEY_REFUSED' });
      expect(answers.unissued.error).toMatchObject({ code: 'AUTH_PASSKEY_REFUSED' });
    });

    it('passkeys only: a password alone is refused, the passkey still works, the last one stays', async () => {
      expect((await mine('PUT', '/me/passkey-only', { enabled: true })).body).toEqual({ passkey_only: true });
      try {
        const password = await call(platform.url, 'POST', '/auth/login', {
          body: { email: 'pat@corp.example', password: 'pat-password-1' },
        });
        expect(password.status).toBe(403);
        expect(password.body.error.code).toBe('AUTH_PASSWORD_LOGIN_DISABLED');
        const onlyOne = (await mine('GET', '/me/passkeys')).body.items[0].id as string;
        expect((await mine('DELETE', `/me/passkeys/${onlyOne}`)).body.error.code).toBe(
          'AUTH_PASSKEY_REFUSED',
        );
        await context.clearCookies();
        await page.goto(`${consoleAt()}/login?return=${encodeURIComponent(`${wiki()}/again`)}`);
        await page.click('#passkey');
        await page.waitForURL(`${wiki()}/again`);
      } finally {
        await mine('PUT', '/me/passkey-only', { enabled: false });
      }
      expect(
        (
          await call(platform.url, 'POST', '/auth/login', {
            body: { email: 'pat@corp.example', password: 'pat-password-1' },
          })
        ).status,
      ).toBe(200);
    });
  });

  describe('hostile callbacks and tokens', () => {
    /** Starts a sign-in as a browser would (no redirects followed): the provider URL and the binding cookie. */
    async function start(providerId: string, query = 'console=/') {
      const r = await fetch(`${platform.url}/api/v1/auth/oidc/${providerId}/start?${query}`, {
        redirect: 'manual',
      });
      const location = new URL(r.headers.get('location') ?? 'http://x/');
      const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0]!;
      return {
        status: r.status,
        location,
        cookie,
        state: location.searchParams.get('state')!,
        nonce: location.searchParams.get('nonce')!,
      };
    }
    const callback = (providerId: string, query: string, cookie: string) =>
      fetch(`${platform.url}/api/v1/auth/oidc/${providerId}/callback?${query}`, {
        redirect: 'manual',
        headers: cookie ? { cookie } : {},
      });

    it('sends the provider an S256 PKCE challenge, a state and a nonce, and the registered redirect URI', async () => {
      const s = await start(ids['idp']!);
      expect(s.status).toBe(302);
      expect(s.location.origin).toBe(op.issuer);
      expect(Object.fromEntries(s.location.searchParams)).toMatchObject({
        client_id: 'rustronaut',
        response_type: 'code',
        code_challenge_method: 'S256',
        redirect_uri: `${platform.url}/api/v1/auth/oidc/${ids['idp']}/callback`,
      });
      expect(s.state.length).toBeGreaterThanOrEqual(43);
      expect(s.nonce.length).toBeGreaterThanOrEqual(43);
      expect(s.cookie).toMatch(/^rn_oidc=[A-Za-z0-9_-]{43}$/);
      // The provider holds us to that exact URI: the same request for any other one is refused there,
      // and no code ever goes to it.
      for (const other of [
        `${platform.url}/api/v1/auth/oidc/${ids['idp']}/callback/`,
        `${platform.url}/api/v1/auth/oidc/${ids['hostile']}/callback`,
        'http://127.0.0.1:1/steal',
      ]) {
        const tampered = new URL(s.location);
        tampered.searchParams.set('redirect_uri', other);
        const r = await fetch(tampered, { redirect: 'manual' });
        expect(r.status).toBe(400);
        expect(r.headers.get('location')).toBeNull();
      }
    });

    it('refuses a wrong state, another browser, a replayed callback and a callback at another provider', async () => {
      const s = await start(ids['hostile']!);
      const good: IdTokenRecipe = validRecipe(s.nonce);
      hostile.recipe = good;
      const wrongState = await callback(ids['hostile']!, `code=c1&state=${s.state.slice(0, -2)}xx`, s.cookie);
      expect(wrongState.status).toBe(401);
      expect(await wrongState.text()).toMatch(/unknown, expired or already used state/);
      const atOther = await callback(ids['idp']!, `code=c1&state=${s.state}`, s.cookie);
      expect(atOther.status).toBe(401);
      // The other provider's path consumed nothing of ours… but the state is single-use wherever it
      // was presented first: a fresh sign-in for the rest.
      const t = await start(ids['hostile']!);
      hostile.recipe = validRecipe(t.nonce);
      const otherBrowser = await callback(
        ids['hostile']!,
        `code=c2&state=${t.state}`,
        'rn_oidc=someone-elses-cookie-value-0000000000000',
      );
      expect(otherBrowser.status).toBe(401);
      expect(await otherBrowser.text()).toMatch(/started in another browser/);
      const u = await start(ids['hostile']!);
      hostile.recipe = validRecipe(u.nonce);
      const before = hostile.tokenRequests;
      const first = await callback(ids['hostile']!, `code=c3&state=${u.state}`, u.cookie);
      expect(first.status).toBe(302); // the control: this very token is accepted
      expect(hostile.tokenRequests).toBe(before + 1);
      const replayed = await callback(ids['hostile']!, `code=c3&state=${u.state}`, u.cookie);
      expect(replayed.status).toBe(401);
      expect(hostile.tokenRequests).toBe(before + 1); // refused before the code is exchanged again
    });

    /** Every way an ID token can be wrong: each one refused, and nobody signed in by it. */
    const variants: [string, (nonce: string) => IdTokenRecipe][] = [
      ['another issuer', (n) => mutate(n, { claims: { iss: 'http://127.0.0.1:1' } })],
      ['an issuer with a trailing slash', (n) => mutate(n, { claims: { iss: `${hostile.issuer}/` } })],
      ['another audience', (n) => mutate(n, { claims: { aud: 'someone-else' } })],
      ['an audience list without us', (n) => mutate(n, { claims: { aud: ['someone-else', 'x'] } })],
      ['no audience', (n) => mutate(n, { claims: { aud: undefined } })],
      ['expired', (n) => mutate(n, { claims: { exp: now() - 600 } })],
      ['no expiry', (n) => mutate(n, { claims: { exp: undefined } })],
      ['no issued-at', (n) => mutate(n, { claims: { iat: undefined } })],
      ['a wrong nonce', () => mutate(randomBytes(32).toString('base64url'), {})],
      ['no nonce', (n) => mutate(n, { claims: { nonce: undefined } })],
      ['alg none, unsigned', (n) => mutate(n, { header: { alg: 'none' }, signer: 'none' })],
      ['alg none, signed anyway', (n) => mutate(n, { header: { alg: 'none' } })],
      ['signed by another key', (n) => mutate(n, { signer: 'stranger' })],
      ['a payload changed after signing', (n) => mutate(n, { signer: 'tampered' })],
      ['an unknown key id', (n) => mutate(n, { header: { kid: 'k2' }, signer: 'stranger' })],
      [
        'HS256 with the client secret',
        (n) => mutate(n, { header: { alg: 'HS256' }, signer: { hmac: 'hostile-secret-0123456789' } }),
      ],
      ['no subject', (n) => mutate(n, { claims: { sub: undefined } })],
      ['not a JWT', (n) => mutate(n, { signer: 'garbage' })],
    ];
    it.each(variants)('refuses an ID token with %s', async (_what, recipe) => {
      const s = await start(ids['hostile']!);
      hostile.recipe = recipe(s.nonce);
      const r = await callback(ids['hostile']!, `code=c&state=${s.state}`, s.cookie);
      expect(r.status).toBe(401);
      expect(await r.text()).toMatch(/sign-in refused/);
      expect(r.headers.get('set-cookie') ?? '').not.toMatch(/rn_session=[^;]/);
    });

    it('refuses a CLI redirect that is not this machine', async () => {
      for (const redirect of [
        'https://evil.example/cb',
        'http://evil.example:8000/cb',
        'http://127.0.0.1.evil.example/cb',
        'javascript:alert(1)',
      ]) {
        const r = await fetch(
          `${platform.url}/api/v1/auth/oidc/${ids['idp']}/start?cli_redirect=${encodeURIComponent(redirect)}&cli_challenge=${'a'.repeat(43)}`,
          { redirect: 'manual' },
        );
        expect([400, 401]).toContain(r.status);
        expect(r.headers.get('location')).toBeNull();
      }
    });

    it('records each refusal in the audit log, and provisioned nobody from the hostile provider', async () => {
      const fromHostile = (e: AuditEntry[]) => e.filter((x) => x.data['providerId'] === ids['hostile']);
      const refused = fromHostile(
        await auditUntil('ExternalSignInRefused', (e) => fromHostile(e).length >= variants.length + 3),
      );
      expect(refused.length).toBeGreaterThanOrEqual(variants.length + 3);
      const users = (await api('GET', '/users?limit=500')).body.items as { email: string }[];
      expect(users.filter((u) => u.email.endsWith('@hostile.example')).map((u) => u.email)).toEqual([
        'first@hostile.example',
      ]);
    });

    const now = () => Math.floor(Date.now() / 1000);
    function validRecipe(nonce: string): IdTokenRecipe {
      return {
        header: { alg: 'RS256', kid: 'k1', typ: 'JWT' },
        claims: {
          iss: hostile.issuer,
          aud: 'hostile-client',
          sub: 'first',
          email: 'first@hostile.example',
          email_verified: true,
          nonce,
          iat: now(),
          exp: now() + 300,
        },
        signer: 'provider',
      };
    }
    function mutate(
      nonce: string,
      change: { header?: object; claims?: Record<string, unknown>; signer?: IdTokenRecipe['signer'] },
    ): IdTokenRecipe {
      const base = validRecipe(nonce);
      const claims: Record<string, unknown> = {
        ...base.claims,
        sub: `h-${randomBytes(4).toString('hex')}`,
        email: `${randomBytes(4).toString('hex')}@hostile.example`,
      };
      for (const [k, v] of Object.entries(change.claims ?? {})) {
        if (v === undefined) delete claims[k];
        else claims[k] = v;
      }
      return {
        header: { ...base.header, ...(change.header ?? {}) },
        claims,
        signer: change.signer ?? 'provider',
      };
    }
  });
});
