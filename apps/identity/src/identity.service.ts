import 'reflect-metadata';
import { Module, type DynamicModule, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { Redis } from 'ioredis';
import type { NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import type { ConsoleConfig } from '@rustronaut/config';
import { SYSTEM_ACTOR, platformRegistry } from '@rustronaut/contracts';
import { EventStore, ProjectionRunner } from '@rustronaut/eventstore';
import { ServiceHandlerInterceptor, natsTransportOptions, connectNats } from '@rustronaut/messaging';
import type { Logger } from '@rustronaut/observability';
import { RevocationList } from '@rustronaut/revocation';
import { DEFAULT_ORG_ID } from './domain/ids';
import { SigningKeys } from './domain/signing-keys';
import { IdentityController } from './identity.controller';
import { identityProjection } from './read-model/identity.projection';
import { IdentityQueries } from './read-model/identity.queries';
import { seedDefaultOrganization } from './seed';
import type { IdentityDeps } from './use-cases/identity-deps';
import { IdentityUseCases } from './use-cases/identity-use-cases';

@Module({})
class IdentityModule {
  static register(useCases: IdentityUseCases): DynamicModule {
    return {
      module: IdentityModule,
      controllers: [IdentityController],
      providers: [{ provide: IdentityUseCases, useValue: useCases }],
    };
  }
}

export interface RunningIdentity {
  deps: IdentityDeps;
  close(): Promise<void>;
}

/** Connects, catches the read model up, seeds the default organisation, then answers on NATS. */
export async function startIdentityService(config: ConsoleConfig, logger: Logger): Promise<RunningIdentity> {
  const schema = config.schemas.identity;
  const nc: NatsConnection = await connectNats(config, 'identity');
  const dataSource = new DataSource({
    type: 'postgres',
    url: config.databaseUrl,
    schema,
    extra: { max: 10 },
  });
  await dataSource.initialize();
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
  const store = new EventStore({ nc, registry: platformRegistry, name: config.eventsStream });
  const readModel = new ProjectionRunner({
    nc,
    dataSource,
    schema,
    registry: platformRegistry,
    projection: identityProjection(schema),
    name: config.eventsStream,
    logger: logger.child({ component: 'read-model' }),
  });
  await readModel.start();
  const deps: IdentityDeps = {
    config,
    store,
    readModel,
    queries: new IdentityQueries(dataSource, schema),
    keys: new SigningKeys(dataSource, schema, config.tokens.accessTtlSeconds),
    revocations: new RevocationList(redis, config.redisPrefix),
    clock: () => new Date(),
  };
  const firstKey = await deps.keys.ensureActive();
  if (firstKey) {
    await store.append(
      { type: 'signing_key', id: firstKey.kid },
      0,
      [{ type: 'SigningKeyRotated', data: { kid: firstKey.kid, publicJwk: { ...firstKey.publicJwk } } }],
      {
        commandId: `signing-key:${firstKey.kid}`,
        orgId: DEFAULT_ORG_ID,
        actor: SYSTEM_ACTOR,
      },
    );
  }
  const useCases = new IdentityUseCases(deps);
  await seedDefaultOrganization(deps, useCases, logger);

  const app: INestMicroservice = await NestFactory.createMicroservice<MicroserviceOptions>(
    IdentityModule.register(useCases),
    {
      transport: Transport.NATS,
      options: natsTransportOptions(config, 'identity-rpc', 'identity'),
      logger: ['error', 'warn'],
    },
  );
  app.useGlobalInterceptors(new ServiceHandlerInterceptor(logger));
  await app.listen();
  logger.info({ schema }, 'identity service ready');
  return {
    deps,
    async close() {
      await app.close();
      await readModel.stop();
      await nc.drain();
      redis.disconnect();
      await dataSource.destroy();
    },
  };
}
