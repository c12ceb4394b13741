import { describe, expect, it } from 'vitest';
import { manyFunctionsModule, proxyWasmFilter } from '../../testing/src/wasm-fixtures.js';
import { analyzeInWorker } from './analysis-runner.js';

// Runs the compiled worker (dist/), as the API does: `npm test` builds first.
describe('analysis in a worker thread', () => {
  it('returns the report computed in the worker', async () => {
    const module = await proxyWasmFilter('runner');
    const report = await analyzeInWorker(module, { timeoutMs: 30_000, memoryMb: 128 });
    expect(report).toMatchObject({ kind: 'module', valid: true, size: module.length });
    expect(report.proxyWasm?.abiVersion).toBe('0.2.1');
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
