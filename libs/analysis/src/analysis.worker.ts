import { parentPort, workerData } from 'node:worker_threads';
import { analyzeModule } from './analyze-module.js';
import { shorten } from './bound-report.js';
import { REPORT_LIMITS } from './report-limits.js';
import { lowerThreadPriority } from './thread-priority.js';

/**
 * Runs in a worker thread with its own heap limit, so that a hostile module
 * can exhaust only this thread, and the API keeps answering meanwhile. The
 * report is bounded here (analyzeModule), before it reaches the API's thread.
 */
lowerThreadPriority();
const { bytes } = workerData as { bytes: Uint8Array };
try {
  const report = await analyzeModule(bytes);
  parentPort!.postMessage({ ok: true, report });
} catch (error) {
  parentPort!.postMessage({ ok: false, message: shorten(error instanceof Error ? error.message : String(error), REPORT_LIMITS.maxMessageLength) });
}
