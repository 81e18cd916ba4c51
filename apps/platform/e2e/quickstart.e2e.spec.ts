import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadPlatformConfig } from '@rustronaut/config';
import { TestNatsServer, freePort, uniqueName } from '@rustronaut/testing';
import { quickstartSteps } from './support/readme-quickstart';

/**
 * The README's quickstart, walked command by command in one bash, as a person pastes it: each line
 * must exit 0 and print what its `# → …` comment says; a `ready when it prints "…"` line keeps
 * running in the background until it has printed that. Two words mean what they mean in a clone
 * whose `npm test` has built it: `npm start` runs the built platform (dist/apps/platform; building
 * again here would rewrite dist/ under the other e2e suites), and `npx rustronaut` runs the CLI's
 * bin. Everything else runs as written, kept apart from the machine: the test's own NATS, database,
 * ports, data directory and home, given through the RN_* variables the README documents.
 */
jest.setTimeout(300_000);

const REPO = join(__dirname, '../../..');
const DONE = '__RN_QUICKSTART_STEP_DONE__';

class Shell {
  readonly #bash: ChildProcessWithoutNullStreams;
  #out = '';
  #err = '';

  constructor(cwd: string, env: NodeJS.ProcessEnv) {
    this.#bash = spawn('bash', ['--noprofile', '--norc'], { cwd, env, stdio: 'pipe' });
    this.#bash.stdout.on('data', (c: Buffer) => (this.#out += c.toString()));
    this.#bash.stderr.on('data', (c: Buffer) => (this.#err += c.toString()));
    // Job control: each background line gets its own process group, so it can be stopped whole.
    this.#bash.stdin.write(
      [
        'set -m -o pipefail',
        `npm() { if [ "$1" = start ]; then shift; exec node --enable-source-maps "${REPO}/dist/apps/platform/src/main.js"; else command npm "$@"; fi; }`,
        `npx() { if [ "$1" = rustronaut ]; then shift; node "${REPO}/apps/cli/bin/rustronaut.js" "$@"; else command npx "$@"; fi; }`,
        '',
      ].join('\n'),
    );
  }

  /** Runs one command to its end: its exit code and what it printed. */
  async run(command: string, timeoutMs = 60_000): Promise<{ code: number; out: string; err: string }> {
    this.#out = '';
    this.#err = '';
    this.#bash.stdin.write(`${command}\necho "${DONE} $?"\n`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const done = new RegExp(`${DONE} (\\d+)\\n`).exec(this.#out);
      if (done) return { code: Number(done[1]), out: this.#out.slice(0, done.index), err: this.#err };
      if (Date.now() > deadline || this.#bash.exitCode !== null)
        throw new Error(`no end within ${timeoutMs / 1000} s; it printed:\n${this.#out}\n${this.#err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Starts a command that keeps running; its output goes to `log`; answers its process group id. */
  async background(command: string, log: string): Promise<number> {
    const { out } = await this.run(`{ ${command}\n} > '${log}' 2>&1 &\necho $!`);
    return Number(out.trim());
  }

  close(): void {
    this.#bash.stdin.end();
  }
}

async function until(check: () => boolean, what: string, timeoutMs: number, log: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}; it printed:\n${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the README quickstart', () => {
  const steps = quickstartSteps();
  let nats: TestNatsServer;
  let dir: string;
  let shell: Shell;
  let database: URL;
  const jobs: number[] = [];

  beforeAll(async () => {
    nats = await TestNatsServer.start();
    dir = mkdtempSync(join(tmpdir(), 'rn-quickstart-'));
    database = new URL(loadPlatformConfig().databaseUrl);
    database.pathname = `/${uniqueName('rn_quickstart').toLowerCase()}`;
    const [api, http, https, management, app] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    shell = new Shell(dir, {
      PATH: process.env['PATH'] ?? '',
      HOME: dir,
      XDG_CONFIG_HOME: join(dir, 'config'),
      RN_NATS_URL: nats.url,
      RN_DATABASE_URL: database.toString(),
      RN_REDIS_PREFIX: database.pathname.slice(1),
      RN_DATA_DIR: join(dir, 'data'),
      RN_API_PORT: String(api),
      RN_CONSOLE_URL: `http://127.0.0.1:${api}`,
      RN_GATEWAY_HTTP_HOST: '127.0.0.1',
      RN_GATEWAY_HTTP_PORT: String(http),
      RN_GATEWAY_HTTPS_PORT: String(https),
      RN_PUBLIC_HTTPS_PORT: String(https),
      RN_GATEWAY_MANAGEMENT_PORT: String(management),
      APP_PORT: String(app),
    });
  });

  afterAll(async () => {
    // Ctrl-C, as a person stops them (expose removes its service, npm start stops everything).
    for (const pgid of jobs.reverse()) {
      try {
        process.kill(-pgid, 'SIGINT');
      } catch {
        continue; // already gone
      }
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && existsSync(`/proc/${pgid}`))
        await new Promise((r) => setTimeout(r, 100));
      if (existsSync(`/proc/${pgid}`)) process.kill(-pgid, 'SIGKILL');
    }
    shell?.close();
    const admin = new URL(database);
    admin.pathname = '/postgres';
    const client = new Client({ connectionString: admin.toString() });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "${database.pathname.slice(1)}" WITH (FORCE)`);
    await client.end();
    await nats?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is a block of commands that start the platform, log in, add a resource, reach it and expose a service', () => {
    const text = steps.map((s) => s.command).join('\n');
    for (const part of ['npm start', 'rustronaut login', '/api/v1/resources', 'rustronaut expose'])
      expect(text).toContain(part);
    expect(steps.filter((s) => s.expect).length).toBeGreaterThanOrEqual(4);
  });

  it('works, command by command, as written', async () => {
    for (const [index, step] of steps.entries()) {
      const where = `README.md line ${step.line}: ${step.command}`;
      if (step.readyWhen) {
        const log = join(dir, `background-${index}.log`);
        jobs.push(await shell.background(step.command, log));
        const printed = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
        await until(
          () => printed().includes(step.readyWhen!),
          `${where}\nnever printed "${step.readyWhen}"`,
          180_000,
          printed,
        );
        continue;
      }
      const result = await shell.run(step.command);
      // On failure the message shows the README line and everything it printed.
      expect({ where, ...result }).toMatchObject({ where, code: 0 });
      if (step.expect)
        expect({ where, out: result.out }).toEqual({ where, out: expect.stringContaining(step.expect) });
    }
  });
});
