import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { freePort } from '@rustronaut/testing';
import { runCli } from './program';

/** The command line as a person or a script uses it, with its output captured. */
async function rustronaut(args: string[], env: NodeJS.ProcessEnv) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await runCli(args, {
    stdout,
    stderr,
    stdin: new PassThrough(),
    env,
    interrupted: () => new Promise(() => undefined),
  });
  return { code, out, err };
}

describe('the rustronaut command line', () => {
  let config: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(() => {
    config = mkdtempSync(join(tmpdir(), 'rn-cli-'));
    env = { XDG_CONFIG_HOME: config };
  });
  afterEach(() => rmSync(config, { recursive: true, force: true }));

  it('shows help and the version with exit code 0', async () => {
    const help = await rustronaut(['--help'], env);
    expect(help.code).toBe(0);
    for (const command of ['login', 'status', 'services', 'unexpose', 'discover', 'expose', 'forward'])
      expect(help.out).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(await rustronaut(['--version'], env)).toMatchObject({ code: 0, out: '0.1.0\n' });
    expect((await rustronaut(['expose', '--help'], env)).out).toMatch(/--subdomain <name>[\s\S]*--ca <file>/);
  });

  it('exits 2 on bad usage, naming the problem', async () => {
    const unknown = await rustronaut(['exposee'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown command 'exposee'[\s\S]*Did you mean expose\?/);
    const missing = await rustronaut(['expose', 'localhost:3000'], env);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/missing required argument 'protocol'/);
  });

  it('reports bad input as JSON on stderr with --json, and nothing on stdout', async () => {
    const r = await rustronaut(['expose', 'localhost:3000', 'ftp', '--json'], env);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(JSON.parse(r.err)).toEqual({
      error: { code: 'CLI_USAGE', message: '"ftp" is not a protocol', hint: 'use http, tcp or udp' },
    });
    for (const [args, message] of [
      [['expose', 'localhost:99999', 'http'], '"localhost:99999" is not a local address'],
      [['expose', '3000', 'http', '--subdomain', 'Bad_Name'], '"Bad_Name" cannot be a subdomain'],
      [['expose', '3000', 'tcp', '--auth'], '--auth applies to http services'],
      [
        ['login', '--console', 'http://c.example.com', '--api-key', 'secret'],
        'that is not an API key (they start with "rnk_")',
      ],
      [['login', '--email', 'a@example.com'], 'which console?'],
      [['unexpose', 'a/b'], '"a/b" is not a service id'],
    ] as const) {
      const bad = await rustronaut([...args, '--json'], env);
      expect([bad.code, JSON.parse(bad.err).error.message]).toEqual([2, message]);
    }
  });

  it('checks that the local service listens before anything else', async () => {
    const port = await freePort();
    const r = await rustronaut(['expose', `localhost:${port}`, 'http'], env);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      new RegExp(`^error: local service localhost:${port} is not listening \\(ECONNREFUSED\\)`),
    );
    expect(r.err).toMatch(/rustronaut discover/);
  });

  it('asks to log in first, and says how', async () => {
    for (const command of ['status', 'services']) {
      const r = await rustronaut([command], env);
      expect(r.code).toBe(1);
      expect(r.err).toBe(
        'error: not logged in\n  → log in with `rustronaut login --console URL --email you@example.com` (or --api-key)\n',
      );
    }
  });

  it('without a terminal, asks scripts for RN_PASSWORD instead of prompting', async () => {
    const r = await rustronaut(['login', '--console', 'http://127.0.0.1:9', '--email', 'a@example.com'], env);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no terminal to ask "Password"\n {2}→ scripts give RN_PASSWORD instead/);
  });

  it('says which console is unreachable and why, exit 1', async () => {
    const port = await freePort();
    const r = await rustronaut(
      ['login', '--console', `http://127.0.0.1:${port}`, '--email', 'a@example.com'],
      { ...env, RN_PASSWORD: 'pw' },
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      new RegExp(`^error: console unreachable at http://127.0.0.1:${port}: connect ECONNREFUSED`),
    );
  });

  it('refuses a damaged credentials file, naming it', async () => {
    mkdirSync(join(config, 'rustronaut'));
    writeFileSync(join(config, 'rustronaut', 'credentials.json'), '{');
    const r = await rustronaut(['services'], env);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `cannot read the credentials in ${join(config, 'rustronaut', 'credentials.json')}`,
    );
  });

  it('names a bad environment variable', async () => {
    const r = await rustronaut(['status'], { ...env, RN_CONSOLE_URL: 'console' });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/RN_CONSOLE_URL/);
  });

  it('lists local listeners as JSON for scripts', async () => {
    const r = await rustronaut(['discover', '--json'], env);
    expect(r.code).toBe(0);
    const { listeners } = JSON.parse(r.out) as { listeners: { protocol: string; port: number }[] };
    expect(Array.isArray(listeners)).toBe(true);
    expect(listeners.every((l) => (l.protocol === 'tcp' || l.protocol === 'udp') && l.port > 0)).toBe(true);
  });
});
