import type { NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import type { ConsoleConfig } from '@rustronaut/config';
import { platformRegistry, type PlatformEvent, type PlatformEventDefinition } from '@rustronaut/contracts';
import { EventStore, ProjectionRunner, type Projection } from '@rustronaut/eventstore';
import { connectNats } from '@rustronaut/messaging';
import type { Logger } from '@rustronaut/observability';

export interface ServiceState {
  nc: NatsConnection;
  dataSource: DataSource;
  store: EventStore<PlatformEventDefinition>;
  readModel: ProjectionRunner<PlatformEventDefinition>;
  close(): Promise<void>;
}

/**
 * Opens what an event-sourced console service works with: its NATS connection, a data source on
 * its own schema, the event store, and its read model (started: caught up before this returns).
 */
export async function openServiceState(
  config: ConsoleConfig,
  options: {
    name: string;
    schema: string;
    projection: Projection<PlatformEvent>;
    logger: Logger;
    poolSize?: number;
  },
): Promise<ServiceState> {
  const nc = await connectNats(config, options.name);
  const dataSource = new DataSource({
    type: 'postgres',
    url: config.databaseUrl,
    schema: options.schema,
    extra: { max: options.poolSize ?? 10 },
  });
  await dataSource.initialize();
  const store = new EventStore({ nc, registry: platformRegistry, name: config.eventsStream });
  const readModel = new ProjectionRunner({
    nc,
    dataSource,
    schema: options.schema,
    registry: platformRegistry,
    projection: options.projection,
    name: config.eventsStream,
    logger: options.logger.child({ component: 'read-model' }),
  });
  await readModel.start();
  return {
    nc,
    dataSource,
    store,
    readModel,
    async close() {
      await readModel.stop();
      await nc.drain();
      await dataSource.destroy();
    },
  };
}
