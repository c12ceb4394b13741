import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import type { AnalysisTask, AnalysisTaskResult } from './analysis.worker.js';
import { failedAnalysis } from './failed-analysis.js';
import type { AnalysisReport } from './report.js';

export interface AnalysisLimits {
  timeoutMs: number;
  memoryMb: number;
}

export interface AnalysisPoolOptions {
  /** Warm threads kept; analyses beyond them wait in the queue. */
  threads?: number;
  /** Told about a thread that failed outside any analysis (it is replaced); without it such an error is only dropped. */
  onThreadError?: (error: unknown) => void;
}

/**
 * Analyses modules in a small pool of warm worker threads (piscina, as
 * ContractChecker): off the event loop, each thread under a heap limit, each
 * analysis under a deadline counted from when a thread starts it. Starting a
 * thread costs about 36 ms, against 1-2 ms to analyse a typical plugin. A thread
 * that times out (terminated), runs out of memory or crashes is replaced, and
 * the module gets a report whose only finding is `analysis_failed`.
 */
export class AnalysisPool {
  // Started on the first analysis: a process that never analyses (an API whose jobs run in workers, or
  // one not yet published to) keeps no thread, and no thread's heap, for it.
  private poolStarted: Promise<Piscina<AnalysisTask, AnalysisTaskResult>> | null = null;

  constructor(
    private readonly limits: AnalysisLimits,
    private readonly options: AnalysisPoolOptions = {},
  ) {}

  private get pool(): Promise<Piscina<AnalysisTask, AnalysisTaskResult>> {
    const threads = this.options.threads ?? 1;
    // Loaded here, not at the top: the trial's sandbox process imports this library's door under a permission
    // model that lets it read dist/libs only, not node_modules.
    this.poolStarted ??= import('piscina').then(({ Piscina }) => {
      const pool = new Piscina<AnalysisTask, AnalysisTaskResult>({
        filename: workerScript(),
        // Every thread stays warm once started; piscina starts a replacement up to minThreads after terminating one.
        minThreads: threads,
        maxThreads: threads,
        idleTimeout: Infinity,
        resourceLimits: { maxOldGenerationSizeMb: this.limits.memoryMb, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
      });
      // Piscina emits 'error' for a thread that fails between tasks; unheard, it would take the process down.
      pool.on('error', (error: unknown) => this.options.onThreadError?.(error));
      return pool;
    });
    return this.poolStarted;
  }

  /**
   * With `transfer`, the caller hands over a buffer of its own (not a slice of
   * a pool): it moves to the thread without a copy and is unusable afterwards.
   */
  async analyze(bytes: Uint8Array, options: { transfer?: boolean } = {}): Promise<AnalysisReport> {
    const size = bytes.byteLength;
    const header = bytes.slice(0, 8);
    const abort = new AbortController();
    const { port1: started, port2: startedInThread } = new MessageChannel();
    let timer: NodeJS.Timeout | undefined;
    started.once('message', () => {
      timer = setTimeout(() => abort.abort(), this.limits.timeoutMs);
    });
    try {
      const outcome = await (await this.pool).run(
        { bytes, started: startedInThread },
        { transferList: options.transfer ? [startedInThread, bytes.buffer as ArrayBuffer] : [startedInThread], signal: abort.signal },
      );
      return outcome.ok ? outcome.report : failedAnalysis(header, size, outcome.message);
    } catch (error) {
      return failedAnalysis(header, size, this.failure(error, abort.signal.aborted));
    } finally {
      clearTimeout(timer);
      started.close();
    }
  }

  async close(): Promise<void> {
    await (await this.poolStarted)?.destroy();
  }

  private failure(error: unknown, timedOut: boolean): string {
    if (timedOut) return `the analysis did not finish within ${this.limits.timeoutMs} ms`;
    const { code, message } = error as { code?: string; message?: string };
    if (code === 'ERR_WORKER_OUT_OF_MEMORY') return `the analysis needed more than ${this.limits.memoryMb} MiB of memory`;
    return `the analysis failed: ${message ?? String(error)}`;
  }
}

/** One analysis in a pool of its own (the CLI's one-off check): the thread is started for it and ended after. */
export async function analyzeInWorker(bytes: Uint8Array, limits: AnalysisLimits, options: { transfer?: boolean } = {}): Promise<AnalysisReport> {
  const pool = new AnalysisPool(limits, { threads: 1 });
  try {
    return await pool.analyze(bytes, options);
  } finally {
    await pool.close();
  }
}

/** The compiled worker: next to this file in dist/, or in dist/ when this file runs from the sources (tests). */
function workerScript(): string {
  const beside = fileURLToPath(new URL('./analysis.worker.js', import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL('../../../dist/libs/analysis/src/analysis.worker.js', import.meta.url));
}
