import { availableParallelism } from 'node:os';
import { randomBytes } from 'node:crypto';
import {
  ConfigError,
  loadCliConfig,
  loadConsoleConfig,
  loadGatewayConfig,
  loadPlatformConfig,
} from './config';

describe('loadPlatformConfig', () => {
  it('uses the local defaults when nothing is set', () => {
    expect(loadPlatformConfig({})).toEqual({
      natsServers: ['nats://127.0.0.1:4222'],
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/rustronaut',
      redisUrl: 'redis://127.0.0.1:6379',
      eventsStream: 'RN_EVENTS',
      eventsReplicas: 1,
      logLevel: 'info',
      natsCredentials: undefined,
    });
  });

  it('reads overrides, including a NATS cluster', () => {
    const sut = loadPlatformConfig({ RN_NATS_URL: 'nats://a:4222,nats://b:4222', RN_EVENTS_REPLICAS: '3' });
    expect(sut.natsServers).toEqual(['nats://a:4222', 'nats://b:4222']);
    expect(sut.eventsReplicas).toBe(3);
  });

  it('refuses bad values, naming every bad variable and why', () => {
    let error: unknown;
    try {
      loadPlatformConfig({
        RN_DATABASE_URL: 'mysql://x',
        RN_EVENTS_REPLICAS: 'many',
        RN_NATS_URL: 'http://x',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/RN_DATABASE_URL: must start with postgres:\/\//);
    expect(message).toMatch(/RN_EVENTS_REPLICAS/);
    expect(message).toMatch(/RN_NATS_URL: must be one or more nats:\/\/ URLs/);
  });
});

describe('loadGatewayConfig: the data path settings', () => {
  it('listens for HTTPS on 8443 under the base domain localhost, with the documented timeouts', () => {
    const sut = loadGatewayConfig({});
    expect(sut.https.port).toBe(8443);
    expect(sut.baseDomain).toBe('localhost');
    expect(sut.tls).toEqual({ acme: undefined, files: undefined });
    expect(sut.timeouts).toEqual({ headersMs: 20_000, idleMs: 65_000 });
    expect(sut.upstream).toEqual({ ca: undefined, connectTimeoutMs: 10_000, responseTimeoutMs: 30_000 });
    expect(sut.trustedProxies).toEqual([]);
    expect(loadGatewayConfig({}, { httpsPort: '9443' }).https.port).toBe(9443);
  });

  it('reads trusted proxy CIDRs, and refuses what is not one, naming the variable', () => {
    expect(loadGatewayConfig({ RN_GATEWAY_TRUSTED_PROXIES: '10.0.0.0/8, fd00::/8' }).trustedProxies).toEqual([
      { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
      { address: 'fd00::', prefix: 8, family: 'ipv6' },
    ]);
    for (const bad of ['10.0.0.0', '10.0.0.0/33', 'proxy.local/8', '10.0.0.0/8,'])
      expect(() => loadGatewayConfig({ RN_GATEWAY_TRUSTED_PROXIES: bad })).toThrow(
        /RN_GATEWAY_TRUSTED_PROXIES/,
      );
  });

  it('wants a TLS certificate and its key together, and readable', () => {
    expect(() => loadGatewayConfig({ RN_GATEWAY_TLS_CERT: '/etc/hostname' })).toThrow(/set both or neither/);
    expect(() =>
      loadGatewayConfig({
        RN_GATEWAY_TLS_CERT: '/nonexistent/cert.pem',
        RN_GATEWAY_TLS_KEY: '/nonexistent/key.pem',
      }),
    ).toThrow(/RN_GATEWAY_TLS_CERT: cannot read \/nonexistent\/cert\.pem/);
    expect(() => loadGatewayConfig({ RN_GATEWAY_UPSTREAM_RESPONSE_TIMEOUT: '0' })).toThrow(
      /RN_GATEWAY_UPSTREAM_RESPONSE_TIMEOUT/,
    );
  });

  it('runs the gateway data plane on every core by default, or in RN_GATEWAY_WORKERS processes; nonsense stops it', () => {
    expect(loadGatewayConfig({}).workers).toBe(availableParallelism());
    expect(loadGatewayConfig({ RN_GATEWAY_WORKERS: '1' }).workers).toBe(1);
    expect(loadGatewayConfig({ RN_GATEWAY_WORKERS: '3' }).workers).toBe(3);
    expect(loadGatewayConfig({ RN_GATEWAY_WORKERS: 'auto' }).workers).toBe(availableParallelism());
    for (const bad of ['0', '65', 'all', '2.5', '-1'])
      expect(() => loadGatewayConfig({ RN_GATEWAY_WORKERS: bad })).toThrow(/RN_GATEWAY_WORKERS/);
  });

  it('sends access records to NATS by default, or to stdout, a file, or nowhere', () => {
    expect(loadGatewayConfig({}).accessLog).toEqual({ destination: 'nats', queueCapacity: 100_000 });
    expect(loadGatewayConfig({ RN_GATEWAY_ACCESS_LOG: 'stdout' }).accessLog.destination).toBe('stdout');
    expect(loadGatewayConfig({ RN_GATEWAY_ACCESS_LOG: 'off' }).accessLog.destination).toBe('off');
    expect(
      loadGatewayConfig({ RN_GATEWAY_ACCESS_LOG: '/var/log/rn/access.ndjson' }).accessLog.destination,
    ).toEqual({
      file: '/var/log/rn/access.ndjson',
    });
    expect(() => loadGatewayConfig({ RN_GATEWAY_ACCESS_LOG_QUEUE: '10' })).toThrow(
      /RN_GATEWAY_ACCESS_LOG_QUEUE/,
    );
  });
});

describe('loadCliConfig', () => {
  it('keeps credentials under XDG_CONFIG_HOME, else ~/.config', () => {
    expect(loadCliConfig({ XDG_CONFIG_HOME: '/x/conf/', HOME: '/home/a' }).configDir).toBe(
      '/x/conf/rustronaut',
    );
    expect(loadCliConfig({ HOME: '/home/a' }).configDir).toBe('/home/a/.config/rustronaut');
  });

  it('names the variable that is wrong', () => {
    expect(() => loadCliConfig({ HOME: '/h', RN_CONSOLE_URL: 'ftp://x' })).toThrow(/RN_CONSOLE_URL/);
    expect(() => loadCliConfig({ HOME: '/h', RN_TOTP: '12' })).toThrow(/RN_TOTP: must be 6 digits/);
    expect(() => loadCliConfig({})).toThrow(/XDG_CONFIG_HOME nor HOME/);
  });
});

describe('RN_SECRETS_KEY', () => {
  it('is 32 bytes of base64, or absent', () => {
    const key = randomBytes(32);
    expect(loadConsoleConfig({ RN_SECRETS_KEY: key.toString('base64') }).secretsKey).toEqual(key);
    expect(loadConsoleConfig({}).secretsKey).toBeUndefined();
  });

  it.each([
    randomBytes(16).toString('base64'),
    randomBytes(33).toString('base64'),
    'not base64 at all!',
    'a'.repeat(44),
  ])('refuses %s, naming the variable', (bad) => {
    expect(() => loadConsoleConfig({ RN_SECRETS_KEY: bad })).toThrow(
      /RN_SECRETS_KEY: must be 32 random bytes/,
    );
  });
});

describe('RN_CONSOLE_PROCESSES', () => {
  it('runs the console in one process unless told per-service', () => {
    expect(loadConsoleConfig({}).processes).toBe('one');
    expect(loadConsoleConfig({ RN_CONSOLE_PROCESSES: 'per-service' }).processes).toBe('per-service');
  });

  it.each(['two', 'ONE', 'per service', '1'])('refuses %s, naming the variable and the choices', (bad) => {
    expect(() => loadConsoleConfig({ RN_CONSOLE_PROCESSES: bad })).toThrow(
      /RN_CONSOLE_PROCESSES: .*"one"\|"per-service"/,
    );
  });
});
