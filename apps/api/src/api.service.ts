import 'reflect-metadata';
import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, ModulesContainer, NestFactory, Reflector } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import type { ConsoleConfig } from '@rustronaut/config';
import { ServiceClient, connectNats } from '@rustronaut/messaging';
import type { Logger } from '@rustronaut/observability';
import { RevocationList } from '@rustronaut/revocation';
import { AuthGuard } from './auth/auth.guard';
import { Authenticator } from './auth/authenticator';
import { LoginRateLimiter } from './auth/login-rate-limiter';
import { ErrorFilter } from './http/error.filter';
import { acceptJsonBodiesOnly } from './http/json-bodies';
import { answerWithEtags } from './http/etags';
import { traceRequests } from './http/tracing';
import { OPENAPI_DOCUMENT, controllersOf, openApiDocument } from './http/openapi';
import type {
  AuditClient,
  DistributorClient,
  IdentityClient,
  PolicyClient,
  RegistryClient,
} from '@rustronaut/messaging';
import { ApiKeysController } from './routes/api-keys.controller';
import { AccessLogController } from './routes/access-log.controller';
import { AuditController } from './routes/audit.controller';
import { AuthController } from './routes/auth.controller';
import { GroupsController } from './routes/groups.controller';
import { MetaController } from './routes/meta.controller';
import { EDGE } from './routes/tokens';
import { OrgsController } from './routes/orgs.controller';
import { PoliciesController } from './routes/policies.controller';
import { ResourcesController } from './routes/resources.controller';
import { ServicesController } from './routes/services.controller';
import { SitesController } from './routes/sites.controller';
import { ConfigController } from './routes/config.controller';
import { GatewaysController } from './routes/gateways.controller';
import { AUDIT, DISTRIBUTOR, IDENTITY, POLICY, PUBLIC_URL, REGISTRY } from './routes/tokens';
import { UsersController } from './routes/users.controller';
import { SignInController } from './routes/sign-in.controller';
import { ResourceAccessController } from './routes/resource-access.controller';
import { ResourceSignIn } from './sign-in/resource-sign-in';
import { ConsoleSessionController } from './routes/console-session.controller';
import { LiveController } from './routes/live.controller';
import { ConsoleWebFiles, consoleWebDirectory, installConsoleWeb } from './console-web/console-web-files';
import { LiveFeed } from './live/live-feed';
import { Devices } from './devices/devices';
import { DevicesController } from './routes/devices.controller';
import { IdentityProvidersController } from './routes/identity-providers.controller';
import { ProviderSignInController } from './routes/provider-sign-in.controller';
import { PasskeysController } from './routes/passkeys.controller';
import { ProviderSignIn } from './sign-in/provider-sign-in';
import { SetupController } from './routes/setup.controller';
import { CONSOLE_SESSION, type ConsoleSessionSettings } from './routes/tokens';

export interface ApiParts {
  identity: IdentityClient;
  audit: AuditClient;
  policy: PolicyClient;
  distributor: DistributorClient;
  registry: RegistryClient;
  authenticator: Authenticator;
  limiter: LoginRateLimiter;
  logger: Logger;
  publicUrl: string;
  signIn: ResourceSignIn;
  /** Where clients reach the gateways (public, for `rustronaut forward` and connectors). */
  edge: ConsoleConfig['exposure'];
  session: ConsoleSessionSettings;
  live: LiveFeed;
  web: ConsoleWebFiles;
  devices: Devices;
}

@Module({})
export class ApiModule {
  static register(parts: ApiParts): DynamicModule {
    return {
      module: ApiModule,
      controllers: [
        AuthController,
        UsersController,
        GroupsController,
        ApiKeysController,
        OrgsController,
        AuditController,
        AccessLogController,
        SitesController,
        ResourcesController,
        ServicesController,
        PoliciesController,
        ConfigController,
        GatewaysController,
        MetaController,
        SignInController,
        ResourceAccessController,
        ConsoleSessionController,
        LiveController,
        DevicesController,
        IdentityProvidersController,
        ProviderSignInController,
        PasskeysController,
        SetupController,
      ],
      providers: [
        { provide: IDENTITY, useValue: parts.identity },
        { provide: AUDIT, useValue: parts.audit },
        { provide: POLICY, useValue: parts.policy },
        { provide: DISTRIBUTOR, useValue: parts.distributor },
        { provide: REGISTRY, useValue: parts.registry },
        { provide: LoginRateLimiter, useValue: parts.limiter },
        { provide: PUBLIC_URL, useValue: parts.publicUrl },
        { provide: EDGE, useValue: parts.edge },
        {
          provide: OPENAPI_DOCUMENT,
          useFactory: (modules: ModulesContainer) => openApiDocument(controllersOf(modules), parts.publicUrl),
          inject: [ModulesContainer],
        },
        { provide: ResourceSignIn, useValue: parts.signIn },
        { provide: Authenticator, useValue: parts.authenticator },
        { provide: CONSOLE_SESSION, useValue: parts.session },
        { provide: LiveFeed, useValue: parts.live },
        { provide: Devices, useValue: parts.devices },
        { provide: ProviderSignIn, useValue: new ProviderSignIn(parts.identity, parts.session) },
        {
          provide: APP_GUARD,
          useFactory: (reflector: Reflector) => new AuthGuard(reflector, parts.authenticator),
          inject: [Reflector],
        },
        { provide: APP_FILTER, useValue: new ErrorFilter(parts.logger) },
      ],
    };
  }
}

/** The REST API: HTTP in, NATS requests to the services out. */
export async function startApiService(config: ConsoleConfig, logger: Logger) {
  const nats = await connectNats(config, 'api');
  const liveNats = await connectNats(config, 'api-live');
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
  const identity: IdentityClient = new ServiceClient(nats, 'identity');
  const audit: AuditClient = new ServiceClient(nats, 'audit');
  const policy: PolicyClient = new ServiceClient(nats, 'policy');
  const parts: ApiParts = {
    identity,
    audit,
    policy,
    signIn: new ResourceSignIn(policy, identity),
    distributor: new ServiceClient(nats, 'config-distributor'),
    registry: new ServiceClient(nats, 'gateway-registry'),
    devices: new Devices(
      new ServiceClient(nats, 'policy'),
      policy,
      new ServiceClient(nats, 'gateway-registry'),
    ),
    authenticator: new Authenticator(identity, new RevocationList(redis, config.redisPrefix)),
    limiter: new LoginRateLimiter(redis, config.loginLimits, config.redisPrefix),
    logger,
    publicUrl: config.api.publicUrl,
    edge: config.exposure,
    session: {
      secure: config.api.publicUrl.startsWith('https:'),
      refreshTtlS: config.tokens.refreshTtlSeconds,
    },
    live: new LiveFeed(liveNats),
    web: new ConsoleWebFiles(consoleWebDirectory()),
  };
  const app = await NestFactory.create<NestFastifyApplication>(
    ApiModule.register(parts),
    new FastifyAdapter({ bodyLimit: 1024 * 1024, trustProxy: false }),
    // Bodies are JSON only (acceptJsonBodiesOnly), not the form and text parsers Nest would add.
    { logger: ['error', 'warn'], bodyParser: false },
  );
  acceptJsonBodiesOnly(app.getHttpAdapter().getInstance());
  answerWithEtags(app.getHttpAdapter().getInstance());
  traceRequests(app.getHttpAdapter().getInstance());
  app.enableShutdownHooks([]);
  installConsoleWeb(app.getHttpAdapter().getInstance(), parts.web);
  await app.listen(config.api.port, config.api.host);
  logger.info({ url: config.api.publicUrl }, 'API listening');
  return {
    url: config.api.publicUrl,
    async close() {
      await app.close();
      await nats.close();
      await liveNats.close();
      redis.disconnect();
    },
  };
}
