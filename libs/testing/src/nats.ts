import { connect, type NatsConnection } from 'nats';
import { loadPlatformConfig } from '@rustronaut/config';

/** A connection to the platform's NATS (RN_NATS_URL), named after the test. */
export function connectTestNats(name: string): Promise<NatsConnection> {
  return connect({ servers: loadPlatformConfig().natsServers, name });
}

/** Deletes a stream a test made, if it is still there. */
export async function deleteStream(nc: NatsConnection, stream: string): Promise<void> {
  const jsm = await nc.jetstreamManager();
  await jsm.streams.delete(stream).catch(() => undefined);
}
