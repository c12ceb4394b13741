import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { projectRoot } from './project-root.js';

const run = promisify(execFile);
const BUILT = join(projectRoot(), 'dist/libs/config/src/boot-garbage.js');

/** A Node process that leaves ~64 MiB of garbage behind, as a boot does, then reports its heap before and after the call. */
const script = `
  const { collectBootGarbage } = await import(${JSON.stringify(BUILT)});
  let kept = [];
  for (let i = 0; i < 64; i++) kept.push(new Array(128 * 1024).fill(i).map(String));
  kept = null;
  const before = process.memoryUsage().heapUsed;
  collectBootGarbage();
  console.log(JSON.stringify({ before, after: process.memoryUsage().heapUsed }));
`;

describe('collectBootGarbage', () => {
  it('frees what the boot left behind when the process runs with --expose-gc, as the start scripts run it', async () => {
    const { stdout } = await run(process.execPath, ['--expose-gc', '--input-type=module', '-e', script]);
    const { before, after } = JSON.parse(stdout) as { before: number; after: number };
    expect(before - after).toBeGreaterThan(32 * 1024 * 1024);
  });

  it('does nothing, and does not fail, without --expose-gc', async () => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
    const { before, after } = JSON.parse(stdout) as { before: number; after: number };
    // No collection ran in between: the heap did not shrink by the garbage's size.
    expect(before - after).toBeLessThan(8 * 1024 * 1024);
  });
});
