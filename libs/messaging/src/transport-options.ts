/**
 * The NATS options of every NestJS server and client of the console: reconnect forever, quickly
 * (a control plane waits out a NATS restart instead of giving up after the client's default 10 tries).
 */
export function natsTransportOptions(servers: string[], name: string, queue?: string) {
  return { servers, name, maxReconnectAttempts: -1, reconnectTimeWait: 250, ...(queue ? { queue } : {}) };
}
