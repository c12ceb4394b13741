import { readdirSync, readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * libs/versions owns the `versions` table: no other server code writes its rows
 * (with Prisma or SQL), so that every write follows its lock protocol and runs its hooks.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WRITES = [/\.version\.(create|createMany|update|updateMany|upsert|delete|deleteMany)\s*\(/, /\b(UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+versions\b/i];

function serverFiles(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(posix.join(ROOT, dir))) {
    if (['node_modules', 'dist', 'generated', 'test'].includes(entry)) continue;
    const path = `${dir}/${entry}`;
    if (statSync(posix.join(ROOT, path)).isDirectory()) serverFiles(path, found);
    else if (entry.endsWith('.ts') && !entry.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

export function versionWritersOutsideOwner(files: ReadonlyMap<string, string>): string[] {
  return [...files].filter(([path, text]) => !path.startsWith('libs/versions/') && WRITES.some((write) => write.test(text))).map(([path]) => path);
}

describe('the owner of versions rows', () => {
  it('is the only server code that writes them', () => {
    const files = new Map([...serverFiles('libs'), ...serverFiles('apps')].map((path) => [path, readFileSync(posix.join(ROOT, path), 'utf8')]));
    expect(versionWritersOutsideOwner(files)).toEqual([]);
  });

  it('notices a write by Prisma or by SQL', () => {
    const files = new Map([
      ['libs/downloads/src/a.ts', 'await tx.version.update({ where: { id } })'],
      ['libs/oci/src/b.ts', 'await tx.$executeRaw`UPDATE versions SET x = 1`'],
      ['libs/catalog/src/c.ts', 'await tx.version.findMany({})'],
      ['libs/versions/src/d.ts', 'await tx.version.update({ where: { id } })'],
    ]);
    expect(versionWritersOutsideOwner(files)).toEqual(['libs/downloads/src/a.ts', 'libs/oci/src/b.ts']);
  });
});
