/**
 * API latency: login and create-user through the whole console (api → NATS → identity → JetStream
 * → read model in Postgres), each beside a bare Fastify route doing only the irreducible work of
 * the same request in the same run (argon2id verify for a login; argon2id hash + one INSERT for a
 * create), so the figures show what the event-sourced path adds.
 *
 *   npm run bench:api [-- --duration 10 --connections 8 --json]
 *
 * Needs `npm run build` (the console runs from dist/), NATS on PATH, Postgres and Redis.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import argon2 from 'argon2';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { Client } from 'pg';
import { ADMIN, ConsoleHarness, login } from '@rustronaut/console-testing';
import { freePort, testDatabaseUrl, uniqueName } from '@rustronaut/testing';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '8' },
    json: { type: 'boolean', default: false },
  },
});
const DURATION = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const log = (line: string) => (args.json ? process.stderr : process.stdout).write(`${line}\n`);

interface Row {
  case: string;
  target: string;
  requests: number;
  errors: number;
  non2xx: number;
  p50_ms: number;
  p99_ms: number;
  rps: number;
}

async function load(
  target: string,
  name: string,
  url: string,
  body: (() => string) | undefined,
  headers: Record<string, string> = {},
  method: 'POST' | 'PATCH' | 'GET' = 'POST',
): Promise<Row> {
  log(`  ${name} → ${target}: ${DURATION} s, ${CONNECTIONS} connections…`);
  const result = await autocannon({
    url,
    method,
    connections: CONNECTIONS,
    duration: DURATION,
    headers: { 'content-type': 'application/json', ...headers },
    requests: [{ setupRequest: (request) => (body ? { ...request, body: body() } : request) }],
  });
  return {
    case: name,
    target,
    requests: result.requests.total,
    errors: result.errors,
    non2xx: result.non2xx,
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    rps: Math.round(result.requests.average),
  };
}

async function main(): Promise<void> {
  log('starting the console (identity, audit, api) as processes…');
  const console_ = await ConsoleHarness.start({
    RN_LOGIN_LIMIT_PER_IP: '100000000',
    RN_LOGIN_LIMIT_PER_ACCOUNT: '100000000',
    RN_LOG_LEVEL: 'warn',
  });
  const databaseUrl = await testDatabaseUrl();
  const table = uniqueName('bench_users');
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query(
    `CREATE TABLE ${table} (id text PRIMARY KEY, email text UNIQUE NOT NULL, name text NOT NULL, password_hash text NOT NULL)`,
  );
  const adminHash = await argon2.hash(ADMIN.password, { type: argon2.argon2id });

  // The peer: what a plain Fastify app with the same password hashing does, nothing more.
  const bare = Fastify();
  bare.post('/login', async (request, reply) => {
    const { password } = request.body as { password: string };
    return (await argon2.verify(adminHash, password)) ? { ok: true } : reply.status(401).send({});
  });
  bare.post('/users', async (request, reply) => {
    const { email, name, password } = request.body as { email: string; name: string; password: string };
    const hash = await argon2.hash(password, { type: argon2.argon2id });
    await db.query(`INSERT INTO ${table} (id, email, name, password_hash) VALUES ($1, $2, $3, $4)`, [
      randomUUID(),
      email,
      name,
      hash,
    ]);
    return reply.status(201).send({ email, name });
  });
  bare.patch('/users/:id', async (request) => {
    const { name } = request.body as { name: string };
    const { id } = request.params as { id: string };
    const { rows } = await db.query(`UPDATE ${table} SET name = $2 WHERE id = $1 RETURNING id, email, name`, [
      id,
      name,
    ]);
    return rows[0];
  });
  bare.get(
    '/users',
    async () => (await db.query(`SELECT id, email, name FROM ${table} ORDER BY id LIMIT 100`)).rows,
  );
  const barePort = await freePort();
  await bare.listen({ port: barePort, host: '127.0.0.1' });

  const rows: Row[] = [];
  try {
    const token = (await login(console_.url, ADMIN.email, ADMIN.password)).access;
    const loginBody = () => JSON.stringify({ email: ADMIN.email, password: ADMIN.password });
    const userBody = () =>
      JSON.stringify({
        email: `u-${randomUUID()}@bench.example`,
        name: 'Bench',
        password: 'bench-password-1',
      });
    rows.push(await load('rustronaut', 'login', `${console_.url}/api/v1/auth/login`, loginBody));
    rows.push(await load('bare fastify + argon2', 'login', `http://127.0.0.1:${barePort}/login`, loginBody));
    rows.push(
      await load('rustronaut', 'create user', `${console_.url}/api/v1/users`, userBody, {
        authorization: `Bearer ${token}`,
      }),
    );
    rows.push(
      await load(
        'bare fastify + argon2 + INSERT',
        'create user',
        `http://127.0.0.1:${barePort}/users`,
        userBody,
      ),
    );
    // Writes and reads without password hashing: what the event-sourced path itself costs.
    const created = await fetch(`${console_.url}/api/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: userBody(),
    });
    const userId = ((await created.json()) as { id: string }).id;
    const bareId = randomUUID();
    await db.query(`INSERT INTO ${table} (id, email, name, password_hash) VALUES ($1, $2, 'x', 'x')`, [
      bareId,
      `${bareId}@bench.example`,
    ]);
    let n = 0;
    const renameBody = () => JSON.stringify({ name: `Name ${n++}` });
    rows.push(
      await load(
        'rustronaut',
        'rename user',
        `${console_.url}/api/v1/users/${userId}`,
        renameBody,
        { authorization: `Bearer ${token}` },
        'PATCH',
      ),
    );
    rows.push(
      await load(
        'bare fastify + UPDATE',
        'rename user',
        `http://127.0.0.1:${barePort}/users/${bareId}`,
        renameBody,
        {},
        'PATCH',
      ),
    );
    rows.push(
      await load(
        'rustronaut',
        'list users',
        `${console_.url}/api/v1/users?limit=100`,
        undefined,
        { authorization: `Bearer ${token}` },
        'GET',
      ),
    );
    rows.push(
      await load(
        'bare fastify + SELECT',
        'list users',
        `http://127.0.0.1:${barePort}/users`,
        undefined,
        {},
        'GET',
      ),
    );
  } finally {
    await bare.close();
    await db.query(`DROP TABLE ${table}`);
    await db.end();
    await console_.stop();
  }
  if (args.json) {
    process.stdout.write(
      `${JSON.stringify({ connections: CONNECTIONS, duration_s: DURATION, rows }, null, 2)}\n`,
    );
    return;
  }
  log('');
  log(`| case | target | requests | non-2xx | errors | req/s | p50 ms | p99 ms |`);
  log(`|---|---|---|---|---|---|---|---|`);
  for (const r of rows)
    log(
      `| ${r.case} | ${r.target} | ${r.requests} | ${r.non2xx} | ${r.errors} | ${r.rps} | ${r.p50_ms} | ${r.p99_ms} |`,
    );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
