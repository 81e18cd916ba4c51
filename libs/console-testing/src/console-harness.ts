import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { connect } from 'nats';
import { ensureEventStream } from '@rustronaut/eventstore';
import { migrateService } from '@rustronaut/migrations';
import { TestNatsServer, freePort, testDatabaseUrl, uniqueName } from '@rustronaut/testing';

const DIST = join(__dirname, '../../../dist/apps');

export const ADMIN = { email: 'admin@example.com', password: 'S3cure-pass!' };

const SERVICES = ['identity', 'audit', 'policy', 'config-distributor', 'gateway-registry', 'api'] as const;
type Service = (typeof SERVICES)[number];

/**
 * The console as a person runs it: identity, audit and api as separate processes (the built
 * dist/), on a NATS server of the test's own, schemas and Redis keys under a unique prefix.
 */
export class ConsoleHarness {
  readonly #children = new Map<string, ChildProcess>();
  readonly logs = new Map<string, string>();

  private constructor(
    readonly nats: TestNatsServer,
    readonly prefix: string,
    readonly port: number,
    readonly databaseUrl: string,
    readonly extraEnv: NodeJS.ProcessEnv,
  ) {}

  /** `upWithinMs`: how long the services may take to answer (a loaded machine needs longer). */
  static async start(
    extraEnv: NodeJS.ProcessEnv = {},
    options: { upWithinMs?: number } = {},
  ): Promise<ConsoleHarness> {
    const harness = new ConsoleHarness(
      await TestNatsServer.start(),
      uniqueName('e2e').toLowerCase(),
      await freePort(),
      await testDatabaseUrl(),
      extraEnv,
    );
    await migrateService(harness.databaseUrl, 'identity', `${harness.prefix}_identity`);
    await migrateService(harness.databaseUrl, 'audit', `${harness.prefix}_audit`);
    await migrateService(harness.databaseUrl, 'policy', `${harness.prefix}_policy`);
    await migrateService(harness.databaseUrl, 'distributor', `${harness.prefix}_distributor`);
    await migrateService(harness.databaseUrl, 'registry', `${harness.prefix}_registry`);
    const nc = await connect({ servers: harness.nats.url });
    await ensureEventStream(await nc.jetstreamManager());
    await nc.close();
    for (const service of SERVICES) harness.startService(service);
    try {
      await harness.waitForApi(options.upWithinMs);
    } catch (error) {
      await harness.stop(); // no processes, schemas or NATS server left behind
      throw error;
    }
    return harness;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      RN_NATS_URL: this.nats.url,
      RN_DATABASE_URL: this.databaseUrl,
      RN_SCHEMA_PREFIX: this.prefix,
      RN_REDIS_PREFIX: this.prefix,
      RN_API_PORT: String(this.port),
      RN_ADMIN_EMAIL: ADMIN.email,
      RN_ADMIN_PASSWORD: ADMIN.password,
      RN_LOGIN_LIMIT_PER_IP: '1000',
      RN_LOGIN_LIMIT_PER_ACCOUNT: '5',
      ...this.extraEnv,
    };
  }

  startService(name: Service): void {
    const child = spawn(process.execPath, ['--enable-source-maps', join(DIST, name, 'src/main.js')], {
      env: this.env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#children.set(name, child);
    const append = (chunk: Buffer) => this.logs.set(name, (this.logs.get(name) ?? '') + chunk.toString());
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
  }

  /** Kills a service the hard way (SIGKILL), as a crash would. */
  async kill(name: Service): Promise<void> {
    const child = this.#children.get(name);
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async waitForApi(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        if ((await fetch(`${this.url}/api/v1/health`)).ok) {
          // The API is up; wait until identity answers too (login works).
          const login = await fetch(`${this.url}/api/v1/auth/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ email: 'nobody@example.com', password: 'x' }),
          });
          // …and the config distributor (its keys), the last to be ready.
          const keys = await fetch(`${this.url}/api/v1/config/keys`);
          if (login.status === 401 && keys.ok) return;
        }
      } catch {
        // not yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(
      `the console did not come up:\n${[...this.logs].map(([n, l]) => `--- ${n}\n${l}`).join('\n')}`,
    );
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.#children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
          }),
      ),
    );
    await this.nats.dispose();
    const client = new Client({ connectionString: this.databaseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${this.prefix}_identity" CASCADE`);
    await client.query(`DROP SCHEMA IF EXISTS "${this.prefix}_audit" CASCADE`);
    for (const schema of ['policy', 'distributor', 'registry'])
      await client.query(`DROP SCHEMA IF EXISTS "${this.prefix}_${schema}" CASCADE`);
    await client.end();
  }
}

/** A tiny HTTP client in the spirit of curl: JSON in, status + JSON out. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever JSON came back
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  if (options.body !== undefined || options.raw !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}/api/v1${path}`, {
    method,
    headers,
    body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON (NDJSON export)
  }
  return { status: response.status, body, headers: response.headers };
}

export async function login(
  base: string,
  email: string,
  password: string,
): Promise<{ access: string; refresh: string }> {
  const r = await call(base, 'POST', '/auth/login', { body: { email, password } });
  if (r.status !== 200) throw new Error(`login ${email} failed: ${r.status} ${JSON.stringify(r.body)}`);
  return { access: r.body.access_token, refresh: r.body.refresh_token };
}
