import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** Niceness of the threads that analyse modules and build SBOMs: below the event loop's, which answers requests. */
export const WORKER_NICENESS = 10;

/**
 * Lowers the calling thread's CPU priority. On Linux a thread's id works as a
 * pid for setpriority(2), and /proc/thread-self names it, so only this worker
 * thread yields: when the CPUs are busy, the API's event loop gets them first
 * and keeps answering while a large module is analysed. Elsewhere, or when
 * not permitted, the thread keeps its priority.
 */
export function lowerThreadPriority(niceness = WORKER_NICENESS): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').at(-1));
    if (Number.isSafeInteger(tid) && tid > 0) setPriority(tid, niceness);
  } catch {
    // not Linux, or not permitted: run at the normal priority
  }
}
