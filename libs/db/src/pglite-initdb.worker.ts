import { createPGlite } from './database.js';

/**
 * The process that creates an embedded database (see initDataDir in
 * database.ts): PGlite runs initdb in a second Wasm instance that stays
 * resident after it is closed, about 170 MiB, so the API leaves it to a
 * process that exits.
 */
const dataDir = process.argv[2];
if (!dataDir) {
  process.stderr.write('usage: pglite-initdb.worker.js <data directory>\n');
  process.exit(2);
}
const pglite = await createPGlite(dataDir);
await pglite.close();
// PGlite's runtime keeps nothing to wait for once closed, but a timer it left must not hold the API's start.
process.exit(0);
