export {
  ConfigError,
  ConsoleEnvSchema,
  PlatformEnvSchema,
  loadConsoleConfig,
  loadPlatformConfig,
  parseEnv,
  type ConsoleConfig,
  type PlatformConfig,
} from './config';
