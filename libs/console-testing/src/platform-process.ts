import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Client } from 'pg';
import { loadPlatformConfig } from '@rustronaut/config';
import { freePort, uniqueName } from '@rustronaut/testing';
import { ADMIN } from './console-harness';

const PLATFORM = join(__dirname, '../../../dist/apps/platform/src/main.js');

/** One process of the platform's tree, as the kernel counts its memory. */
export interface ProcessMemory {
  pid: number;
  /** `platform` (the launcher), `console` (every service in one), a service's name, or `gateway`. */
  role: string;
  rssBytes: number;
}

/**
 * `npm start` as a person runs it (the built dist/apps/platform), kept apart from everything else on
 * the machine: the test's own NATS (one server or a cluster), its own database (dropped after), data
 * dir, ports and Redis prefix. Resolves once the launcher prints that the console is up.
 */
export class PlatformProcess {
  output = '';
  readonly #child: ChildProcess;
  readonly exited: Promise<number | null>;

  private constructor(
    readonly apiUrl: string,
    readonly gateway: { httpPort: number; httpsPort: number; managementPort: number },
    readonly database: { url: string; name: string },
    readonly dataDir: string,
    env: NodeJS.ProcessEnv,
    nodeOptions: string[],
  ) {
    // The Node.js options of package.json's start script, and the caller's (e.g. --cpu-prof).
    const options = ['--enable-source-maps', '--max-semi-space-size=4', ...nodeOptions];
    this.#child = spawn(process.execPath, [...options, PLATFORM], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const append = (chunk: Buffer) => (this.output += chunk.toString());
    this.#child.stdout?.on('data', append);
    this.#child.stderr?.on('data', append);
    this.exited = new Promise((resolve) => this.#child.once('exit', (code) => resolve(code)));
  }

  static async start(options: {
    natsUrl: string;
    env?: NodeJS.ProcessEnv;
    /** More Node.js options for the launcher (with RN_CONSOLE_PROCESSES=one, the console's process). */
    nodeOptions?: string[];
    timeoutMs?: number;
  }): Promise<PlatformProcess> {
    const name = uniqueName('rn_platform').toLowerCase();
    const url = new URL(loadPlatformConfig().databaseUrl);
    url.pathname = `/${name}`;
    const [api, httpPort, httpsPort, managementPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ] as [number, number, number, number];
    const dataDir = await mkdtemp(join(tmpdir(), 'rn-platform-'));
    const platform = new PlatformProcess(
      `http://127.0.0.1:${api}`,
      { httpPort, httpsPort, managementPort },
      { url: url.toString(), name },
      dataDir,
      {
        PATH: process.env['PATH'] ?? '',
        HOME: process.env['HOME'] ?? dataDir,
        RN_NATS_URL: options.natsUrl,
        RN_DATABASE_URL: url.toString(),
        RN_REDIS_PREFIX: name,
        RN_DATA_DIR: dataDir,
        RN_API_PORT: String(api),
        RN_GATEWAY_HTTP_PORT: String(httpPort),
        RN_GATEWAY_HTTP_HOST: '127.0.0.1',
        RN_GATEWAY_HTTPS_PORT: String(httpsPort),
        RN_PUBLIC_HTTPS_PORT: String(httpsPort),
        RN_GATEWAY_MANAGEMENT_PORT: String(managementPort),
        RN_ADMIN_EMAIL: ADMIN.email,
        RN_ADMIN_PASSWORD: ADMIN.password,
        ...options.env,
      },
      options.nodeOptions ?? [],
    );
    await platform.untilOutput('Rustronaut console is up', options.timeoutMs ?? 180_000);
    return platform;
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  /** Waits until the launcher has printed `text`; fails with everything it printed. */
  async untilOutput(text: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes(text)) {
      if (this.#child.exitCode !== null || Date.now() > deadline)
        throw new Error(
          `the platform did not print "${text}" (exit ${this.#child.exitCode}); it printed:\n${this.output}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The launcher and every process below it, with their resident memory. */
  processes(): ProcessMemory[] {
    const parents = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        parents.set(Number(entry), ppid);
      } catch {
        // gone meanwhile
      }
    }
    const tree = [this.pid];
    for (let i = 0; i < tree.length; i++)
      for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
    return tree.flatMap((pid) => {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return [{ pid, role: roleOf(argv), rssBytes: rssKb * 1024 }];
      } catch {
        return [];
      }
    });
  }

  /** Ctrl-C, then the database and data dir removed. */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null) {
      const killer = setTimeout(() => this.#child.kill('SIGKILL'), 20_000);
      this.#child.kill('SIGINT');
      await this.exited;
      clearTimeout(killer);
    }
    const admin = new URL(this.database.url);
    admin.pathname = '/postgres';
    const client = new Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      await client.query(`DROP DATABASE IF EXISTS "${this.database.name}" WITH (FORCE)`);
    } finally {
      await client.end();
    }
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

function roleOf(argv: string[]): string {
  const script = argv.find((a) => a.endsWith('.js')) ?? argv[0] ?? '?';
  const parts = script.split('/');
  const app = parts[parts.indexOf('apps') + 1];
  if (basename(script) === 'console-main.js') return 'console';
  if (app === 'platform') return 'platform';
  return app ?? basename(script);
}
