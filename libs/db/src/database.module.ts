import { Global, Inject, Logger, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { instruments } from '../../telemetry/index.js';
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
export class DatabaseModule implements OnModuleInit, OnApplicationShutdown {
  private stopObserving: (() => void) | null = null;

  constructor(@Inject(DATABASE) private readonly database: Database) {}

  /** PostgreSQL's pool as db.client.connection.count (PGlite has one session and no pool to show). */
  onModuleInit(): void {
    const database = this.database;
    if (database.kind !== 'postgres') return;
    const metrics = instruments();
    const pool = { 'db.client.connection.pool.name': 'registry' };
    this.stopObserving = metrics.observe([metrics.dbConnections], (observe) => {
      observe(metrics.dbConnections, database.pool.idleCount, { ...pool, 'db.client.connection.state': 'idle' });
      observe(metrics.dbConnections, database.pool.totalCount - database.pool.idleCount, { ...pool, 'db.client.connection.state': 'used' });
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopObserving?.();
    await this.database.close();
  }
}
