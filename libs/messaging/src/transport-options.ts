import { connect, credsAuthenticator, type NatsConnection } from 'nats';

interface NatsSettings {
  natsServers: string[];
  natsCredentials?: string | undefined;
}

/**
 * nats.js records the caller's stack for every request and JetStream publish (an Error built up
 * front, another for its timer) to append to an error that may come; the console's requests are
 * wrapped in errors that name what they were for, so that bookkeeping is not worth its cost on
 * every append and every service request.
 */
const NO_ASYNC_TRACES = { noAsyncTraces: true } as const;

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
    ...NO_ASYNC_TRACES,
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
    ...NO_ASYNC_TRACES,
    ...authOf(settings),
  });
}
