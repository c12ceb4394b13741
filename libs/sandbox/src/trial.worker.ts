import { readdirSync, readSync, writeSync } from 'node:fs';
import { setPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CALLBACK_BOARD_BYTES, CallbackBoard } from './callback-board.js';
import { capMemory, WASM_PAGE_BYTES } from './memory-cap.js';
import { failTrace, performTrial, trialFindings, type TrialWatch } from './perform-trial.js';
import { encodeFrame, MESSAGES_FD, readAssignment, type TrialRunnerMessage } from './trial-messages.js';
import type { TrialFailure, TrialTrace } from './trial-types.js';

/**
 * The trial's process: a fresh one per trial (see trial-runner.ts for how it is started: no environment,
 * Node's permission model, its own heap), killed by the runner when a callback or the trial passes its
 * deadline. It tells the runner which callback it is in and hands over the trace after each step, so that
 * what ran before a breach is kept.
 */

/** Niceness of the trial's threads: below the API's event loop, which answers requests. */
const TRIAL_NICENESS = 10;

// Every thread of this process (V8's compiler threads included) runs trials only: all of them yield.
try {
  for (const tid of readdirSync('/proc/self/task')) setPriority(Number(tid), TRIAL_NICENESS);
} catch {
  // not Linux, or not permitted: run at the normal priority
}

function post(message: TrialRunnerMessage): void {
  const frame = encodeFrame(message);
  for (let written = 0; written < frame.length; ) written += writeSync(MESSAGES_FD, frame, written);
}

// The module's exported memory, to tell a trap at the memory cap from another one. performTrial is synchronous,
// so it instantiates with the constructor; this process runs one trial and nothing else reads the global.
interface WebAssemblyGlobal {
  Instance: new (module: unknown, imports?: unknown) => { exports: Record<string, unknown> };
  Memory: abstract new (...args: never[]) => { buffer: ArrayBuffer };
}
const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyGlobal }).WebAssembly;
let memory: { buffer: ArrayBuffer } | null = null;
const Instance = wasm.Instance;
wasm.Instance = class extends Instance {
  constructor(module: unknown, imports?: unknown) {
    super(module, imports);
    const exported = Object.values(this.exports).find((value) => value instanceof wasm.Memory);
    if (exported) memory = exported as { buffer: ArrayBuffer };
  }
};

// Which callback runs is written to a shared board that the watcher thread reports to the runner: a message per
// callback from this thread would cost more than many a callback (see callback-board.ts). The watcher starts
// before the assignment arrives: a spare process has it running by then.
const boardBuffer = new SharedArrayBuffer(CALLBACK_BOARD_BYTES);
const board = new CallbackBoard(boardBuffer);
new Worker(new URL('./trial-watcher.worker.js', import.meta.url), { workerData: { board: boardBuffer } });

/** Everything on stdin, with blocking reads (fewer wake-ups than a stream's 64 KiB chunks): the runner writes the assignment and closes it. */
function readStdin(): Buffer {
  let bytes = Buffer.allocUnsafe(1 << 20);
  let length = 0;
  for (;;) {
    if (length === bytes.length) {
      const larger = Buffer.allocUnsafe(bytes.length * 2);
      bytes.copy(larger, 0, 0, length);
      bytes = larger;
    }
    const read = readSync(0, bytes, length, bytes.length - length, null);
    if (read === 0) return bytes.subarray(0, length);
    length += read;
  }
}

const input = readStdin();
// A spare process whose runner went away gets no assignment.
if (input.length === 0) process.exit(0);
const { request, unstarted } = readAssignment(input);
const capPages = Math.floor((request.limits.memoryMb * 2 ** 20) / WASM_PAGE_BYTES);
const capBytes = capPages * WASM_PAGE_BYTES;

/** Callbacks that returned or failed with the module's memory at the cap, where every memory.grow fails. */
const leftAtCap = new Set<string>();
let current: string | null = null;
const watch: TrialWatch = {
  enter(callback, at) {
    current = callback;
    board.enter(callback, at);
  },
  leave() {
    if (current !== null && memory !== null && memory.buffer.byteLength >= capBytes) leftAtCap.add(current);
    current = null;
    board.leave();
  },
  checkpoint: (trace) => post({ type: 'checkpoint', trace: namingTheCap(trace) }),
};

/** A trap in a callback that ended with the memory at the cap is reported as out of memory, naming the cap. */
function namingTheCap(trace: TrialTrace): TrialTrace {
  if (leftAtCap.size === 0) return trace;
  const rename = (failure: TrialFailure | null): TrialFailure | null =>
    failure?.kind === 'trap' && failure.callback !== null && leftAtCap.has(failure.callback)
      ? {
          kind: 'out_of_memory',
          callback: failure.callback,
          message: `the module trapped with its memory at the sandbox's cap of ${request.limits.memoryMb} MiB, where memory.grow fails: ${failure.message}`,
        }
      : failure;
  const renamed: TrialTrace = {
    ...trace,
    start: { ...trace.start, failure: rename(trace.start.failure) },
    configurations: trace.configurations.map((c) => ({ ...c, failure: rename(c.failure) })),
    requests: trace.requests.map((r) => ({ ...r, failure: rename(r.failure) })),
    connections: trace.connections.map((c) => ({ ...c, failure: rename(c.failure) })),
    ticks: { ...trace.ticks, failure: rename(trace.ticks.failure) },
  };
  return { ...renamed, findings: trialFindings(renamed) };
}

const capped = capMemory(request.module, capPages);
const trace = capped.ok
  ? performTrial({ ...request, module: capped.module }, watch)
  : failTrace(unstarted, { section: 'start', index: 0 }, { kind: capped.kind, callback: null, message: capped.message });
post({ type: 'done', trace: namingTheCap(trace) });
process.exit(0);
