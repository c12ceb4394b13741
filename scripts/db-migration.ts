// npm run db:migration -- <name>: writes prisma/migrations/<timestamp>_<name>/migration.sql
// with the changes in prisma/schema.prisma since the last migration.
import { join } from 'node:path';
import { projectRoot } from '../libs/config/index.js';
import { createMigration } from '../libs/db/index.js';

const args = process.argv.slice(2);
if (args.length !== 1 || args[0]!.startsWith('-')) {
  console.error('usage: npm run db:migration -- <name>   (e.g. add_plugin_search)');
  process.exit(2);
}

try {
  await createMigration(args[0]!, {
    schemaPath: join(projectRoot(), 'prisma', 'schema.prisma'),
    migrationsDir: join(projectRoot(), 'prisma', 'migrations'),
  });
  // The schema engine leaves a timer running; do not wait for it.
  process.exit(0);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
