import { connect, credsAuthenticator, type NatsConnection } from 'nats';

interface NatsSettings {
  natsServers: string[];
  natsCredentials?: string | undefined;
}

const authOf = (settings: NatsSettings) =>
  settings.natsCredentials
    ? { authenticator: credsAuthenticator(new TextEncoder().encode(settings.natsCredentials)) }
    : {};

/**
 * The NATS options of every NestJS server and client of the console: reconnect forever, quickly
 * (a control plane waits out a NATS restart instead of giving up after the client's default 10
 * tries), and the platform's credentials when NATS runs in operator mode.
 */
export function natsTransportOptions(settings: NatsSettings, name: string, queue?: string) {
  return {
    servers: settings.natsServers,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    ...authOf(settings),
    ...(queue ? { queue } : {}),
  };
}

/** A console service's own NATS connection (event store, projections, subscriptions), same settings. */
export function connectNats(settings: NatsSettings, name: string): Promise<NatsConnection> {
  return connect({
    servers: settings.natsServers,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    ...authOf(settings),
  });
}
