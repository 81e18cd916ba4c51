import 'reflect-metadata';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';

import type { ConsoleConfig } from '@rustronaut/config';

import {
  HANDLER_LOGGER,
  ServiceClient,
  connectNats,
  natsTransportOptions,
  type HandlerLogger,
  type IdentityClient,
} from '@rustronaut/messaging';
import { openServiceState } from '@rustronaut/console-service';
import type { Logger } from '@rustronaut/observability';
import { PolicyController } from './policy.controller';
import { policyProjection } from './read-model/policy.projection';
import { PolicyQueries } from './read-model/policy.queries';
import { PolicyUseCases } from './use-cases/policies.use-cases';
import type { PolicyDeps } from './use-cases/policy-deps';
import { ResourceAccessUseCases } from './use-cases/resource-access.use-cases';
import { ResourceUseCases } from './use-cases/resources.use-cases';
import { ServiceUseCases, type ExposureSettings } from './use-cases/services.use-cases';
import { SiteUseCases } from './use-cases/sites.use-cases';
import { DevicesController } from './devices/devices.controller';
import { DeviceQueries } from './devices/device.queries';
import { DeviceUseCases } from './devices/device.use-cases';

@Module({})
class PolicyModule {
  static register(
    deps: PolicyDeps,
    exposure: ExposureSettings,
    devices: DeviceQueries,
    logger: HandlerLogger,
  ): DynamicModule {
    const resources = new ResourceUseCases(deps);
    return {
      module: PolicyModule,
      controllers: [PolicyController, DevicesController],
      providers: [
        { provide: SiteUseCases, useValue: new SiteUseCases(deps, exposure.tunnelEndpoint) },
        { provide: ResourceUseCases, useValue: resources },
        {
          provide: ResourceAccessUseCases,
          useValue: new ResourceAccessUseCases(deps, (principal, id) => resources.get(principal, id)),
        },
        { provide: PolicyUseCases, useValue: new PolicyUseCases(deps) },
        { provide: ServiceUseCases, useValue: new ServiceUseCases(deps, resources, exposure) },
        { provide: DeviceUseCases, useValue: new DeviceUseCases(deps, devices) },
        { provide: HANDLER_LOGGER, useValue: logger },
      ],
    };
  }
}

/** Sites, resources, targets and policies over NATS; its read model in its own schema. */
export async function startPolicyService(config: ConsoleConfig, logger: Logger) {
  const schema = config.schemas.policy;
  const state = await openServiceState(config, {
    name: 'policy',
    schema,
    projection: policyProjection(schema),
    logger,
    poolSize: 10,
  });
  const { dataSource, store, readModel } = state;
  const rpc = await connectNats(config, 'policy-client');
  const identity: IdentityClient = new ServiceClient(rpc, 'identity');
  const deps: PolicyDeps = {
    store,
    readModel,
    queries: new PolicyQueries(dataSource, schema),
    async userAccess(principal, userId) {
      const user = await identity.request('identity.users.get', { principal, id: userId });
      return { role: user.role, groups: user.groups };
    },
    clock: () => new Date(),
    secretsKey: config.secretsKey,
  };
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(
    PolicyModule.register(deps, config.exposure, new DeviceQueries(dataSource, schema), logger),
    {
      transport: Transport.NATS,
      options: natsTransportOptions(config, 'policy-rpc', 'policy'),
      logger: ['error', 'warn'],
    },
  );
  await app.listen();
  logger.info({ schema }, 'policy service ready');
  return {
    async close() {
      await app.close();
      await rpc.close();
      await state.close();
    },
  };
}
