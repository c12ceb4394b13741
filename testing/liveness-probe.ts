import { Worker } from 'node:worker_threads';

export interface ProbeResult {
  /** Probes sent. */
  count: number;
  /** Probes that failed or did not answer 200 within the deadline, with what happened. */
  failures: { at: number; error: string }[];
  /** The slowest answer, in ms (a failed probe counts as its deadline). */
  worstMs: number;
  /** Answer times in ms, in order. */
  samples: number[];
  /** When each probe was sent, in ms since the probe started (performance.timeOrigin + startedAt is the epoch). */
  sentAt: number[];
  /** performance.timeOrigin-based epoch ms at which probing started. */
  startedAt: number;
}

export interface LivenessProbe {
  /** Stops probing and returns what was seen. */
  stop(): Promise<ProbeResult>;
}

// Plain JavaScript, run in a worker thread: probing from the test's (or the
// bench's) own thread would count that thread's pauses (building a 20 MiB
// module, parsing an answer) against the server.
const PROBE_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { url, intervalMs, deadlineMs } = workerData;
const samples = [];
const sentAt = [];
const failures = [];
let stopped = false;
parentPort.on('message', () => { stopped = true; });
(async () => {
  // The first fetch of a thread loads its HTTP client (hundreds of ms on a busy machine): done here, on a data:
  // URL, so that neither the server's time nor this load is counted, and probing starts warm.
  await (await fetch('data:,warm')).arrayBuffer();
  parentPort.postMessage('ready');
  const started = performance.now();
  const startedAt = performance.timeOrigin + started;
  while (!stopped) {
    const sent = performance.now();
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(deadlineMs) });
      await response.arrayBuffer();
      if (response.status !== 200) failures.push({ at: sent - started, error: 'HTTP ' + response.status });
    } catch (error) {
      failures.push({ at: sent - started, error: String(error && error.name === 'TimeoutError' ? 'no answer within ' + deadlineMs + ' ms' : error) });
    }
    const took = performance.now() - sent;
    samples.push(Math.min(took, deadlineMs));
    sentAt.push(sent - started);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, intervalMs - took)));
  }
  parentPort.postMessage({ samples, sentAt, startedAt, failures });
})();
`;

/**
 * Asks `url` (e.g. /health/live) for an answer every `intervalMs`, each with
 * a deadline of `deadlineMs`, from a worker thread, until stopped: a server
 * whose event loop freezes shows up as slow or failed probes. Resolves once
 * the thread probes, warm.
 */
export async function startLivenessProbe(url: string, options: { intervalMs?: number; deadlineMs?: number } = {}): Promise<LivenessProbe> {
  const worker = new Worker(PROBE_SOURCE, { eval: true, workerData: { url, intervalMs: options.intervalMs ?? 50, deadlineMs: options.deadlineMs ?? 1_000 } });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  const done = new Promise<Omit<ProbeResult, 'count' | 'worstMs'>>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    async stop() {
      worker.postMessage('stop');
      const seen = await done;
      await worker.terminate();
      return { ...seen, count: seen.samples.length, worstMs: seen.samples.length === 0 ? 0 : Math.max(...seen.samples) };
    },
  };
}
