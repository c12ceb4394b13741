import { readdirSync, readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The rules that keep libraries apart, checked on every relative import in the repository:
 * a library is entered only through its front door (libs/<lib>/index.ts), libraries import each
 * other without a loop, and the server never loads test-only code or the demo catalog.
 * Test code may also use a library's test kit (libs/<lib>/test/).
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCE_DIRS = ['apps', 'libs', 'scripts', 'testing', 'e2e', 'bench'];
/** Code that only tests, benchmarks or the seed script load. */
const NOT_FOR_THE_SERVER = /^(testing|scripts|e2e|bench)\//;

const libraryOf = (path: string): string | null => /^libs\/([^/]+)\//.exec(path)?.[1] ?? null;
const isDoor = (path: string): boolean => /^libs\/[^/]+\/index\.ts$/.test(path);
const isKit = (path: string): boolean => /^libs\/[^/]+\/test\//.test(path);
const isTestCode = (path: string): boolean => /\.test\.ts$/.test(path) || isKit(path) || /^(testing|e2e)\//.test(path);
const isServerCode = (path: string): boolean => /^(apps|libs)\//.test(path) && !isTestCode(path);

interface Import {
  from: string;
  to: string;
}

function sourceFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(posix.join(ROOT, dir));
    } catch {
      return;
    }
    for (const entry of entries) {
      if (['node_modules', 'dist', 'generated'].includes(entry)) continue;
      const path = `${dir}/${entry}`;
      if (statSync(posix.join(ROOT, path)).isDirectory()) walk(path);
      else if (/\.(ts|mts|mjs)$/.test(entry) && !entry.endsWith('.d.ts')) files.set(path, readFileSync(posix.join(ROOT, path), 'utf8'));
    }
  };
  for (const dir of SOURCE_DIRS) walk(dir);
  return files;
}

/** Every relative import (static, re-export, dynamic, `import type`), resolved to a repository path. */
export function importsOf(files: ReadonlyMap<string, string>): Import[] {
  const imports: Import[] = [];
  for (const [from, text] of files) {
    for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
      if (!/^\.\.?\//.test(fileName)) continue;
      const path = posix.normalize(posix.join(posix.dirname(from), fileName));
      const candidates = [path, path.replace(/\.js$/, '.ts'), path.replace(/\.mjs$/, '.mts'), `${path}.ts`, `${path}/index.ts`];
      imports.push({ from, to: candidates.find((candidate) => files.has(candidate)) ?? path.replace(/\.js$/, '.ts') });
    }
  }
  return imports;
}

const describeImport = ({ from, to }: Import): string => `${from} → ${to}`;

/** A library that imports another one past its front door, or its own door (which would load itself). */
export function deepImportsBetweenLibraries(imports: readonly Import[]): string[] {
  return imports
    .filter(({ from, to }) => {
      const here = libraryOf(from);
      const there = libraryOf(to);
      if (here === null || there === null || isDoor(from)) return false;
      if (here === there) return isDoor(to);
      return !isDoor(to) && !(isKit(to) && isTestCode(from));
    })
    .map(describeImport);
}

/** Apps, scripts, e2e tests, benchmarks and test helpers that import a library past its front door. */
export function deepImportsFromOutside(imports: readonly Import[]): string[] {
  return imports
    .filter(({ from, to }) => libraryOf(from) === null && libraryOf(to) !== null && !isDoor(to) && !(isKit(to) && isTestCode(from)))
    .map(describeImport);
}

/** One loop per group of libraries that import each other, as `a → b → a`, with the import behind each step. */
export function libraryLoops(imports: readonly Import[]): string[] {
  const edges = new Map<string, Map<string, Import>>();
  for (const edge of imports) {
    const here = libraryOf(edge.from);
    const there = libraryOf(edge.to);
    if (here === null || there === null || here === there) continue;
    if (!edges.has(here)) edges.set(here, new Map());
    if (!edges.get(here)!.has(there)) edges.get(here)!.set(there, edge);
  }
  const loops: string[] = [];
  const reported = new Set<string>();
  for (const start of [...edges.keys()].sort()) {
    if (reported.has(start)) continue;
    // Shortest way back to `start` (breadth first), so the loop printed is the tightest one.
    const cameFrom = new Map<string, string>();
    const queue = [start];
    let closing: string | null = null;
    while (queue.length > 0 && closing === null) {
      const library = queue.shift()!;
      for (const next of [...(edges.get(library)?.keys() ?? [])].sort()) {
        if (next === start) {
          closing = library;
          break;
        }
        if (!cameFrom.has(next)) {
          cameFrom.set(next, library);
          queue.push(next);
        }
      }
    }
    if (closing === null) continue;
    const path = [closing];
    while (path[0] !== start) path.unshift(cameFrom.get(path[0]!)!);
    path.push(start);
    path.forEach((library) => reported.add(library));
    const steps = path.slice(1).map((library, i) => describeImport(edges.get(path[i]!)!.get(library)!));
    loops.push(`${path.join(' → ')} (${steps.join('; ')})`);
  }
  return loops;
}

/** Server code (apps/, libs/ but tests) that imports test-only code, the demo catalog or anything else outside apps/ and libs/. */
export function serverImportsOfTestCode(imports: readonly Import[]): string[] {
  return imports.filter(({ from, to }) => isServerCode(from) && NOT_FOR_THE_SERVER.test(to)).map(describeImport);
}

describe('the library graph', () => {
  const imports = importsOf(sourceFiles());

  it('reads the imports of every source directory', () => {
    for (const dir of SOURCE_DIRS) expect(imports.some(({ from }) => from.startsWith(`${dir}/`)), dir).toBe(true);
  });

  it('a library enters another library only through its front door (libs/<lib>/index.ts)', () => {
    expect(deepImportsBetweenLibraries(imports)).toEqual([]);
  });

  it('apps, scripts, e2e tests, benchmarks and test helpers enter a library only through its front door', () => {
    expect(deepImportsFromOutside(imports)).toEqual([]);
  });

  it('libraries import each other without a loop', () => {
    expect(libraryLoops(imports)).toEqual([]);
  });

  it('server code never imports test-only code or the demo catalog', () => {
    expect(serverImportsOfTestCode(imports)).toEqual([]);
  });
});

describe('the library graph checks', () => {
  const graph = (files: Record<string, string>): Import[] => importsOf(new Map(Object.entries(files)));

  it('find a library that reaches past another library’s door, and one that imports its own door', () => {
    const imports = graph({
      'libs/a/index.ts': "export { a } from './src/a.js';",
      'libs/a/src/a.ts': "import { b } from '../../b/src/b.js';\nimport { a2 } from '../index.js';",
      'libs/a/src/a.test.ts': "import { sample } from '../../b/test/samples.js';\nimport { b } from '../../b/index.js';",
      'libs/b/index.ts': "export { b } from './src/b.js';",
      'libs/b/src/b.ts': 'export const b = 1;',
      'libs/b/test/samples.ts': 'export const sample = 1;',
    });
    expect(deepImportsBetweenLibraries(imports)).toEqual(['libs/a/src/a.ts → libs/b/src/b.ts', 'libs/a/src/a.ts → libs/a/index.ts']);
  });

  it('find an app, a script or a test that reaches past a door', () => {
    const imports = graph({
      'libs/b/index.ts': "export { b } from './src/b.js';",
      'libs/b/src/b.ts': 'export const b = 1;',
      'libs/b/test/samples.ts': 'export const sample = 1;',
      'apps/api/src/main.ts': "import { b } from '../../../libs/b/src/b.js';",
      'scripts/seed.ts': "const { b } = await import('../libs/b/index.js');",
      'e2e/x.e2e.test.ts': "import type { B } from '../libs/b/src/b.js';\nimport { sample } from '../libs/b/test/samples.js';",
      'bench/run.ts': "export { b } from '../libs/b/src/b.js';",
    });
    expect(deepImportsFromOutside(imports)).toEqual([
      'apps/api/src/main.ts → libs/b/src/b.ts',
      'e2e/x.e2e.test.ts → libs/b/src/b.ts',
      'bench/run.ts → libs/b/src/b.ts',
    ]);
  });

  it('find a loop and print it', () => {
    const imports = graph({
      'libs/a/index.ts': "export { a } from './src/a.js';",
      'libs/a/src/a.ts': "import { b } from '../../b/index.js';",
      'libs/b/index.ts': "export { b } from './src/b.js';",
      'libs/b/src/b.ts': "import { c } from '../../c/index.js';",
      'libs/c/index.ts': "export { c } from './src/c.js';",
      'libs/c/src/c.test.ts': "import { a } from '../../a/index.js';",
      'libs/d/src/d.ts': "import { a } from '../../a/index.js';",
    });
    expect(libraryLoops(imports)).toEqual([
      'a → b → c → a (libs/a/src/a.ts → libs/b/index.ts; libs/b/src/b.ts → libs/c/index.ts; libs/c/src/c.test.ts → libs/a/index.ts)',
    ]);
  });

  it('find server code that loads test-only code or the demo catalog, and let tests do it', () => {
    const imports = graph({
      'testing/wasm-fixtures.ts': 'export const fixture = 1;',
      'scripts/demo-catalog/catalog.ts': 'export const catalog = 1;',
      'apps/api/src/main.ts': "import { catalog } from '../../../scripts/demo-catalog/catalog.js';",
      'libs/a/src/a.ts': "import { fixture } from '../../../testing/wasm-fixtures.js';",
      'libs/a/src/a.test.ts': "import { fixture } from '../../../testing/wasm-fixtures.js';",
      'libs/a/test/kit.ts': "import { fixture } from '../../../testing/wasm-fixtures.js';",
      'scripts/seed.ts': "import { catalog } from './demo-catalog/catalog.js';",
    });
    expect(serverImportsOfTestCode(imports)).toEqual([
      'apps/api/src/main.ts → scripts/demo-catalog/catalog.ts',
      'libs/a/src/a.ts → testing/wasm-fixtures.ts',
    ]);
  });
});
