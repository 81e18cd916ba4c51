import 'reflect-metadata';
import { Module, type DynamicModule, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { Redis } from 'ioredis';

import type { ConsoleConfig } from '@rustronaut/config';
import { SYSTEM_ACTOR } from '@rustronaut/contracts';
import { HANDLER_LOGGER, natsTransportOptions, type HandlerLogger } from '@rustronaut/messaging';
import { openServiceState } from '@rustronaut/console-service';
import type { Logger } from '@rustronaut/observability';
import { RevocationList } from '@rustronaut/revocation';
import { DEFAULT_ORG_ID } from './domain/ids';
import { SigningKeys } from './domain/signing-keys';
import { IdentityController } from './identity.controller';
import { identityProjection } from './read-model/identity.projection';
import { IdentityQueries } from './read-model/identity.queries';
import { SignInQueries } from './read-model/sign-in.queries';
import { OidcRelyingParty } from './oidc/oidc-relying-party';
import { SignInAttempts } from './oidc/sign-in-attempts';
import { seedDefaultOrganization } from './seed';
import type { IdentityDeps } from './use-cases/identity-deps';
import { IdentityUseCases } from './use-cases/identity-use-cases';

@Module({})
class IdentityModule {
  static register(useCases: IdentityUseCases, logger: HandlerLogger): DynamicModule {
    return {
      module: IdentityModule,
      controllers: [IdentityController],
      providers: [
        { provide: IdentityUseCases, useValue: useCases },
        { provide: HANDLER_LOGGER, useValue: logger },
      ],
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
  const state = await openServiceState(config, {
    name: 'identity',
    schema,
    projection: identityProjection(schema),
    logger,
    poolSize: 10,
  });
  const { dataSource, store, readModel } = state;
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
  const deps: IdentityDeps = {
    config,
    store,
    readModel,
    queries: new IdentityQueries(dataSource, schema),
    signIn: new SignInQueries(dataSource, schema),
    relyingParty: new OidcRelyingParty(() => new Date()),
    attempts: new SignInAttempts(redis, config.redisPrefix),
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
    IdentityModule.register(useCases, logger),
    {
      transport: Transport.NATS,
      options: natsTransportOptions(config, 'identity-rpc', 'identity'),
      logger: ['error', 'warn'],
    },
  );
  await app.listen();
  logger.info({ schema }, 'identity service ready');
  return {
    deps,
    async close() {
      await app.close();
      redis.disconnect();
      await state.close();
    },
  };
}
