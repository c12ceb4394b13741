import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { collectBootGarbage, ConfigError, DEFAULT_WORKER_METRICS_PORT, loadConfig, registryVersion, type RegistryConfig, stopOnSignals } from '../../../libs/config/index.js';
import { HealthService, startObservabilityServer } from '../../../libs/health/index.js';
import { JsonLogger, startTelemetry } from '../../../libs/telemetry/index.js';
import { WorkerModule } from './worker.module.js';

async function main(): Promise<void> {
  let config: RegistryConfig;
  try {
    config = loadConfig();
    const missing = [
      config.database.kind !== 'postgres' ? 'DATABASE_URL' : null,
      config.redisUrl === null ? 'REDIS_URL' : null,
    ].filter((name): name is string => name !== null);
    if (missing.length > 0) {
      throw new ConfigError([
        `${missing.join(' and ')} required by the worker: it runs beside the API only in the production configuration ` +
          '(PostgreSQL and Redis). With the embedded configuration, `npm start` processes jobs inside the API.',
      ]);
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const telemetry = await startTelemetry('wasm-registry-worker', registryVersion(), config.otel);
  const logger = new Logger('Worker');
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: new JsonLogger(config.logLevel, 'wasm-registry-worker') });
  // The worker's only HTTP surface: /metrics, /health/live and /health/ready.
  const server = await startObservabilityServer({ port: config.metricsPort ?? DEFAULT_WORKER_METRICS_PORT, host: config.host, telemetry, health: app.get(HealthService) });
  stopOnSignals(async () => {
    await app.close();
    await server.close();
    await telemetry.shutdown();
  }, logger);
  await app.init();
  collectBootGarbage();
  logger.log(`worker ready (pid ${process.pid}, ${config.pipeline.concurrency} job(s) at once; metrics and health on port ${server.port}); waiting for jobs`);
  // Keeps the process alive until a signal closes the application.
  setInterval(() => undefined, 1 << 30);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
