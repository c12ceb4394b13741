// The database: the Prisma client (PostgreSQL or PGlite), migrations, and cross-process notices (cache invalidations, settled versions).
export { DATABASE, DatabaseModule } from './src/database.module.js';
export { type Database, type PostgresDatabase, maintainPGlite, openDatabase } from './src/database.js';
export { Prisma, type StepState, type VersionStatus } from './src/generated/client.js';
export {
  InvalidatedCache,
  type Invalidation,
  Invalidations,
  type VersionDeleted,
  type VersionSettled,
  notifyInvalidation,
} from './src/invalidations.js';
export { applyMigrations, createMigration } from './src/migrations.js';
export { isTransactionConflict, retryOnConflict, transaction, type TransactionOptions } from './src/transactions.js';
