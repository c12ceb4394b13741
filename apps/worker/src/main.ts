import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig, type RegistryConfig, stopOnSignals } from '../../../libs/config/index.js';
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
  const logger = new Logger('Worker');
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: ['fatal', 'error', 'warn', 'log'] });
  stopOnSignals(() => app.close(), logger);
  await app.init();
  logger.log(`worker ready (pid ${process.pid}, ${config.pipeline.concurrency} job(s) at once); waiting for jobs`);
  // Keeps the process alive until a signal closes the application.
  setInterval(() => undefined, 1 << 30);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
