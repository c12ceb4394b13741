import type { MessagePort } from 'node:worker_threads';
import { analyzeModule } from './analyze-module.js';
import { shorten } from './bound-report.js';
import type { AnalysisReport } from './report.js';
import { REPORT_LIMITS } from './report-limits.js';
import { lowerThreadPriority } from './thread-priority.js';

export interface AnalysisTask {
  bytes: Uint8Array;
  /** Told when this thread starts the task: the deadline counts from then, not from queueing. */
  started: MessagePort;
}

export type AnalysisTaskResult = { ok: true; report: AnalysisReport } | { ok: false; message: string };

/**
 * Runs in AnalysisPool's threads (piscina), each with its own heap limit, so
 * that a hostile module can exhaust only its thread, and the API keeps
 * answering meanwhile. The report is bounded here (analyzeModule), before it
 * reaches the API's thread. A thread analyses one module after another:
 * analyzeModule keeps no state between modules (its only module-level value is
 * the loaded wasm-tools, which holds no module's data).
 */
lowerThreadPriority();

export default async function runAnalysis(task: AnalysisTask): Promise<AnalysisTaskResult> {
  task.started.postMessage('started');
  task.started.close();
  try {
    return { ok: true, report: await analyzeModule(task.bytes) };
  } catch (error) {
    return { ok: false, message: shorten(error instanceof Error ? error.message : String(error), REPORT_LIMITS.maxMessageLength) };
  }
}
