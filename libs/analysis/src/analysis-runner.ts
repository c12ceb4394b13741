import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { failedAnalysis } from './failed-analysis.js';
import type { AnalysisReport } from './report.js';

export interface AnalysisLimits {
  timeoutMs: number;
  memoryMb: number;
}

/**
 * Analyses a module in a fresh worker thread: off the event loop, under a heap
 * limit and a deadline. A module that makes the analysis fail, time out or
 * run out of memory gets a report whose only finding is `analysis_failed`.
 */
export async function analyzeInWorker(bytes: Uint8Array, limits: AnalysisLimits, options: { transfer?: boolean } = {}): Promise<AnalysisReport> {
  const size = bytes.byteLength;
  const header = bytes.slice(0, 8);
  // With `transfer`, the caller hands over a buffer of its own (not a slice of
  // a pool): it moves to the worker without a copy and is unusable afterwards.
  const worker = new Worker(workerScript(), {
    workerData: { bytes },
    transferList: options.transfer ? [bytes.buffer as ArrayBuffer] : [],
    resourceLimits: { maxOldGenerationSizeMb: limits.memoryMb, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
    stdout: false,
    stderr: false,
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const outcome = await new Promise<{ ok: true; report: AnalysisReport } | { ok: false; message: string }>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, message: `the analysis did not finish within ${limits.timeoutMs} ms` }),
        limits.timeoutMs,
      );
      worker.once('message', resolve);
      worker.once('error', (error: Error & { code?: string }) =>
        resolve({
          ok: false,
          message:
            error.code === 'ERR_WORKER_OUT_OF_MEMORY'
              ? `the analysis needed more than ${limits.memoryMb} MiB of memory`
              : `the analysis failed: ${error.message}`,
        }),
      );
      worker.once('exit', (code) => resolve({ ok: false, message: `the analysis stopped unexpectedly (exit code ${code})` }));
    });
    return outcome.ok ? outcome.report : failedAnalysis(header, size, outcome.message);
  } finally {
    clearTimeout(timer);
    await worker.terminate();
  }
}


/** The compiled worker: next to this file in dist/, or in dist/ when this file runs from the sources (tests). */
function workerScript(): string {
  const beside = fileURLToPath(new URL('./analysis.worker.js', import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL('../../../dist/libs/analysis/src/analysis.worker.js', import.meta.url));
}
