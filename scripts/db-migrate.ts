// npm run db:migrate: applies pending migrations from prisma/migrations to the
// configured database (DATABASE_URL, or the embedded PGlite under DATA_DIR).
import { join } from 'node:path';
import { loadConfig, projectRoot } from '../libs/config/index.js';
import { openDatabase, applyMigrations } from '../libs/db/index.js';

try {
  const { database: config } = loadConfig();
  const where = config.kind === 'postgres' ? config.url.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@') : config.dataDir;
  const database = await openDatabase(config, { poolSize: 1 });
  try {
    const applied = await applyMigrations(database, join(projectRoot(), 'prisma', 'migrations'));
    if (applied.length === 0) console.log(`${where}: no pending migrations`);
    for (const name of applied) console.log(`${where}: applied ${name}`);
  } finally {
    await database.close();
  }
  // The schema engine leaves a timer running; do not wait for it.
  process.exit(0);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
