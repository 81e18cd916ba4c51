import 'reflect-metadata';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { connect, credsAuthenticator } from 'nats';

import type { ConsoleConfig } from '@rustronaut/config';

import {
  RemoteError,
  ServiceClient,
  HANDLER_LOGGER,
  connectNats,
  natsTransportOptions,
  type HandlerLogger,
  type PolicyClient,
} from '@rustronaut/messaging';
import { openServiceState } from '@rustronaut/console-service';
import type { Logger } from '@rustronaut/observability';
import { GatewayAssignments } from './gateway-assignments';
import { gatewayProjection } from './gateway.projection';
import { GatewayQueries } from './gateway.queries';
import { listenToReports, monitorHealth } from './gateway-reports';
import { GatewayUseCases } from './gateways.use-cases';
import { loadNatsAuthority } from '@rustronaut/nats-authority';
import { RegistryController } from './registry.controller';

@Module({})
class RegistryModule {
  static register(useCases: GatewayUseCases, queries: GatewayQueries, logger: HandlerLogger): DynamicModule {
    return {
      module: RegistryModule,
      controllers: [RegistryController],
      providers: [
        { provide: GatewayUseCases, useValue: useCases },
        { provide: GatewayQueries, useValue: queries },
        { provide: HANDLER_LOGGER, useValue: logger },
      ],
    };
  }
}

/** The gateway fleet: CRUD and enrolment over NATS, gateways' signed reports, health. */
export async function startGatewayRegistry(config: ConsoleConfig, logger: Logger) {
  const schema = config.schemas.registry;
  const state = await openServiceState(config, {
    name: 'gateway-registry',
    schema,
    projection: gatewayProjection(schema),
    logger,
    poolSize: 5,
  });
  const { nc, dataSource, store, readModel } = state;
  const queries = new GatewayQueries(dataSource, schema);
  const authority = await loadNatsAuthority(dataSource, schema);
  const systemCreds = new TextEncoder().encode(await authority.systemCreds());
  const assignments = new GatewayAssignments(nc, queries, authority, logger);
  const stopAnswering = assignments.answer();
  const rpc = await connectNats(config, 'registry-client');
  const policy: PolicyClient = new ServiceClient(rpc, 'policy');
  const useCases = new GatewayUseCases({
    store,
    readModel,
    queries,
    async siteExists(principal, siteId) {
      try {
        await policy.request('policy.sites.get', { principal, id: siteId });
        return true;
      } catch (error) {
        if (error instanceof RemoteError && error.code === 'POLICY_NOT_FOUND') return false;
        throw error;
      }
    },
    resource: (principal, resourceId) =>
      policy.request('policy.resources.get', { principal, id: resourceId }),
    assignmentChanged: (gatewayId) => assignments.push(gatewayId),
    natsUserJwt: (gatewayId, orgId, siteIds, natsPublicKey) =>
      authority.gatewayUserJwt(gatewayId, orgId, siteIds, natsPublicKey),
    async revokeDeletedGateways() {
      // Effective where NATS runs in operator mode with this authority (deploy/nats); a no-auth
      // development server has no account to update, which is said once in the log.
      const account = await authority.accountJwt(await queries.revokedNatsUsers());
      const system = await connect({
        servers: config.natsServers,
        authenticator: credsAuthenticator(systemCreds),
        timeout: 2_000,
      }).catch(() => undefined);
      try {
        const reply = await system?.request('$SYS.REQ.CLAIMS.UPDATE', new TextEncoder().encode(account), {
          timeout: 2_000,
        });
        logger.info({ reply: reply?.string() }, 'pushed the NATS account with the revoked gateway users');
      } catch (error) {
        logger.warn(
          { err: error },
          'could not push the NATS revocations: NATS is not in operator mode with this authority',
        );
      } finally {
        await system?.close();
      }
    },
    enrollmentTtlSeconds: config.gateways.enrollmentTtlSeconds,
    heartbeatIntervalSeconds: config.gateways.heartbeatIntervalSeconds,
    clock: () => new Date(),
  });
  const stopReports = listenToReports(nc, queries, logger);
  const stopHealth = monitorHealth(store, queries, config.gateways.heartbeatIntervalSeconds, logger);
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(
    RegistryModule.register(useCases, queries, logger),
    {
      transport: Transport.NATS,
      options: natsTransportOptions(config, 'registry-rpc', 'gateway-registry'),
      logger: ['error', 'warn'],
    },
  );
  await app.listen();
  logger.info({ schema }, 'gateway registry ready');
  return {
    async close() {
      stopHealth();
      stopAnswering();
      stopReports();
      await app.close();
      await rpc.close();
      await state.close();
    },
  };
}
