import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect, credsAuthenticator, type NatsConnection } from 'nats';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import type { PlatformConfig } from '@rustronaut/config';

export interface Reporter {
  step(message: string): void;
  done(message: string): void;
  fail(message: string): void;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * Connects to NATS; when nothing answers at a loopback address and `nats-server` is installed,
 * starts one with JetStream whose data lives in `dataDir`, and connects to it.
 */
export async function connectOrStartNats(
  config: PlatformConfig,
  dataDir: string,
  report: Reporter,
): Promise<{ nc: NatsConnection; embedded?: ChildProcess }> {
  report.step(`NATS at ${config.natsServers.join(', ')}`);
  try {
    const nc = await connect({
      servers: config.natsServers,
      timeout: 2_000,
      name: 'rustronaut-platform',
      ...(config.natsCredentials
        ? { authenticator: credsAuthenticator(new TextEncoder().encode(config.natsCredentials)) }
        : {}),
    });
    report.done('NATS answers');
    return { nc };
  } catch (error) {
    const first = new URL(config.natsServers[0] ?? 'nats://127.0.0.1:4222');
    const hasBinary = spawnSync('nats-server', ['--version']).status === 0;
    if (!LOOPBACK.has(first.hostname) || !hasBinary) {
      throw new Error(
        `NATS is not reachable at ${config.natsServers.join(', ')} (${(error as Error).message}). ` +
          (hasBinary
            ? 'Start it, or point RN_NATS_URL at a running server.'
            : 'Install it (Debian: apt-get install nats-server) or set RN_NATS_URL to a running server with JetStream.'),
      );
    }
    const storeDir = join(dataDir, 'nats');
    mkdirSync(storeDir, { recursive: true });
    const port = first.port || '4222';
    report.step(
      `no NATS answered: starting an embedded nats-server on 127.0.0.1:${port} (data in ${storeDir})`,
    );
    const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', port, '-js', '-sd', storeDir], {
      stdio: 'ignore',
    });
    const nc = await retry(
      () => connect({ servers: `nats://127.0.0.1:${port}`, name: 'rustronaut-platform' }),
      40,
      250,
    );
    report.done(`embedded NATS running (pid ${child.pid})`);
    return { nc, embedded: child };
  }
}

/** Checks that Postgres answers and creates the platform's database if it does not exist. */
export async function ensureDatabase(config: PlatformConfig, report: Reporter): Promise<void> {
  const url = new URL(config.databaseUrl);
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres';
  report.step(`Postgres at ${url.host}, database "${database}"`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `Postgres is not reachable at ${url.host} (${(error as Error).message}). ` +
        'Start it (Debian: apt-get install postgresql), or set RN_DATABASE_URL to a running server.',
    );
  }
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
      report.done(`created database "${database}"`);
    } else {
      report.done('Postgres answers');
    }
  } finally {
    await client.end();
  }
}

async function retry<T>(attempt: () => Promise<T>, times: number, delayMs: number): Promise<T> {
  let last: unknown;
  for (let i = 0; i < times; i++) {
    try {
      return await attempt();
    } catch (error) {
      last = error;
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
  throw last;
}

/** Checks that Redis answers (rate limits and revocations live there). */
export async function ensureRedis(config: PlatformConfig, report: Reporter): Promise<void> {
  const url = new URL(config.redisUrl);
  report.step(`Redis at ${url.host}`);
  const redis = new Redis(config.redisUrl, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
    report.done('Redis answers');
  } catch (error) {
    throw new Error(
      `Redis is not reachable at ${url.host} (${(error as Error).message}). ` +
        'Start it (Debian: apt-get install redis-server), or set RN_REDIS_URL to a running server.',
    );
  } finally {
    redis.disconnect();
  }
}
