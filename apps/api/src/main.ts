import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { collectBootGarbage, ConfigError, loadConfig, type RegistryConfig, stopOnSignals } from '../../../libs/config/index.js';
import { TokensService } from '../../../libs/tokens/index.js';
import { startObservabilityServer } from '../../../libs/health/index.js';
import { currentTelemetry } from '../../../libs/telemetry/index.js';
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

  // /metrics apart from the public port, when METRICS_PORT says so.
  const metricsServer =
    config.metricsPort === null ? null : await startObservabilityServer({ port: config.metricsPort, host: config.host, telemetry: currentTelemetry()! });
  stopOnSignals(async () => {
    await app.close();
    await metricsServer?.close();
    await currentTelemetry()?.shutdown();
  }, logger);
  collectBootGarbage();
  await app.listen({ port: config.port, host: config.host });
  const storage = config.storage.kind === 's3' ? `s3 bucket ${config.storage.bucket}` : `filesystem ${config.storage.root}`;
  const database = config.database.kind === 'postgres' ? 'PostgreSQL' : `embedded PGlite at ${config.database.dataDir}`;
  const metrics = metricsServer === null ? '/metrics on this port' : `/metrics on port ${metricsServer.port}`;
  const tracing = currentTelemetry()?.tracing ? 'traces exported over OTLP' : 'no trace export (OTEL_EXPORTER_OTLP_ENDPOINT unset)';
  logger.log(`listening on ${config.publicUrl} (port ${config.port}); database: ${database}; storage: ${storage}; ${metrics}; ${tracing}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
