import { writeSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { CallbackBoard } from './callback-board.js';
import { encodeFrame, WATCH_FD, type TrialRunnerMessage } from './trial-messages.js';

/**
 * The trial process's second thread: it reads the callback board the main thread writes (trial.worker.ts) every
 * few milliseconds and tells the runner, on its own fd, each callback it finds running and each return. A
 * callback shorter than a look is never told; one that hangs is told within a look of its start.
 */
const LOOK_EVERY_MS = 5;

/** When nothing else was told for this long, the watcher says it is alive: a write that fails means the runner is gone. */
const ALIVE_EVERY_MS = 100;

const board = new CallbackBoard((workerData as { board: SharedArrayBuffer }).board);
let told = 0;
let lastPost = 0;

function post(message: TrialRunnerMessage): void {
  const frame = encodeFrame(message);
  try {
    for (let written = 0; written < frame.length; ) written += writeSync(WATCH_FD, frame, written);
  } catch {
    // The runner died (EPIPE) and cannot kill this process, which may be stuck in an endless callback: stop it.
    process.kill(process.pid, 'SIGKILL');
  }
  lastPost = performance.now();
}

setInterval(() => {
  const state = board.read();
  if (state !== null && state.sequence !== told) {
    told = state.sequence;
    post(state.callback === null ? { type: 'leave' } : { type: 'enter', callback: state.callback, at: state.at });
  } else if (performance.now() - lastPost >= ALIVE_EVERY_MS) {
    post({ type: 'alive' });
  }
}, LOOK_EVERY_MS);
