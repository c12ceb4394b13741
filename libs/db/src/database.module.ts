import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { REGISTRY_CONFIG, type RegistryConfig, projectRoot } from '../../config/index.js';
import { openDatabase, type Database } from './database.js';
import { applyMigrations } from './migrations.js';

export const DATABASE = Symbol('Database');

export const migrationsDir = (): string => join(projectRoot(), 'prisma', 'migrations');

/** Opens the configured database once per process and applies pending migrations before anything uses it. */
@Global()
@Module({
  providers: [
    {
      provide: DATABASE,
      inject: [REGISTRY_CONFIG],
      useFactory: async (config: RegistryConfig): Promise<Database> => {
        const logger = new Logger('Database');
        const database = await openDatabase(config.database);
        const applied = await applyMigrations(database, migrationsDir());
        logger.log(`${database.kind} ready${applied.length > 0 ? `; applied migrations: ${applied.join(', ')}` : ''}`);
        return database;
      },
    },
  ],
  exports: [DATABASE],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  async onApplicationShutdown(): Promise<void> {
    await this.database.close();
  }
}
