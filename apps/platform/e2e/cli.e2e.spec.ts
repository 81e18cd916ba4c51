import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { ADMIN, ConsoleHarness, call, login } from '@rustronaut/console-testing';
import { personEnv, rustronaut as run, TerminalRustronaut } from './support/rustronaut';

describe('the rustronaut CLI against a console (e2e, started processes)', () => {
  let platform: ConsoleHarness;
  let home: string;

  const rustronaut = (args: string[], env: Record<string, string> = {}) => run(args, personEnv(home, env));
  const credentialsFile = () => join(home, 'config', 'rustronaut', 'credentials.json');

  beforeAll(async () => {
    platform = await ConsoleHarness.start();
  }, 90_000);
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'rn-cli-e2e-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));
  afterAll(async () => {
    await platform?.stop();
  });

  it('logs in with email and password (RN_PASSWORD), stores the session 0600, and knows who you are', async () => {
    const r = await rustronaut(['login', '--console', platform.url, '--email', ADMIN.email], {
      RN_PASSWORD: ADMIN.password,
    });
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toBe(
      `✓ Logged in to ${platform.url} as ${ADMIN.email} (owner)\n  credentials saved in ${credentialsFile()}\n`,
    );
    expect(statSync(credentialsFile()).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'config', 'rustronaut')).mode & 0o777).toBe(0o700);
    const stored = JSON.parse(readFileSync(credentialsFile(), 'utf8'));
    expect(stored).toMatchObject({
      console_url: platform.url,
      email: ADMIN.email,
      auth: { kind: 'session' },
    });
    // The stored access token is a real one: the console accepts it.
    const me = await call(platform.url, 'GET', '/me', { token: stored.auth.access_token });
    expect(me.body.user.email).toBe(ADMIN.email);
    // Logging out ends that session at the console and removes the file.
    const out = await rustronaut(['logout']);
    expect(out).toMatchObject({ code: 0, out: `✓ Logged out of ${platform.url}\n` });
    expect(() => statSync(credentialsFile())).toThrow(/ENOENT/);
    const after = await call(platform.url, 'POST', '/auth/refresh', {
      body: { refresh_token: stored.auth.refresh_token },
    });
    expect(after.status).toBe(401);
  });

  it('refuses a wrong password with the console’s reason and stores nothing', async () => {
    const r = await rustronaut(['login', '--console', platform.url, '--email', ADMIN.email, '--json'], {
      RN_PASSWORD: 'wrong-password',
    });
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(JSON.parse(r.err).error).toMatchObject({ code: 'AUTH_INVALID_CREDENTIALS' });
    expect(() => statSync(credentialsFile())).toThrow(/ENOENT/);
  });

  it('asks a person at a terminal for email, password (not echoed) and two-factor code; scripts give RN_PASSWORD and RN_TOTP', async () => {
    const admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    await call(platform.url, 'POST', '/users', {
      token: admin,
      body: { email: 'totp@cli.example', name: 'Tess', password: 'long-enough-pw' },
    });
    const tess = (await login(platform.url, 'totp@cli.example', 'long-enough-pw')).access;
    const { secret } = (await call(platform.url, 'POST', '/me/totp/setup', { token: tess })).body;
    const code = () => new TOTP({ secret: Secret.fromBase32(secret) }).generate();
    await call(platform.url, 'POST', '/me/totp/enable', { token: tess, body: { secret, code: code() } });
    const args = ['login', '--console', platform.url, '--email', 'totp@cli.example'];
    const without = await rustronaut(args, { RN_PASSWORD: 'long-enough-pw' });
    expect(without.code).toBe(2);
    expect(without.err).toBe(
      'error: no terminal to ask "Two-factor code"\n  → scripts give RN_TOTP instead\n',
    );
    const withCode = await rustronaut(args, { RN_PASSWORD: 'long-enough-pw', RN_TOTP: code() });
    expect(withCode.code).toBe(0);
    expect(withCode.out).toMatch(/^✓ Logged in to .* as totp@cli.example \(member\)/);
    // A person at a terminal: asked for the password (not echoed), then for the code.
    const terminal = new TerminalRustronaut(['login', '--console', platform.url], personEnv(home));
    try {
      await terminal.answer('Email: ', 'totp@cli.example');
      await terminal.answer('Password: ', 'long-enough-pw');
      await terminal.answer('Two-factor code: ', code());
      expect(await terminal.exited).toBe(0);
    } finally {
      terminal.kill();
    }
    expect(terminal.screen).toContain('✓ Logged in to');
    expect(terminal.screen).toContain('totp@cli.example'); // the email is echoed as typed
    expect(terminal.screen).not.toContain('long-enough-pw');
  });

  it('logs in with an API key', async () => {
    const admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    const key = (
      await call(platform.url, 'POST', '/api-keys', { token: admin, body: { name: 'cli', role: 'admin' } })
    ).body.key as string;
    const r = await rustronaut(['login', '--console', platform.url, '--api-key', key, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ console_url: platform.url, auth: 'api_key', role: 'admin' });
    expect(JSON.parse(readFileSync(credentialsFile(), 'utf8')).auth).toEqual({
      kind: 'api_key',
      api_key: key,
    });
  });
});
