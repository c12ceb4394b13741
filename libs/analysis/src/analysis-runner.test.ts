import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { manyImportsModule } from '../../../testing/hostile-modules.js';
import { manyFunctionsModule, proxyWasmFilter } from '../../../testing/wasm-fixtures.js';
import { analyzeInWorker } from './analysis-runner.js';
import { REPORT_LIMITS } from './report-limits.js';
import { WORKER_NICENESS } from './thread-priority.js';

/** The niceness of each thread of this process (Linux: field 19 of /proc/self/task/<tid>/stat). */
function threadNiceness(): number[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return [Number(stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[16])];
    } catch {
      return []; // the thread ended meanwhile
    }
  });
}

// Runs the compiled worker (dist/), as the API does: `npm test` builds first.
describe('analysis in a worker thread', () => {
  it('returns the report computed in the worker', async () => {
    const module = await proxyWasmFilter('runner');
    const report = await analyzeInWorker(module, { timeoutMs: 30_000, memoryMb: 128 });
    expect(report).toMatchObject({ kind: 'module', valid: true, size: module.length });
    expect(report.proxyWasm?.abiVersion).toBe('0.2.1');
  });

  it('hands back a bounded report for 100,000 imports: the worker bounds it before it leaves', async () => {
    const report = await analyzeInWorker(manyImportsModule(100_000), { timeoutMs: 30_000, memoryMb: 256 });
    expect(report.imports).toHaveLength(REPORT_LIMITS.maxImports);
    expect(report.totals.imports).toBe(100_000);
    expect(Buffer.byteLength(JSON.stringify(report))).toBeLessThanOrEqual(REPORT_LIMITS.maxReportBytes);
  });

  it('analyses at a lower CPU priority than the thread that asked, which keeps its own', async () => {
    const seen = new Set<number>();
    const analysis = analyzeInWorker(manyFunctionsModule(400_000), { timeoutMs: 30_000, memoryMb: 256 });
    let done = false;
    void analysis.finally(() => (done = true));
    while (!done) {
      for (const nice of threadNiceness()) seen.add(nice);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect((await analysis).valid).toBe(true);
    expect(seen).toContain(WORKER_NICENESS);
    expect(threadNiceness()).not.toContain(WORKER_NICENESS);
  });

  it('stops an analysis that runs past its deadline and reports it as failed', async () => {
    const module = manyFunctionsModule(900_000);
    const report = await analyzeInWorker(module, { timeoutMs: 1, memoryMb: 128 });
    expect(report.size).toBe(module.length);
    expect(report.findings).toEqual([
      { code: 'analysis_failed', severity: 'error', message: 'The registry could not check this module: the analysis did not finish within 1 ms.' },
    ]);
  });

  it('moves a buffer the caller hands over instead of copying it', async () => {
    const module = await proxyWasmFilter('moved');
    const own = new Uint8Array(module);
    const report = await analyzeInWorker(own, { timeoutMs: 30_000, memoryMb: 128 }, { transfer: true });
    expect(report.size).toBe(module.length);
    expect(own.byteLength).toBe(0);
  });

  it('leaves the caller\'s bytes usable when they share a larger buffer', async () => {
    const module = await proxyWasmFilter('shared');
    const larger = new Uint8Array(module.length + 16);
    larger.set(module, 8);
    const view = larger.subarray(8, 8 + module.length);
    await analyzeInWorker(view, { timeoutMs: 30_000, memoryMb: 128 });
    expect(Buffer.from(view).equals(module)).toBe(true);
  });
});
