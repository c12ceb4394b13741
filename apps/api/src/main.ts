import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig, type RegistryConfig, stopOnSignals } from '../../../libs/config/index.js';
import { TokensService } from '../../../libs/tokens/index.js';
import { createApiApplication } from './http-server.js';

async function main(): Promise<void> {
  let config: RegistryConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = new Logger('Registry');
  const app = await createApiApplication(config);

  const adminSecret = await app.get(TokensService).ensureAdminToken();
  if (adminSecret !== null) {
    // Printed once, on the first start; only its hash is stored.
    process.stdout.write(
      `\nNo REGISTRY_ADMIN_TOKEN is set, so an admin token was generated. It is shown only this once:\n\n    ${adminSecret}\n\n`,
    );
  }

  stopOnSignals(() => app.close(), logger);
  await app.listen({ port: config.port, host: config.host });
  const storage = config.storage.kind === 's3' ? `s3 bucket ${config.storage.bucket}` : `filesystem ${config.storage.root}`;
  const database = config.database.kind === 'postgres' ? 'PostgreSQL' : `embedded PGlite at ${config.database.dataDir}`;
  logger.log(`listening on ${config.publicUrl} (port ${config.port}); database: ${database}; storage: ${storage}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
