import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's migrations. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../prisma/migrations', import.meta.url));

/**
 * A copy of the migrations that stops before the one named `*_<suffix>`, for a
 * test of what that migration does to the data of a registry that ran before it.
 * `remove()` deletes the copy.
 */
export function migrationsBefore(suffix: string): { dir: string; remove(): void } {
  const migration = readdirSync(MIGRATIONS_DIR).find((name) => name.endsWith(`_${suffix}`));
  if (migration === undefined) throw new Error(`no migration named *_${suffix}`);
  const dir = mkdtempSync(join(tmpdir(), `migrations-before-${suffix}-`));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  for (const name of readdirSync(dir)) if (name >= migration && name !== 'migration_lock.toml') rmSync(join(dir, name), { recursive: true });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
