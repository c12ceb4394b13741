import { afterEach, describe, expect, it } from 'vitest';
import { manyImportsModule } from '../../../testing/hostile-modules.js';
import { manyFunctionsModule, proxyWasmFilter } from '../../../testing/wasm-fixtures.js';
import { AnalysisPool } from './analysis-runner.js';

// One thread, so that the analysis after a failure must run on the replacement (or on a broken thread).
const pools: AnalysisPool[] = [];
const poolOf = (timeoutMs: number, memoryMb: number): AnalysisPool => {
  const pool = new AnalysisPool({ timeoutMs, memoryMb }, { threads: 1 });
  pools.push(pool);
  return pool;
};
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

async function expectSoundAnalysis(pool: AnalysisPool, tag: string): Promise<void> {
  const module = await proxyWasmFilter(tag);
  const report = await pool.analyze(module);
  expect(report).toMatchObject({ kind: 'module', valid: true, size: module.length, findings: expect.not.arrayContaining([expect.objectContaining({ code: 'analysis_failed' })]) });
  expect(report.proxyWasm?.abiVersion).toBe('0.2.1');
}

describe('the pool of analysis threads', () => {
  it('analyses the next module correctly after one that ran past its deadline', async () => {
    // A warm thread analyses 900,000 functions in 150-450 ms; a small module in about 10.
    const pool = poolOf(60, 256);
    const slow = await pool.analyze(manyFunctionsModule(900_000));
    expect(slow.findings.map((f) => f.message)).toEqual(['The registry could not check this module: the analysis did not finish within 60 ms.']);
    await expectSoundAnalysis(pool, 'after-timeout');
  });

  it('analyses the next module correctly after one that exhausted the heap limit it was given', async () => {
    const pool = poolOf(30_000, 64);
    const hungry = await pool.analyze(manyImportsModule(300_000));
    expect(hungry.findings.map((f) => f.message)).toEqual(['The registry could not check this module: the analysis needed more than 64 MiB of memory.']);
    await expectSoundAnalysis(pool, 'after-oom');
  });

  it('counts the deadline from when a thread starts the analysis, not while it waits for the thread', async () => {
    const pool = poolOf(60, 256);
    // The first holds the only thread for the whole deadline; counted from queueing, the second would be out of time too.
    const module = await proxyWasmFilter('queued');
    const [slow, queued] = await Promise.all([pool.analyze(manyFunctionsModule(900_000)), pool.analyze(module)]);
    expect(slow.findings.map((f) => f.code)).toEqual(['analysis_failed']);
    expect(queued).toMatchObject({ valid: true, size: module.length });
    expect(queued.findings.map((f) => f.code)).not.toContain('analysis_failed');
  });

  it('gives a reused thread the same report as a fresh one', async () => {
    const pool = poolOf(30_000, 256);
    const module = await proxyWasmFilter('reused');
    const fresh = await pool.analyze(module);
    await pool.analyze(manyImportsModule(10_000));
    expect(await pool.analyze(module)).toEqual(fresh);
  });

  it('moves a buffer the caller hands over instead of copying it', async () => {
    const own = new Uint8Array(await proxyWasmFilter('moved'));
    const size = own.byteLength;
    const report = await poolOf(30_000, 128).analyze(own, { transfer: true });
    expect(report.size).toBe(size);
    expect(own.byteLength).toBe(0);
  });
});
