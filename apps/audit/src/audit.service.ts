import 'reflect-metadata';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';

import type { ConsoleConfig } from '@rustronaut/config';
import { platformRegistry } from '@rustronaut/contracts';
import { HANDLER_LOGGER, natsTransportOptions, type HandlerLogger } from '@rustronaut/messaging';
import { openServiceState } from '@rustronaut/console-service';
import type { Logger } from '@rustronaut/observability';
import { AccessLogIngest, startAccessRetention } from './access-log.ingest';
import { AccessLogQueries } from './access-log.queries';
import { AuditController } from './audit.controller';
import { auditProjection } from './audit.projection';
import { AuditQueries } from './audit.queries';

@Module({})
class AuditModule {
  static register(queries: AuditQueries, accessLog: AccessLogQueries, logger: HandlerLogger): DynamicModule {
    return {
      module: AuditModule,
      controllers: [AuditController],
      providers: [
        { provide: AuditQueries, useValue: queries },
        { provide: AccessLogQueries, useValue: accessLog },
        { provide: HANDLER_LOGGER, useValue: logger },
      ],
    };
  }
}

/**
 * Projects every event into the audit log, stores the gateways' access records (and deletes them
 * after the retention), and answers audit and access-log queries on NATS.
 */
export async function startAuditService(config: ConsoleConfig, logger: Logger) {
  const schema = config.schemas.audit;
  const state = await openServiceState(config, {
    name: 'audit',
    schema,
    projection: auditProjection(schema, platformRegistry),
    logger,
    poolSize: 5,
  });
  const { dataSource, readModel: log } = state;
  const ingest = new AccessLogIngest({
    nc: state.nc,
    db: dataSource,
    schema,
    logger: logger.child({ component: 'access-log' }),
    replicas: config.eventsReplicas,
  });
  await ingest.start();
  const stopRetention = startAccessRetention(dataSource, schema, config.accessLog.retentionDays, logger);
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(
    AuditModule.register(
      new AuditQueries(dataSource, schema),
      new AccessLogQueries(dataSource, schema),
      logger,
    ),
    {
      transport: Transport.NATS,
      options: natsTransportOptions(config, 'audit-rpc', 'audit'),
      logger: ['error', 'warn'],
    },
  );
  await app.listen();
  logger.info({ schema, position: log.position }, 'audit service ready');
  return {
    log,
    async close() {
      stopRetention();
      await ingest.stop();
      await app.close();
      await state.close();
    },
  };
}
