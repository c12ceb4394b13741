/**
 * Measuring helpers for bench/run.ts. Plain TypeScript that Node runs by
 * stripping types (no enums, no parameter properties; see ts-resolve.mjs).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { cpus, loadavg, totalmem } from 'node:os';
import { request, type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import autocannon from 'autocannon';
import { PADDING_BYTE, paddedModuleLayout } from '../testing/wasm-fixtures.js';

export const KiB = 1024;
export const MiB = 1024 * 1024;

/** Nearest-rank percentile of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

// ---------------------------------------------------------------- machine

/** Markdown bullets: date, commit, CPU, RAM, Node, load average and the command that ran. */
export function machineDescription(command: string): string[] {
  const git = (...argv: string[]): string => execFileSync('git', argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  let commit: string;
  try {
    commit = git('rev-parse', '--short', 'HEAD') + (git('status', '--porcelain', '--untracked-files=no') !== '' ? ' (with uncommitted changes)' : '');
  } catch {
    commit = 'unknown (not a git work tree)';
  }
  const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return [
    `- Date: ${new Date().toISOString()}`,
    `- Commit: ${commit}`,
    `- CPU: ${model}, ${cpus().length} cores; RAM ${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    `- Node ${process.version}; load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    `- Command: ${command}${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  ];
}

// ---------------------------------------------------------------- memory

/** A /proc/<pid>/status field in bytes (the kernel reports kB). */
export function procStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/**
 * Resets the process's VmHWM to its current RSS (Linux >= 4.0), so that VmHWM
 * afterwards is the exact peak, including spikes between two samples.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** CPU time (user + system) the process has used so far, in seconds; clock ticks are 1/100 s on Linux. */
export function cpuSeconds(pid: number): number {
  // Fields after the parenthesised command name, which may itself contain spaces or parentheses.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Samples VmRSS every `intervalMs` until stopped; returns the highest sample. */
export function sampleRss(pid: number, intervalMs = 20): { stop(): { peak: number; samples: number } } {
  let peak = procStatusBytes(pid, 'VmRSS');
  let samples = 1;
  const timer = setInterval(() => {
    peak = Math.max(peak, procStatusBytes(pid, 'VmRSS'));
    samples += 1;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, procStatusBytes(pid, 'VmRSS'));
      return { peak, samples: samples + 1 };
    },
  };
}

// ---------------------------------------------------------------- modules

/**
 * The bytes of paddedModule(size, tag) from testing/, produced in 1 MiB
 * chunks so that a 50 MiB body is never held whole by the bench either.
 */
export async function* paddedModuleChunks(size: number, tag: string): AsyncGenerator<Buffer> {
  const { head, fillerLength } = await paddedModuleLayout(size, tag);
  yield head;
  // Never mutated, so one buffer can be queued on the socket many times over.
  const filler = Buffer.alloc(MiB, PADDING_BYTE);
  for (let left = fillerLength; left > 0; left -= filler.length) {
    yield left >= filler.length ? filler : filler.subarray(0, left);
  }
}

// ---------------------------------------------------------------- HTTP

export interface PutResult {
  status: number;
  body: string;
  ms: number;
}

/**
 * PUTs a streamed body with a Content-Length (as a CLI uploading a file would),
 * through node:http because fetch() sends streams chunked.
 */
export async function putStream(url: string, token: string, body: AsyncIterable<Buffer>, length: number): Promise<PutResult> {
  const started = performance.now();
  const req = request(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/wasm', 'content-length': String(length), authorization: `Bearer ${token}` },
  });
  const answered = once(req, 'response') as Promise<[IncomingMessage]>;
  // An early refusal (413) ends the upload with EPIPE; the response is what counts.
  const sent = pipeline(Readable.from(body), req).catch((error: unknown) => error);
  const [response] = await answered;
  let text = '';
  for await (const chunk of response) text += chunk;
  await sent;
  return { status: response.statusCode ?? 0, body: text, ms: performance.now() - started };
}

export interface PublishRun {
  count: number;
  concurrency: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Status (or error message) → count, for anything but 201/202. */
  failures: Record<string, number>;
}

/**
 * `concurrency` workers take the next module until all are published. A fetch
 * loop rather than autocannon: every request needs its own body and path.
 */
export async function publishAll(
  base: string,
  token: string,
  items: readonly { path: string; body: Buffer }[],
  concurrency: number,
): Promise<PublishRun> {
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      const started = performance.now();
      try {
        const response = await fetch(`${base}${item.path}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/wasm', authorization: `Bearer ${token}` },
          body: item.body,
        });
        await response.arrayBuffer();
        // 202 since the processing pipeline (accepted, pending), 201 before it.
        if (response.status !== 202 && response.status !== 201) failures[String(response.status)] = (failures[String(response.status)] ?? 0) + 1;
      } catch (error) {
        const key = (error as Error).message;
        failures[key] = (failures[key] ?? 0) + 1;
      }
      latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  return {
    count: items.length,
    concurrency,
    seconds,
    perSecond: items.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: Math.max(...latencies),
    failures,
  };
}

export interface LoadRun {
  requestsPerSecond: number;
  /** Share of one core the API process used while loaded (1 = one core busy). */
  apiCpu: number;
  /** Response bytes (headers included) per second, in MiB. */
  mibPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

/**
 * autocannon against one URL; a short untimed run first so the JIT is warm.
 * The API's CPU use tells a saturated server from a client-bound run.
 */
export async function load(url: string, apiPid: number, connections: number, seconds: number, warmupSeconds = 2): Promise<LoadRun> {
  if (warmupSeconds > 0) await autocannon({ url, connections, duration: warmupSeconds });
  const cpuBefore = cpuSeconds(apiPid);
  const started = performance.now();
  const result = await autocannon({ url, connections, duration: seconds });
  const apiCpu = (cpuSeconds(apiPid) - cpuBefore) / ((performance.now() - started) / 1000);
  return {
    requestsPerSecond: result.requests.average,
    apiCpu,
    mibPerSecond: result.throughput.average / MiB,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}
