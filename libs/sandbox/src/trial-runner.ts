import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { failTrace, type TrialPosition, unstartedTrace } from './perform-trial.js';
import { assignmentChunks, FrameReader, MESSAGES_FD, type TrialRunnerMessage, WATCH_FD } from './trial-messages.js';
import type { TrialCallback, TrialFailure, TrialLimits, TrialRequest, TrialTrace } from './trial-types.js';

/** Semi-space of the trial's process (young generation is three of them): the host's objects are small and short-lived. */
const SEMI_SPACE_MB = 2;
/** How much of the process's stderr a failure quotes. */
const STDERR_KEPT = 1_024;

type TrialEnd = { trace: TrialTrace } | { failure: TrialFailure };

/** A process runs at most this many trials, then a new one takes over: nothing one module left behind (garbage, a grown heap) lasts. */
export const TRIALS_PER_PROCESS = 50;
/** An idle process nobody took within this long is stopped: it holds some 40 MB. */
const IDLE_PROCESS_MS = 60_000;

/** What the runner of the current trial hears from its process. */
interface TrialListener {
  message(message: TrialRunnerMessage): void;
  garbage(error: unknown): void;
  failed(error: Error): void;
  ended(code: number | null, signal: NodeJS.Signals | null): void;
}

/**
 * A trial's process with the frames it sends read for its whole life (a frame never straddles two trials) and
 * handed to whichever trial it runs now.
 */
class TrialProcess {
  readonly child: ChildProcess;
  trials = 0;
  stderr = '';
  listener: TrialListener | null = null;
  private failedToStart = false;

  constructor(limits: TrialLimits) {
    this.child = spawnTrialProcess(limits, [trialScript()]);
    // The process may be gone before it has read everything (killed at a deadline): not an error of ours.
    this.child.stdin!.on('error', () => {});
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-STDERR_KEPT);
    });
    for (const fd of [MESSAGES_FD, WATCH_FD]) {
      const frames = new FrameReader();
      this.child.stdio[fd]!.on('data', (chunk: Buffer) => {
        try {
          for (const message of frames.push(chunk)) this.listener?.message(message);
        } catch (error) {
          this.listener?.garbage(error);
        }
      });
    }
    this.child.on('error', (error) => {
      this.failedToStart ||= this.child.pid === undefined;
      this.listener?.failed(error);
    });
    // 'close': after the process exited and its stderr was read to the end.
    this.child.once('close', (code, signal) => this.listener?.ended(code, signal));
  }

  get alive(): boolean {
    return !this.failedToStart && this.child.exitCode === null && this.child.signalCode === null;
  }

  assign(request: TrialRequest, unstarted: TrialTrace, listener: TrialListener): void {
    this.trials++;
    this.stderr = '';
    this.listener = listener;
    holdOpen(this.child, true);
    for (const chunk of assignmentChunks({ request, unstarted })) this.child.stdin!.write(chunk);
  }

  release(): void {
    this.listener = null;
    holdOpen(this.child, false);
  }

  kill(): void {
    this.listener = null;
    if (this.alive) this.child.kill('SIGKILL');
  }
}

/**
 * Runs a trial in a process of its own and watches it: the process sees no environment and no file beyond the
 * sandbox's own code, and has its own heap limit; it is killed when a callback runs past `limits.callbackMs`
 * (from the moment it was entered) or the whole trial past `limits.trialMs`. What the module does never makes
 * this reject: a timeout, an exhausted heap or a crash become a failure in the trace, placed after the last
 * step the process handed over. A process that handed over its trace runs the next trial (a fresh instance of
 * the next module): Node's boot costs more CPU than most trials.
 *
 * A process, not a worker thread: V8 aborts the whole process when a Wasm module grows its tables (or other
 * engine-side objects) past a thread's heap limit, which resourceLimits do not catch.
 */
export async function runTrial(request: TrialRequest): Promise<TrialTrace> {
  const { limits } = request;
  const started = performance.now();
  const unstarted = unstartedTrace();
  let lastCheckpoint = unstarted;
  let position: TrialPosition = { section: 'start', index: 0 };
  let inCallback: { callback: TrialCallback; since: number } | null = null;
  const ended = (failure: TrialFailure): TrialTrace => ({
    ...failTrace(lastCheckpoint, position, failure),
    elapsedMs: Math.round(performance.now() - started),
  });

  let worker: TrialProcess;
  try {
    worker = trialProcess(limits);
  } catch (error) {
    return ended({ kind: 'host_error', callback: null, message: `the sandbox's process could not start: ${messageOf(error)}` });
  }

  let watchdog: NodeJS.Timeout | undefined;
  let trialDeadline: NodeJS.Timeout | undefined;
  let handedOver = false;
  try {
    const end = await new Promise<TrialEnd>((resolve) => {
      worker.assign(request, unstarted, {
        message(message) {
          switch (message.type) {
            case 'enter':
              inCallback = { callback: message.callback, since: performance.now() };
              position = message.at;
              break;
            case 'leave':
              inCallback = null;
              break;
            case 'checkpoint':
              lastCheckpoint = message.trace;
              break;
            case 'done':
              handedOver = true;
              resolve({ trace: message.trace });
              break;
            case 'alive':
              break;
          }
        },
        garbage: (error) =>
          resolve({ failure: { kind: 'host_error', callback: inCallback?.callback ?? null, message: `the sandbox's process sent garbage: ${messageOf(error)}` } }),
        failed: (error) => resolve({ failure: { kind: 'host_error', callback: null, message: `the sandbox's process failed: ${error.message}` } }),
        ended: (code, signal) =>
          resolve({ failure: processEndFailure({ code, signal, stderr: worker.stderr, callback: inCallback?.callback ?? null, limits }) }),
      });
      watchdog = setInterval(
        () => {
          if (inCallback && performance.now() - inCallback.since > limits.callbackMs) {
            const { callback } = inCallback;
            resolve({ failure: { kind: 'timeout', callback, message: `${callback} ran longer than ${limits.callbackMs} ms and was stopped` } });
          }
        },
        Math.min(100, Math.max(5, limits.callbackMs / 10)),
      );
      trialDeadline = setTimeout(() => {
        const callback = inCallback?.callback ?? null;
        resolve({
          failure: { kind: 'timeout', callback, message: `the trial ran longer than ${limits.trialMs} ms and was stopped${callback ? ` in ${callback}` : ''}` },
        });
      }, limits.trialMs);
    });
    return 'trace' in end ? end.trace : ended(end.failure);
  } finally {
    clearInterval(watchdog);
    clearTimeout(trialDeadline);
    // Only a process that handed over its whole trace is trusted with another trial; any other is stopped.
    if (handedOver && worker.alive && worker.trials < TRIALS_PER_PROCESS) park(limits, worker);
    else worker.kill();
    // After the caller has its trace: spawning blocks this thread while the kernel forks it (5-100 ms).
    setImmediate(() => prestart(limits));
  }
}

/** Processes waiting for a trial, per heap size: the last one used, or one started ahead. */
const idle = new Map<number, { worker: TrialProcess; expiry: NodeJS.Timeout }>();

/** A process for one trial: an idle one if there is one. */
function trialProcess(limits: TrialLimits): TrialProcess {
  const waiting = idle.get(limits.heapMb);
  idle.delete(limits.heapMb);
  if (waiting) clearTimeout(waiting.expiry);
  if (waiting?.worker.alive) return waiting.worker;
  waiting?.worker.kill();
  return new TrialProcess(limits);
}

/** Keeps a process for the next trial of its heap size; one is enough (another one waiting is stopped). */
function park(limits: TrialLimits, worker: TrialProcess): void {
  worker.release();
  const other = idle.get(limits.heapMb);
  if (other) {
    if (other.worker.alive) {
      worker.kill();
      return;
    }
    clearTimeout(other.expiry);
  }
  const expiry = setTimeout(() => {
    if (idle.get(limits.heapMb)?.worker === worker) idle.delete(limits.heapMb);
    worker.kill();
  }, IDLE_PROCESS_MS);
  expiry.unref();
  idle.set(limits.heapMb, { worker, expiry });
}

/** Starts the process for the next trial when none waits: after this one, so that Node's boot does not compete with it for the CPU. */
function prestart(limits: TrialLimits): void {
  if (idle.get(limits.heapMb)?.worker.alive) return;
  try {
    park(limits, new TrialProcess(limits));
  } catch {
    // none started: the next trial starts its own process
  }
}

/** An idle process must not keep this process alive; one that runs a trial must. (An idle one whose parent dies reads EOF and exits.) */
function holdOpen(child: ChildProcess, hold: boolean): void {
  for (const handle of [child, child.stdin, child.stderr, child.stdio[MESSAGES_FD], child.stdio[WATCH_FD]] as ({ ref(): void; unref(): void } | null)[]) {
    if (hold) handle?.ref();
    else handle?.unref();
  }
}

/**
 * Starts a trial's process running `entry` (a script, or Node arguments): an empty environment, Node's
 * permission model allowing reads of the sandbox's compiled code only (WASI allowed: the host gives it no
 * directory), no code from strings, the heap limit of `limits.heapMb`. stdin carries the assignment, fds 3
 * and 4 the messages, stderr what Node says when the process dies; stdout is dropped.
 */
export function spawnTrialProcess(limits: TrialLimits, entry: string[]): ChildProcess {
  const code = dirname(dirname(dirname(trialScript()))); // dist/libs: the sandbox and the analysis it uses
  return spawn(
    process.execPath,
    [
      '--permission',
      `--allow-fs-read=${code}`,
      '--allow-wasi',
      // The process's own watcher thread (trial-watcher.worker.ts); the module runs no JavaScript of its own.
      '--allow-worker',
      '--disallow-code-generation-from-strings',
      '--no-warnings',
      `--max-old-space-size=${limits.heapMb}`,
      `--max-semi-space-size=${SEMI_SPACE_MB}`,
      ...entry,
    ],
    { env: {}, stdio: ['pipe', 'ignore', 'pipe', 'pipe', 'pipe'], windowsHide: true },
  );
}

/** Why a trial's process ended before handing over its trace: V8 aborting on a full heap, or anything else. */
export function processEndFailure(end: {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  callback: TrialCallback | null;
  limits: TrialLimits;
}): TrialFailure {
  const { callback, limits } = end;
  const said = end.stderr.trim();
  // The module cannot write to this stderr (WASI output is captured as logs): only Node and V8 do.
  if (/out of memory/i.test(said)) {
    return { kind: 'out_of_memory', callback, message: `the sandbox's heap passed its limit of ${limits.heapMb} MiB${callback ? ` in ${callback}` : ''}` };
  }
  return {
    kind: 'host_error',
    callback,
    message: `the sandbox's process stopped (${end.signal ?? `exit code ${end.code}`})${said === '' ? '' : `: ${said}`}`,
  };
}

/** The trial is refused: every slot is taken and the queue is full. The API answers 503 trials_busy. */
export class TrialsBusyError extends Error {
  readonly code = 'trials_busy';

  constructor(
    readonly running: number,
    readonly queued: number,
    /** When a slot may be free: the longest one trial may take. */
    readonly retryAfterSeconds: number,
  ) {
    super(`${running} trials are running and ${queued} are waiting: try again in ${retryAfterSeconds} s`);
  }
}

export interface TrialPoolOptions {
  /** Trials running at once (each is a process). */
  concurrency: number;
  /** Trials waiting for a slot; one more is refused with TrialsBusyError. */
  queueLength: number;
  /** What runs a trial; runTrial unless a test says otherwise. */
  run?: (request: TrialRequest) => Promise<TrialTrace>;
}

/**
 * A trial whose request is made only once it has a slot: reading a module (up to the size limit) for a trial that
 * would be refused as busy is the memory a flood of requests would cost.
 */
export interface DeferredTrialRequest {
  limits: TrialLimits;
  make(): Promise<TrialRequest>;
}

/** Runs trials at most `concurrency` at a time, in the order asked, with a bounded queue. */
export class TrialPool {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly options: TrialPoolOptions) {}

  get size(): { running: number; queued: number } {
    return { running: this.running, queued: this.waiting.length };
  }

  /** The trial's trace; rejects with TrialsBusyError at once when the queue is full, and for nothing the module does. */
  async run(request: TrialRequest | DeferredTrialRequest): Promise<TrialTrace> {
    if (this.running < this.options.concurrency) {
      this.running++;
    } else {
      if (this.waiting.length >= this.options.queueLength) {
        throw new TrialsBusyError(this.running, this.waiting.length, Math.ceil(request.limits.trialMs / 1000));
      }
      // The slot is handed over by the trial that ends: `running` stays as it is.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    try {
      const made = 'make' in request ? await request.make() : request;
      return await (this.options.run ?? runTrial)(made);
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}


const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The compiled process entry: next to this file in dist/, or in dist/ when this file runs from the sources (tests). */
function trialScript(): string {
  const beside = fileURLToPath(new URL('./trial.worker.js', import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL('../../../dist/libs/sandbox/src/trial.worker.js', import.meta.url));
}
