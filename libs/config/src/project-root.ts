import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

/**
 * The directory holding package.json and prisma/. Found by walking up from this
 * file, so it is the same whether the code runs from the sources (tests) or
 * from dist/ (the built server).
 */
export function projectRoot(): string {
  if (cached !== null) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'prisma'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the project root (a directory with package.json and prisma/)');
    dir = parent;
  }
  cached = dir;
  return dir;
}
