import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { z } from 'zod';

/**
 * Settings shared by every process of the platform. This lib is the only place that reads
 * `process.env`: it validates once at boot and refuses to start with a message naming the bad
 * variable and why.
 */
const url = (protocols: string[]) =>
  z.url().refine((value) => protocols.some((p) => value.startsWith(`${p}://`)), {
    message: `must start with ${protocols.map((p) => `${p}://`).join(' or ')}`,
  });

export const PlatformEnvSchema = z.object({
  RN_NATS_URL: z
    .string()
    .default('nats://127.0.0.1:4222')
    .pipe(
      z
        .string()
        .regex(
          /^(nats|tls|wss?):\/\/[^\s,]+(,(nats|tls|wss?):\/\/[^\s,]+)*$/,
          'must be one or more nats:// URLs separated by commas',
        ),
    ),
  RN_DATABASE_URL: url(['postgres', 'postgresql']).default('postgres://postgres@127.0.0.1:5432/rustronaut'),
  RN_REDIS_URL: url(['redis', 'rediss']).default('redis://127.0.0.1:6379'),
  RN_EVENTS_STREAM: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, "_" or "-"')
    .default('RN_EVENTS'),
  RN_EVENTS_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  RN_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** A NATS .creds file, when NATS runs in operator mode (npm run nats-config writes one). */
  RN_NATS_CREDS: z.string().min(1).optional(),
});

export type PlatformConfig = {
  natsServers: string[];
  databaseUrl: string;
  redisUrl: string;
  eventsStream: string;
  eventsReplicas: number;
  logLevel: z.infer<typeof PlatformEnvSchema>['RN_LOG_LEVEL'];
  /** The contents of the NATS credentials file, if one is configured. */
  natsCredentials: string | undefined;
};

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      `invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}\n` +
        'Fix these environment variables and start again.',
    );
    this.name = 'ConfigError';
  }
}

/** Parses environment variables with a schema; every problem names its variable. */
export function parseEnv<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '(root)'),
        message: issue.message,
      })),
    );
  }
  return result.data;
}

export function loadPlatformConfig(env: NodeJS.ProcessEnv = process.env): PlatformConfig {
  const parsed = parseEnv(PlatformEnvSchema, env);
  return {
    natsServers: parsed.RN_NATS_URL.split(','),
    databaseUrl: parsed.RN_DATABASE_URL,
    redisUrl: parsed.RN_REDIS_URL,
    eventsStream: parsed.RN_EVENTS_STREAM,
    eventsReplicas: parsed.RN_EVENTS_REPLICAS,
    logLevel: parsed.RN_LOG_LEVEL,
    natsCredentials: parsed.RN_NATS_CREDS === undefined ? undefined : readCredentials(parsed.RN_NATS_CREDS),
  };
}

function readCredentials(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([
      { variable: 'RN_NATS_CREDS', message: `cannot read ${path}: ${(error as Error).message}` },
    ]);
  }
}

const Port = z.coerce.number().int().min(1).max(65535);
const Seconds = z.coerce.number().int().positive();
/** A duration in seconds that may be fractional (`0.5`). */
const PositiveSeconds = z.coerce
  .number()
  .positive()
  .max(24 * 3600);

/** Settings of the console services (API, identity, audit). */
export const ConsoleEnvSchema = z.object({
  RN_API_PORT: Port.default(7080),
  RN_API_HOST: z.string().default('127.0.0.1'),
  RN_PUBLIC_URL: z.url().optional(),
  RN_ADMIN_EMAIL: z.email().optional(),
  RN_ADMIN_PASSWORD: z.string().min(10, 'must be at least 10 characters').optional(),
  /**
   * `seed`: the first start creates the default organisation's owner (RN_ADMIN_EMAIL/PASSWORD, or a
   * printed password); `console`: nobody is created, the web console's first-run page makes them.
   */
  RN_ADMIN_SETUP: z.enum(['seed', 'console']).default('seed'),
  RN_ACCESS_TOKEN_TTL: Seconds.default(900),
  RN_REFRESH_TOKEN_TTL: Seconds.default(30 * 24 * 3600),
  RN_LOGIN_LIMIT_PER_IP: z.coerce.number().int().positive().default(20),
  RN_LOGIN_LIMIT_PER_ACCOUNT: z.coerce.number().int().positive().default(5),
  RN_LOGIN_LIMIT_WINDOW: Seconds.default(60),
  RN_OTEL_EXPORTER: z.enum(['none', 'console', 'otlp']).default('none'),
  RN_OTEL_ENDPOINT: z.url().default('http://127.0.0.1:4318/v1/traces'),
  RN_GATEWAY_HEARTBEAT_INTERVAL: Seconds.default(30),
  RN_ENROLLMENT_TTL: Seconds.default(24 * 3600),
  /** Gateway access records older than this are deleted from the console's access log. */
  RN_ACCESS_LOG_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  RN_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_:-]{1,64}$/)
    .default('rn'),
  RN_SCHEMA_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,30}$/, 'must be lower-case letters, digits or "_"')
    .optional(),
  /** Exposed services get `<name>.<base domain>`; `localhost` works in a browser on one machine. */
  RN_BASE_DOMAIN: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, 'must be a domain such as example.com or localhost')
    .default('localhost'),
  /** The gateways' public HTTPS port, for the URLs of exposed services (443 is left out of them). */
  RN_PUBLIC_HTTPS_PORT: Port.default(8443),
  /** Where `rustronaut expose` dials its tunnel (host:port, TLS); default: the base domain on the HTTPS port. */
  RN_TUNNEL_ENDPOINT: z
    .string()
    .regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port')
    .optional(),
  /**
   * The development CA (PEM) the gateways' certificates come from, when they have no others: the API
   * hands it out (GET /api/v1/edge) so `rustronaut login` can pin it. `npm start` sets its gateway's.
   */
  RN_EDGE_CA_FILE: z.string().min(1).optional(),
  /** The public ports TCP and UDP services are given, `from-to`. */
  RN_TUNNEL_PORTS: z
    .string()
    .regex(/^\d{1,5}-\d{1,5}$/, 'must be a range such as 40000-40999')
    .refine((r) => {
      const [from, to] = r.split('-').map(Number) as [number, number];
      return from >= 1 && to <= 65535 && from <= to;
    }, 'must be a range of ports from low to high')
    .default('40000-40999'),
  /**
   * How `npm start` runs the console's services: `one` process for all (one machine, the default),
   * or `per-service` — a process each, as a deployment over several machines runs them.
   */
  RN_CONSOLE_PROCESSES: z.enum(['one', 'per-service']).default('one'),
  /**
   * The key that seals secrets the console keeps (identity providers' client secrets), AES-256-GCM:
   * 32 random bytes in base64 (`openssl rand -base64 32`). Without it, identity providers cannot be added.
   */
  RN_SECRETS_KEY: z
    .string()
    .trim()
    .refine((v) => /^[A-Za-z0-9+/_-]+={0,2}$/.test(v) && Buffer.from(v, 'base64').length === 32, {
      message: 'must be 32 random bytes in base64 (openssl rand -base64 32)',
    })
    .optional(),
});

export interface ConsoleConfig extends PlatformConfig {
  api: { port: number; host: string; publicUrl: string };
  admin: { email: string | undefined; password: string | undefined; setup: 'seed' | 'console' };
  tokens: { accessTtlSeconds: number; refreshTtlSeconds: number };
  loginLimits: { perIp: number; perAccount: number; windowSeconds: number };
  tracing: { exporter: 'none' | 'console' | 'otlp'; endpoint: string };
  /** Postgres schema of each service; a prefix keeps several platforms (or tests) apart in one database. */
  schemas: { identity: string; audit: string; policy: string; distributor: string; registry: string };
  gateways: { heartbeatIntervalSeconds: number; enrollmentTtlSeconds: number };
  redisPrefix: string;
  /** RN_SECRETS_KEY: seals the secrets the console keeps; undefined when not configured. */
  secretsKey: Buffer | undefined;
  accessLog: { retentionDays: number };
  /** Exposed services: their names, public URLs and tunnel endpoint. */
  exposure: {
    baseDomain: string;
    httpsPort: number;
    tunnelEndpoint: string;
    ports: { from: number; to: number };
    /** The gateways' development CA certificate (PEM file), when they serve one. */
    developmentCaFile: string | undefined;
  };
  /** `one` process for every console service, or one `per-service`. */
  processes: 'one' | 'per-service';
}

export function loadConsoleConfig(env: NodeJS.ProcessEnv = process.env): ConsoleConfig {
  const platform = loadPlatformConfig(env);
  const c = parseEnv(ConsoleEnvSchema, env);
  const prefix = c.RN_SCHEMA_PREFIX ? `${c.RN_SCHEMA_PREFIX}_` : '';
  return {
    ...platform,
    api: {
      port: c.RN_API_PORT,
      host: c.RN_API_HOST,
      publicUrl:
        c.RN_PUBLIC_URL ??
        `http://${c.RN_API_HOST === '0.0.0.0' ? '127.0.0.1' : c.RN_API_HOST}:${c.RN_API_PORT}`,
    },
    admin: { email: c.RN_ADMIN_EMAIL, password: c.RN_ADMIN_PASSWORD, setup: c.RN_ADMIN_SETUP },
    tokens: { accessTtlSeconds: c.RN_ACCESS_TOKEN_TTL, refreshTtlSeconds: c.RN_REFRESH_TOKEN_TTL },
    loginLimits: {
      perIp: c.RN_LOGIN_LIMIT_PER_IP,
      perAccount: c.RN_LOGIN_LIMIT_PER_ACCOUNT,
      windowSeconds: c.RN_LOGIN_LIMIT_WINDOW,
    },
    tracing: { exporter: c.RN_OTEL_EXPORTER, endpoint: c.RN_OTEL_ENDPOINT },
    schemas: {
      identity: `${prefix}identity`,
      audit: `${prefix}audit`,
      policy: `${prefix}policy`,
      distributor: `${prefix}distributor`,
      registry: `${prefix}registry`,
    },
    gateways: {
      heartbeatIntervalSeconds: c.RN_GATEWAY_HEARTBEAT_INTERVAL,
      enrollmentTtlSeconds: c.RN_ENROLLMENT_TTL,
    },
    redisPrefix: c.RN_REDIS_PREFIX,
    secretsKey: c.RN_SECRETS_KEY === undefined ? undefined : Buffer.from(c.RN_SECRETS_KEY, 'base64'),
    accessLog: { retentionDays: c.RN_ACCESS_LOG_RETENTION_DAYS },
    exposure: {
      baseDomain: c.RN_BASE_DOMAIN,
      httpsPort: c.RN_PUBLIC_HTTPS_PORT,
      tunnelEndpoint: c.RN_TUNNEL_ENDPOINT ?? `${c.RN_BASE_DOMAIN}:${c.RN_PUBLIC_HTTPS_PORT}`,
      developmentCaFile: c.RN_EDGE_CA_FILE,
      ports: {
        from: Number(c.RN_TUNNEL_PORTS.split('-')[0]),
        to: Number(c.RN_TUNNEL_PORTS.split('-')[1]),
      },
    },
    processes: c.RN_CONSOLE_PROCESSES,
  };
}

/** Settings of an edge gateway; command-line flags override them. */
export const GatewayEnvSchema = z.object({
  RN_GATEWAY_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional(),
  RN_GATEWAY_SITES: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*$/, 'must be site ids separated by commas')
    .optional(),
  RN_GATEWAY_DATA_DIR: z.string().min(1).default('.rustronaut/gateway'),
  RN_GATEWAY_MANAGEMENT_PORT: Port.default(9090),
  RN_GATEWAY_MANAGEMENT_HOST: z.string().default('127.0.0.1'),
  RN_GATEWAY_HTTP_PORT: Port.default(8080),
  RN_GATEWAY_HTTP_HOST: z.string().default('0.0.0.0'),
  RN_GATEWAY_HTTPS_PORT: Port.default(8443),
  /** Hosts under this domain get a certificate from the local development CA (`app.localhost`). */
  RN_BASE_DOMAIN: z
    .string()
    .toLowerCase()
    .regex(
      /^(?!-)[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})*$/,
      'must be a domain name such as localhost or company.com',
    )
    .default('localhost'),
  /** An ACME directory (Let's Encrypt, a private CA): certificates for the resources' domains by HTTP-01. */
  RN_ACME_DIRECTORY_URL: url(['https', 'http']).optional(),
  RN_ACME_EMAIL: z.email().optional(),
  /** The root of an ACME CA whose directory is served with a certificate no public root signs (a test CA). */
  RN_ACME_CA_CERT: z.string().min(1).optional(),
  /** A certificate (PEM chain) and its key served for the names it covers, and as the default. */
  RN_GATEWAY_TLS_CERT: z.string().min(1).optional(),
  RN_GATEWAY_TLS_KEY: z.string().min(1).optional(),
  /** CA certificates (PEM) trusted for https targets besides the system's. */
  RN_GATEWAY_UPSTREAM_CA: z.string().min(1).optional(),
  RN_GATEWAY_HEADERS_TIMEOUT: PositiveSeconds.default(20),
  RN_GATEWAY_IDLE_TIMEOUT: PositiveSeconds.default(65),
  RN_GATEWAY_UPSTREAM_RESPONSE_TIMEOUT: PositiveSeconds.default(30),
  /** CIDRs of proxies in front of the gateway whose X-Forwarded-For/-Proto are believed. */
  RN_GATEWAY_TRUSTED_PROXIES: z
    .string()
    .refine((value) => value.split(',').every((c) => parseCidrText(c.trim()) !== undefined), {
      message: 'must be CIDRs separated by commas, such as 10.0.0.0/8,fd00::/8',
    })
    .optional(),
  RN_CONSOLE_URL: z.url().default('http://127.0.0.1:7080'),
  RN_ENROLLMENT_TOKEN: z.string().min(1).optional(),
  /** The gateway's region: region-aware resources prefer targets there (default: each site's region). */
  RN_GATEWAY_REGION: z.string().trim().min(1).max(64).optional(),
  /** How long a stop waits for requests and connections in flight before cutting them. */
  RN_GATEWAY_DRAIN_TIMEOUT: Seconds.default(30),
  /** The connect timeout to a target (TCP, and the TLS handshake of an https target), for every resource. */
  RN_GATEWAY_CONNECT_TIMEOUT: Seconds.default(10),
  /** A UDP flow (one client address and port) ends after this long without a datagram either way. */
  RN_GATEWAY_UDP_IDLE_TIMEOUT: Seconds.default(60),
  /** At most this many UDP flows per public port; datagrams of further new clients are dropped. */
  RN_GATEWAY_UDP_MAX_FLOWS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  /** A MaxMind country database (.mmdb); without one every client's country is unknown. */
  RN_GEOIP_DB: z.string().min(1).optional(),
  /** Redis shared by the gateways of a site for rate limits; without it each gateway counts alone. */
  RN_GATEWAY_REDIS_URL: url(['redis', 'rediss']).optional(),
  RN_GATEWAY_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_:-]{1,64}$/, 'must be letters, digits, "_", ":" or "-" (at most 64)')
    .default('rn:gw'),
  /** The largest request head (request line and headers) the data path reads; larger → 431. */
  RN_GATEWAY_MAX_HEADER_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024)
    .default(16 * 1024),
  /** The most header fields a request may carry (HTTP/1.1 and HTTP/2); more → 431, never a shortened list. */
  RN_GATEWAY_MAX_HEADER_COUNT: z.coerce.number().int().min(16).max(10_000).default(200),
  /** Signs bot-challenge passes; give every gateway of a site the same one so a pass works on all. */
  RN_GATEWAY_CHALLENGE_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Where access records go: `nats` (the console's access log), `stdout`, a file path (NDJSON), or `off`. */
  RN_GATEWAY_ACCESS_LOG: z.string().min(1).default('nats'),
  /** Records kept in memory while the destination is away; beyond it they are dropped and counted. */
  RN_GATEWAY_ACCESS_LOG_QUEUE: z.coerce.number().int().min(100).max(10_000_000).default(100_000),
  /**
   * Data-plane processes: `auto` (one per core, the default) or a number; 1 serves everything from
   * one process (as `auto` does on one core). Several share the listening sockets; one primary keeps
   * the control plane (see docs/gateway-workers.md).
   */
  RN_GATEWAY_WORKERS: z
    .union([z.literal('auto'), z.coerce.number().int().min(1).max(64)], {
      error: 'must be auto or a number of processes from 1 to 64',
    })
    .default('auto'),
});

export interface GatewayConfig {
  gatewayId: string | undefined;
  siteIds: string[];
  dataDir: string;
  management: { port: number; host: string };
  http: { port: number; host: string };
  region: string | undefined;
  drainTimeoutSeconds: number;
  /** TCP and UDP resources (their public ports bind on the HTTP host). */
  l4: { connectTimeoutSeconds: number; udpIdleTimeoutSeconds: number; udpMaxFlows: number };
  https: { port: number; host: string };
  baseDomain: string;
  tls: {
    acme: { directoryUrl: string; email: string | undefined; caCert: string | undefined } | undefined;
    /** PEM texts of RN_GATEWAY_TLS_CERT and RN_GATEWAY_TLS_KEY, when both are set. */
    files: { cert: string; key: string } | undefined;
  };
  upstream: { ca: string | undefined; connectTimeoutMs: number; responseTimeoutMs: number };
  timeouts: { headersMs: number; idleMs: number };
  trustedProxies: TrustedProxyRange[];
  consoleUrl: string;
  enrollmentToken: string | undefined;
  natsServers: string[];
  logLevel: PlatformConfig['logLevel'];
  geoipDb: string | undefined;
  /** Where rate limits are counted across gateways, if anywhere. */
  sharedLimits: { redisUrl: string; prefix: string } | undefined;
  maxHeaderBytes: number;
  maxHeaderCount: number;
  challengeSecret: string | undefined;
  accessLog: { destination: 'nats' | 'stdout' | 'off' | { file: string }; queueCapacity: number };
  /** Data-plane processes (1: one process serves everything). */
  workers: number;
}

export function loadGatewayConfig(
  env: NodeJS.ProcessEnv = process.env,
  flags: Partial<
    Record<
      | 'gatewayId'
      | 'sites'
      | 'dataDir'
      | 'managementPort'
      | 'httpPort'
      | 'httpsPort'
      | 'console'
      | 'enroll'
      | 'nats',
      string
    >
  > = {},
): GatewayConfig {
  const merged: NodeJS.ProcessEnv = { ...env };
  const set = (name: string, value: string | undefined) => {
    if (value !== undefined) merged[name] = value;
  };
  set('RN_GATEWAY_ID', flags.gatewayId);
  set('RN_GATEWAY_SITES', flags.sites);
  set('RN_GATEWAY_DATA_DIR', flags.dataDir);
  set('RN_GATEWAY_MANAGEMENT_PORT', flags.managementPort);
  set('RN_GATEWAY_HTTP_PORT', flags.httpPort);
  set('RN_GATEWAY_HTTPS_PORT', flags.httpsPort);
  set('RN_CONSOLE_URL', flags.console);
  set('RN_ENROLLMENT_TOKEN', flags.enroll);
  set('RN_NATS_URL', flags.nats);
  const platform = loadPlatformConfig(merged);
  const g = parseEnv(GatewayEnvSchema, merged);
  return {
    gatewayId: g.RN_GATEWAY_ID,
    siteIds: g.RN_GATEWAY_SITES ? g.RN_GATEWAY_SITES.split(',') : [],
    dataDir: g.RN_GATEWAY_DATA_DIR,
    management: { port: g.RN_GATEWAY_MANAGEMENT_PORT, host: g.RN_GATEWAY_MANAGEMENT_HOST },
    http: { port: g.RN_GATEWAY_HTTP_PORT, host: g.RN_GATEWAY_HTTP_HOST },
    region: g.RN_GATEWAY_REGION,
    drainTimeoutSeconds: g.RN_GATEWAY_DRAIN_TIMEOUT,
    l4: {
      connectTimeoutSeconds: g.RN_GATEWAY_CONNECT_TIMEOUT,
      udpIdleTimeoutSeconds: g.RN_GATEWAY_UDP_IDLE_TIMEOUT,
      udpMaxFlows: g.RN_GATEWAY_UDP_MAX_FLOWS,
    },
    https: { port: g.RN_GATEWAY_HTTPS_PORT, host: g.RN_GATEWAY_HTTP_HOST },
    baseDomain: g.RN_BASE_DOMAIN,
    tls: {
      acme: g.RN_ACME_DIRECTORY_URL
        ? {
            directoryUrl: g.RN_ACME_DIRECTORY_URL,
            email: g.RN_ACME_EMAIL,
            caCert:
              g.RN_ACME_CA_CERT === undefined ? undefined : readPem('RN_ACME_CA_CERT', g.RN_ACME_CA_CERT),
          }
        : undefined,
      files: tlsFiles(g.RN_GATEWAY_TLS_CERT, g.RN_GATEWAY_TLS_KEY),
    },
    upstream: {
      ca:
        g.RN_GATEWAY_UPSTREAM_CA === undefined
          ? undefined
          : readPem('RN_GATEWAY_UPSTREAM_CA', g.RN_GATEWAY_UPSTREAM_CA),
      connectTimeoutMs: g.RN_GATEWAY_CONNECT_TIMEOUT * 1000,
      responseTimeoutMs: g.RN_GATEWAY_UPSTREAM_RESPONSE_TIMEOUT * 1000,
    },
    timeouts: { headersMs: g.RN_GATEWAY_HEADERS_TIMEOUT * 1000, idleMs: g.RN_GATEWAY_IDLE_TIMEOUT * 1000 },
    trustedProxies: (g.RN_GATEWAY_TRUSTED_PROXIES ?? '')
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean)
      .flatMap((c) => parseCidrText(c) ?? []),
    consoleUrl: g.RN_CONSOLE_URL.replace(/\/$/, ''),
    enrollmentToken: g.RN_ENROLLMENT_TOKEN,
    natsServers: platform.natsServers,
    logLevel: platform.logLevel,
    geoipDb: g.RN_GEOIP_DB,
    sharedLimits: g.RN_GATEWAY_REDIS_URL
      ? { redisUrl: g.RN_GATEWAY_REDIS_URL, prefix: g.RN_GATEWAY_REDIS_PREFIX }
      : undefined,
    maxHeaderBytes: g.RN_GATEWAY_MAX_HEADER_BYTES,
    maxHeaderCount: g.RN_GATEWAY_MAX_HEADER_COUNT,
    challengeSecret: g.RN_GATEWAY_CHALLENGE_SECRET,
    accessLog: {
      destination: ['nats', 'stdout', 'off'].includes(g.RN_GATEWAY_ACCESS_LOG)
        ? (g.RN_GATEWAY_ACCESS_LOG as 'nats' | 'stdout' | 'off')
        : { file: g.RN_GATEWAY_ACCESS_LOG },
      queueCapacity: g.RN_GATEWAY_ACCESS_LOG_QUEUE,
    },
    workers: g.RN_GATEWAY_WORKERS === 'auto' ? availableParallelism() : g.RN_GATEWAY_WORKERS,
  };
}

/** One CIDR of RN_GATEWAY_TRUSTED_PROXIES. */
export interface TrustedProxyRange {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

function parseCidrText(text: string): TrustedProxyRange | undefined {
  const [address = '', bits, ...rest] = text.split('/');
  const version = isIP(address);
  const prefix = Number(bits);
  const width = version === 4 ? 32 : 128;
  if (!version || rest.length || bits === undefined || !/^\d{1,3}$/.test(bits) || prefix > width)
    return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

function readPem(variable: string, path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([{ variable, message: `cannot read ${path}: ${(error as Error).message}` }]);
  }
  if (!text.includes('-----BEGIN '))
    throw new ConfigError([{ variable, message: `${path} holds no PEM block` }]);
  return text;
}

function tlsFiles(
  cert: string | undefined,
  key: string | undefined,
): { cert: string; key: string } | undefined {
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) {
    throw new ConfigError([
      {
        variable: cert === undefined ? 'RN_GATEWAY_TLS_CERT' : 'RN_GATEWAY_TLS_KEY',
        message: 'RN_GATEWAY_TLS_CERT and RN_GATEWAY_TLS_KEY go together: set both or neither',
      },
    ]);
  }
  return { cert: readPem('RN_GATEWAY_TLS_CERT', cert), key: readPem('RN_GATEWAY_TLS_KEY', key) };
}

/** The peer benchmark harness's interface (shared/bench README): ports, upstream, JWT settings. */
export const BenchEnvSchema = z.object({
  BENCH_HTTP_PORT: Port.default(18020),
  BENCH_HTTP_AUTH_PORT: Port.default(18021),
  BENCH_UPSTREAM_HTTP: z.string().regex(/^[^:]+:\d+$/, 'must be host:port'),
  BENCH_TCP_PORT: Port.default(18105),
  BENCH_UPSTREAM_TCP: z
    .string()
    .regex(/^[^:]+:\d+$/, 'must be host:port')
    .optional(),
  BENCH_UDP_PORT: Port.default(18205),
  BENCH_UPSTREAM_UDP: z
    .string()
    .regex(/^[^:]+:\d+$/, 'must be host:port')
    .optional(),
  BENCH_JWT_SECRET: z.string().min(1),
  BENCH_JWT_ISS: z.string().default('bench'),
  BENCH_JWT_AUD: z.string().default('gateway'),
  /** Public ports of the reverse tunnel that reaches BENCH_UPSTREAM_HTTP and BENCH_UPSTREAM_TCP. */
  BENCH_TUNNEL_HTTP_PORT: Port.default(18022),
  BENCH_TUNNEL_TCP_PORT: Port.default(18108),
  /** A writable scratch directory (the candidate's gateways' data directories and NATS store); a temporary one when unset. */
  BENCH_WORKDIR: z.string().min(1).optional(),
});

export function loadBenchConfig(env: NodeJS.ProcessEnv = process.env) {
  return parseEnv(BenchEnvSchema, env);
}

/**
 * The `rustronaut` command's environment: where it keeps its credentials (the XDG config dir, else
 * ~/.config), and the values a script can give instead of flags or prompts.
 */
export const CliEnvSchema = z.object({
  RN_CONSOLE_URL: url(['http', 'https']).optional(),
  /** The password for `rustronaut login --email`, for scripts (a person is asked for it). */
  RN_PASSWORD: z.string().min(1).max(1024).optional(),
  /** The 6-digit code for accounts with two-factor authentication, for scripts. */
  RN_TOTP: z
    .string()
    .regex(/^\d{6}$/, 'must be 6 digits')
    .optional(),
  /** A PEM file of CA certificates to trust for the gateway's tunnel endpoint (a development CA). */
  RN_CA_FILE: z.string().min(1).optional(),
  XDG_CONFIG_HOME: z.string().min(1).optional(),
  HOME: z.string().min(1).optional(),
});

export interface CliConfig {
  consoleUrl: string | undefined;
  password: string | undefined;
  totp: string | undefined;
  caFile: string | undefined;
  /** The directory that holds credentials.json. */
  configDir: string;
}

export function loadCliConfig(env: NodeJS.ProcessEnv = process.env): CliConfig {
  const parsed = parseEnv(CliEnvSchema, env);
  const base = parsed.XDG_CONFIG_HOME ?? (parsed.HOME ? `${parsed.HOME}/.config` : undefined);
  if (!base)
    throw new ConfigError([
      { variable: 'HOME', message: 'neither XDG_CONFIG_HOME nor HOME is set: set one of them' },
    ]);
  return {
    consoleUrl: parsed.RN_CONSOLE_URL?.replace(/\/+$/, ''),
    password: parsed.RN_PASSWORD,
    totp: parsed.RN_TOTP,
    caFile: parsed.RN_CA_FILE,
    configDir: `${base.replace(/\/+$/, '')}/rustronaut`,
  };
}
