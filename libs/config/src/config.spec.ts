import { ConfigError, loadPlatformConfig } from './config';

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
