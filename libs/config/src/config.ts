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
});

export type PlatformConfig = {
  natsServers: string[];
  databaseUrl: string;
  redisUrl: string;
  eventsStream: string;
  eventsReplicas: number;
  logLevel: z.infer<typeof PlatformEnvSchema>['RN_LOG_LEVEL'];
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
  };
}
