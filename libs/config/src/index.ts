export { ConfigError, PlatformEnvSchema, loadPlatformConfig, parseEnv, type PlatformConfig } from './config';
