import 'reflect-metadata';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import type { ConsoleConfig } from '@rustronaut/config';
import { platformRegistry } from '@rustronaut/contracts';
import { ProjectionRunner } from '@rustronaut/eventstore';
import { ServiceHandlerInterceptor, natsTransportOptions, connectNats } from '@rustronaut/messaging';
import type { Logger } from '@rustronaut/observability';
import { AuditController } from './audit.controller';
import { auditProjection } from './audit.projection';
import { AuditQueries } from './audit.queries';

@Module({})
class AuditModule {
  static register(queries: AuditQueries): DynamicModule {
    return {
      module: AuditModule,
      controllers: [AuditController],
      providers: [{ provide: AuditQueries, useValue: queries }],
    };
  }
}

/** Projects every event into the audit log and answers audit queries on NATS. */
export async function startAuditService(config: ConsoleConfig, logger: Logger) {
  const schema = config.schemas.audit;
  const nc = await connectNats(config, 'audit');
  const dataSource = new DataSource({ type: 'postgres', url: config.databaseUrl, schema, extra: { max: 5 } });
  await dataSource.initialize();
  const log = new ProjectionRunner({
    nc,
    dataSource,
    schema,
    registry: platformRegistry,
    projection: auditProjection(schema, platformRegistry),
    name: config.eventsStream,
    logger: logger.child({ component: 'audit-log' }),
  });
  await log.start();
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(
    AuditModule.register(new AuditQueries(dataSource, schema)),
    {
      transport: Transport.NATS,
      options: natsTransportOptions(config, 'audit-rpc', 'audit'),
      logger: ['error', 'warn'],
    },
  );
  app.useGlobalInterceptors(new ServiceHandlerInterceptor(logger));
  await app.listen();
  logger.info({ schema, position: log.position }, 'audit service ready');
  return {
    log,
    async close() {
      await app.close();
      await log.stop();
      await nc.drain();
      await dataSource.destroy();
    },
  };
}
