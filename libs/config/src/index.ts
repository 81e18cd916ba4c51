export {
  ConfigError,
  ConsoleEnvSchema,
  GatewayEnvSchema,
  loadGatewayConfig,
  type GatewayConfig,
  PlatformEnvSchema,
  loadConsoleConfig,
  loadPlatformConfig,
  parseEnv,
  type ConsoleConfig,
  type PlatformConfig,
} from './config';
