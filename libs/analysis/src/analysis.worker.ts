import { parentPort, workerData } from 'node:worker_threads';
import { analyzeModule } from './analyze-module.js';

/**
 * Runs in a worker thread with its own heap limit, so that a hostile module
 * can exhaust only this thread, and the API keeps answering meanwhile.
 */
const { bytes } = workerData as { bytes: Uint8Array };
try {
  const report = await analyzeModule(bytes);
  parentPort!.postMessage({ ok: true, report });
} catch (error) {
  parentPort!.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) });
}
