/**
 * One analysis in a fresh process, for bench/analysis.ts: prints one JSON line.
 *
 *   node --expose-gc --import ./bench/ts-resolve.mjs bench/analysis-child.ts <module.wasm> inline|worker <warm-up.wasm>
 *
 * The process first analyses the small warm-up module the same way (so that
 * the analyser's code is loaded and the worker script read once), collects
 * garbage, then resets its peak RSS (`echo 5 > /proc/self/clear_refs`) and
 * analyses the module once: VmHWM afterwards is the peak of this analysis
 * alone, worker thread included (a thread shares its process's memory).
 * Imports only the analyser (its build in dist/, see ts-resolve.mjs), so that
 * the baseline stays small.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { analyzeInWorker, analyzeModule, validateModule, parseWasm } from '../libs/analysis/index.js';

// The API's defaults (libs/config/src/config.ts: ANALYSIS_TIMEOUT_MS, ANALYSIS_MEMORY_MB).
const LIMITS = { timeoutMs: 30_000, memoryMb: 512 };

const [file, mode, warmupFile] = process.argv.slice(2);
if (!file || !warmupFile || (mode !== 'inline' && mode !== 'worker')) {
  throw new Error('usage: analysis-child.ts <module.wasm> inline|worker <warm-up.wasm>');
}

function status(field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  if (!match) throw new Error(`no ${field} in /proc/self/status`);
  return Number(match[1]) * 1024;
}

/** The module in a buffer of its own, as VersionProcessor.readModule hands it over (transferable, not pooled). */
function load(path: string): Uint8Array {
  const read = readFileSync(path);
  const bytes = new Uint8Array(read.length);
  bytes.set(read);
  return bytes;
}

const analyse = (bytes: Uint8Array) =>
  mode === 'worker' ? analyzeInWorker(bytes, LIMITS, { transfer: true }) : analyzeModule(bytes);

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

await analyse(load(warmupFile));
const bytes = load(file);
const size = bytes.length;
gc();
gc();
await new Promise((resolve) => setTimeout(resolve, 50));

// Longest interval between 1 ms timer ticks: how long the event loop was blocked.
let last = performance.now();
let maxGapMs = 0;
const ticker = setInterval(() => {
  const now = performance.now();
  maxGapMs = Math.max(maxGapMs, now - last);
  last = now;
}, 1);

const rssBefore = status('VmRSS');
let hwmReset = true;
try {
  writeFileSync('/proc/self/clear_refs', '5');
} catch {
  hwmReset = false;
}
last = performance.now();
const cpuBefore = process.cpuUsage();
const started = performance.now();
const report = await analyse(bytes);
const ms = performance.now() - started;
// All threads of the process: the main thread, the worker and V8's background threads.
const cpu = process.cpuUsage(cpuBefore);
const cpuMs = (cpu.user + cpu.system) / 1000;
maxGapMs = Math.max(maxGapMs, performance.now() - last);
clearInterval(ticker);
const peak = status('VmHWM');
const rssAfter = status('VmRSS');

// Where in-thread time goes: the structural parse, V8's validation, and the rest (ABI checks, report).
let parseMs: number | null = null;
let validateMs: number | null = null;
if (mode === 'inline') {
  let t = performance.now();
  parseWasm(bytes);
  parseMs = performance.now() - t;
  t = performance.now();
  validateModule(bytes);
  validateMs = performance.now() - t;
}

process.stdout.write(
  `${JSON.stringify({
    size,
    mode,
    ms,
    cpuMs,
    maxGapMs,
    rssBefore,
    peak: hwmReset ? peak : null,
    rssAfter,
    parseMs,
    validateMs,
    report: {
      valid: report.valid,
      functionCount: report.functionCount,
      abiVersion: report.proxyWasm?.abiVersion ?? null,
      findings: report.findings.map((f) => `${f.severity}:${f.code}`),
      validationError: report.validationError?.message ?? null,
    },
  })}\n`,
);
