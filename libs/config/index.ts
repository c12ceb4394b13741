// The registry's configuration, read and validated once at boot; nothing else reads process.env.
export { ConfigModule, REGISTRY_CONFIG } from './src/config.module.js';
export {
  ConfigError,
  type DatabaseConfig,
  type HttpConfig,
  type OciPushConfig,
  type WebhooksConfig,
  type OwnTrialsConfig,
  type RateLimitConfig,
  type RegistryConfig,
  type StorageConfig,
  loadConfig,
  DEFAULT_WORKER_METRICS_PORT,
} from './src/config.js';
export { projectRoot } from './src/project-root.js';
export { registryVersion } from './src/registry-version.js';
export { stopOnSignals } from './src/shutdown.js';
export { collectBootGarbage } from './src/boot-garbage.js';
