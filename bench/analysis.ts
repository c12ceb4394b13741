/**
 * Module analysis: time and peak memory of analysing modules of typical sizes,
 * and the API's latency while it analyses large ones.
 *
 *   npm run bench:analysis                        # report on stdout
 *   npm run bench:analysis -- --runs 3 --only local --out /tmp/analysis.md
 *
 * 1. Local: every module is analysed in `--runs` fresh child processes per
 *    mode (bench/analysis-child.ts), `analyzeModule` in the thread and
 *    `analyzeInWorker` (a new worker thread per module, as the API ran it before
 *    its warm AnalysisPool; the CLI still does), with the API's default
 *    limits. A fresh process per analysis makes VmHWM the peak of that
 *    analysis alone. Runs are interleaved (run 1 of every
 *    module, then run 2 …) so that a busy moment on the shared machine does
 *    not fall on one module only.
 * 2. API: the built API (embedded configuration, default ANALYSIS_* limits).
 *    Three 30 MiB code-heavy modules are published with no load, for the
 *    analysis time alone; then `GET /health/live` runs under autocannon,
 *    first alone (baseline), then while 30 MiB modules are published one
 *    after the other, each analysed before the next is sent, until the
 *    analysis windows add up to `--analysis-seconds`. Every response is
 *    timestamped, so latencies are split by what the API was doing when it
 *    answered: receiving an upload, analysing (from the publish's answer to
 *    the poll that sees the analysis finished), running the later pipeline
 *    steps (SBOM, signature: until the version leaves pending), or nothing.
 *    The modules are generated before the load starts (generating blocks this
 *    process, and so the load generator) and sent streamed, each with its own
 *    tag section.
 *
 * Progress goes to stderr, the Markdown report to stdout (and --out).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon, { type Result } from 'autocannon';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { assemblyScriptProxyWasmFilter } from '../testing/sdk-fixtures.js';
import { paddedModule, proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { codeHeavyModule, tagSection } from './code-module.js';
import { KiB, MiB, cpuSeconds, machineDescription, percentile, procStatusBytes, putStream, resetPeakRss } from './measure.js';
import { Teardown } from './teardown.js';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    runs: { type: 'string', default: '5' },
    connections: { type: 'string', default: '8' },
    'baseline-seconds': { type: 'string', default: '3' },
    /** Keep publishing 30 MiB modules until the analysis windows add up to this long… */
    'analysis-seconds': { type: 'string', default: '3' },
    /** …with at least this many modules… */
    'min-modules': { type: 'string', default: '3' },
    /** …and at most this many. */
    'max-modules': { type: 'string', default: '20' },
    out: { type: 'string' },
  },
});
const RUNS = Number(args.runs);
const CONNECTIONS = Number(args.connections);
const BASELINE_S = Number(args['baseline-seconds']);
const ANALYSIS_S = Number(args['analysis-seconds']);
const MIN_MODULES = Number(args['min-modules']);
const MAX_MODULES = Number(args['max-modules']);
const API_MODULE_SIZE = 30 * MiB;
const ROOT = fileURLToPath(new URL('..', import.meta.url));

const log = (message: string): void => void process.stderr.write(`[bench:analysis] ${message}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const toMiB = (bytes: number): number => bytes / MiB;
const median = (values: readonly number[]): number => percentile(values, 50);

// ---------------------------------------------------------------- cleanup

const teardown = new Teardown(log);

// ---------------------------------------------------------------- modules

interface BenchModule {
  label: string;
  /** Where the bytes are, for the child processes. */
  path: string;
  size: number;
  /** Function count, from the generator or the report. */
  functions: number | null;
  /** Extra node options for its child processes. */
  nodeFlags?: string[];
}

async function prepareModules(dir: string): Promise<{ modules: BenchModule[]; warmup: string; assemblyScript: Uint8Array }> {
  const modules: BenchModule[] = [];
  const add = (label: string, name: string, bytes: Uint8Array, functions: number | null = null): void => {
    const path = join(dir, `${name}.wasm`);
    writeFileSync(path, bytes);
    modules.push({ label, path, size: bytes.length, functions });
  };
  const warmup = join(dir, 'warmup.wasm');
  writeFileSync(warmup, await proxyWasmFilter('warm-up'));

  add('Tiny filter (≈ worker start-up)', 'tiny', await proxyWasmFilter('tiny'));
  log('building the AssemblyScript plugin');
  const as = await assemblyScriptProxyWasmFilter();
  // sdk-fixtures caches builds in a directory of this run; nothing else uses it.
  teardown.push({ name: 'AssemblyScript build cache', run: () => removeSdkRunDir(as.path) });
  add('AssemblyScript plugin (real)', 'assemblyscript', as.bytes);
  for (const [label, name, size] of [
    ['Code, C++-sized', 'code-40k', 40 * KiB],
    ['Code, Rust-sized', 'code-170k', 170 * KiB],
    ['Code, Go-sized', 'code-3m', 3 * MiB],
    ['Code, large', 'code-30m', 30 * MiB],
  ] as const) {
    log(`generating ${name}`);
    const generated = codeHeavyModule(size, name);
    add(label, name, generated.bytes, generated.functions);
  }
  add('Padded (filter + custom section)', 'padded-30m', await paddedModule(30 * MiB, 'padded'));
  // V8 validates function bodies on its platform threads too: without them, for contrast.
  const large = modules.find((m) => m.path.endsWith('code-30m.wasm'))!;
  modules.push({ ...large, label: 'Code, large, `node --single-threaded`', nodeFlags: ['--single-threaded'] });
  return { modules, warmup, assemblyScript: as.bytes };
}

/** Real compiled modules from dependencies (not Proxy-Wasm plugins), to check that the generated code is realistic. */
function referenceModules(): BenchModule[] {
  return [
    { label: 'Rust, real: Prisma schema engine', path: join(ROOT, 'node_modules/@prisma/schema-engine-wasm/schema_engine_bg.wasm') },
    { label: 'C, real: PGlite (Emscripten)', path: join(ROOT, 'node_modules/@electric-sql/pglite/dist/pglite.wasm') },
  ].flatMap((m) => {
    try {
      return [{ ...m, size: statSync(m.path).size, functions: null }];
    } catch {
      log(`${m.path} is missing; skipped`);
      return [];
    }
  });
}

function removeSdkRunDir(fixturePath: string): void {
  const runDir = dirname(fixturePath);
  rmSync(runDir, { recursive: true, force: true });
  const cacheRoot = dirname(runDir);
  try {
    if (readdirSync(cacheRoot).length === 0) rmdirSync(cacheRoot);
  } catch {
    // other runs' caches, or already gone
  }
}

// ---------------------------------------------------------------- local measurements

interface ChildResult {
  size: number;
  mode: 'inline' | 'worker';
  ms: number;
  cpuMs: number;
  maxGapMs: number;
  rssBefore: number;
  peak: number | null;
  rssAfter: number;
  parseMs: number | null;
  validateMs: number | null;
  report: { valid: boolean; functionCount: number; abiVersion: string | null; findings: string[]; validationError: string | null };
}

function runChild(module: BenchModule, mode: 'inline' | 'worker', warmup: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...(module.nodeFlags ?? []), '--expose-gc', '--import', './bench/ts-resolve.mjs', 'bench/analysis-child.ts', module.path, mode, warmup],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    teardown.children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      teardown.children.delete(child);
      if (code !== 0) reject(new Error(`analysis child for ${module.label} (${mode}) exited with ${code}:\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult);
    });
  });
}

interface LocalResult {
  module: BenchModule;
  inline: ChildResult[];
  worker: ChildResult[];
}

async function measureLocal(modules: BenchModule[], warmup: string): Promise<LocalResult[]> {
  const results: LocalResult[] = modules.map((module) => ({ module, inline: [], worker: [] }));
  for (let run = 1; run <= RUNS; run++) {
    log(`local run ${run}/${RUNS}`);
    for (const result of results) {
      for (const mode of ['inline', 'worker'] as const) result[mode].push(await runChild(result.module, mode, warmup));
    }
  }
  return results;
}

// ---------------------------------------------------------------- API under load

/**
 * Every response of a load run: completion time (performance.now()), latency
 * and status, in typed arrays so that recording 200 000 responses makes no
 * garbage in this process (whose pauses would show as latency too). Also the
 * stalls of this process's own event loop (1 ms ticks more than 5 ms apart),
 * to tell a slow server from a stalled load generator.
 */
class Samples {
  at = new Float64Array(1 << 16);
  ms = new Float64Array(1 << 16);
  failed = new Uint8Array(1 << 16);
  length = 0;
  /** [end time, length] of each stall of this process's event loop. */
  stalls: [number, number][] = [];
  private lastTick = performance.now();
  private readonly ticker = setInterval(() => {
    const now = performance.now();
    if (now - this.lastTick > 5) this.stalls.push([now, now - this.lastTick]);
    this.lastTick = now;
  }, 1);

  add(ms: number, ok: boolean): void {
    if (this.length === this.at.length) {
      const grow = <T extends Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
        const next = make(a.length * 2);
        next.set(a);
        return next;
      };
      this.at = grow(this.at, (n) => new Float64Array(n));
      this.ms = grow(this.ms, (n) => new Float64Array(n));
      this.failed = grow(this.failed, (n) => new Uint8Array(n));
    }
    this.at[this.length] = performance.now();
    this.ms[this.length] = ms;
    this.failed[this.length] = ok ? 0 : 1;
    this.length += 1;
  }

  stopTicking(): void {
    clearInterval(this.ticker);
  }
}

interface Window {
  start: number;
  end: number;
}

interface LatencyStats {
  responses: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  /** Longest time without any response completing: a blocked event loop shows here. */
  longestGap: number;
  /** Longest stall of the load generator's own event loop in the windows. */
  clientStall: number;
  failures: number;
}

function statsIn(samples: Samples, windows: readonly Window[]): LatencyStats {
  const ms: number[] = [];
  let failures = 0;
  let seconds = 0;
  let longestGap = 0;
  let clientStall = 0;
  for (const w of windows) {
    seconds += (w.end - w.start) / 1000;
    let last = w.start;
    for (let i = 0; i < samples.length; i++) {
      const at = samples.at[i]!;
      if (at < w.start || at > w.end) continue;
      ms.push(samples.ms[i]!);
      failures += samples.failed[i]!;
      longestGap = Math.max(longestGap, at - last);
      last = at;
    }
    longestGap = Math.max(longestGap, w.end - last);
    for (const [end, length] of samples.stalls) if (end >= w.start && end - length <= w.end) clientStall = Math.max(clientStall, length);
  }
  return {
    responses: ms.length,
    seconds,
    perSecond: ms.length / seconds,
    p50: ms.length ? percentile(ms, 50) : NaN,
    p99: ms.length ? percentile(ms, 99) : NaN,
    max: ms.length ? ms.reduce((a, b) => Math.max(a, b)) : NaN,
    longestGap,
    clientStall,
    failures,
  };
}

/** autocannon until stop(), with every response timestamped. */
function startLoad(url: string, duration: number): { samples: Samples; stop(): Promise<Result> } {
  const samples = new Samples();
  let resolveResult!: (result: Result) => void;
  let rejectResult!: (error: Error) => void;
  const done = new Promise<Result>((resolve, reject) => {
    resolveResult = resolve;
    rejectResult = reject;
  });
  const instance = autocannon({ url, connections: CONNECTIONS, duration }, (error, result) => (error ? rejectResult(error) : resolveResult(result)));
  instance.on('response', (_client, statusCode, _bytes, ms) => samples.add(ms, statusCode === 200));
  return {
    samples,
    stop: () => {
      instance.stop();
      samples.stopTicking();
      return done;
    },
  };
}

interface ApiModule {
  version: string;
  size: number;
  uploadMs: number;
  /** From the publish's answer (202, or 201 before the pipeline) to the poll that saw the analysis finished. */
  analysisMs: number;
  /** From there to the poll that saw the version leave pending: the later pipeline steps (SBOM, signature). */
  restMs: number;
  /** The analysis as the API timed it: the pipeline step's finishedAt − startedAt (before the pipeline: analyzedAt − createdAt). */
  serverAnalysisMs: number;
  /** Version created → analysis step started (queue and outbox), when the API reports pipeline steps. */
  queueMs: number;
  /** finishedAt − startedAt of the other pipeline steps, by step. */
  otherStepsMs: Record<string, number>;
  status: string;
  statusReason: string | null;
  /** API RSS when the upload started, and its peak (VmHWM, reset there) during the upload. */
  rssBeforeUploadMiB: number;
  uploadPeakMiB: number | null;
  /** API RSS when the publish was answered, and its peak (VmHWM, reset there) until the analysis finished. */
  rssAtAcceptMiB: number;
  analysisPeakMiB: number | null;
  /** API CPU (all threads) during the analysis, in cores. */
  cpuCores: number;
}

interface ApiResult {
  rssReadyMiB: number;
  /** Publishes with no load: analysis time alone. */
  unloaded: ApiModule[];
  baseline: LatencyStats;
  baselineAutocannon: { p50: number; p99: number; max: number; perSecond: number };
  idle: LatencyStats;
  uploads: LatencyStats;
  analysis: LatencyStats;
  otherSteps: LatencyStats;
  /** Publishes under load. */
  modules: ApiModule[];
  analysisCpuCores: number;
  functions: number;
  errorLines: string[];
}

/**
 * PUTs a module given as chunks (a generated module and its tag section), with
 * a Content-Length, so that no 30 MiB copy is made for each publish.
 */
async function publish(registry: RunningRegistry, path: string, chunks: readonly Buffer[]): Promise<{ status: number; text: string }> {
  const length = chunks.reduce((sum, c) => sum + c.length, 0);
  async function* body(): AsyncGenerator<Buffer> {
    yield* chunks;
  }
  const result = await putStream(`${registry.url}${path}`, registry.adminToken, body(), length);
  return { status: result.status, text: result.body };
}

interface PipelineStep {
  step: string;
  state: string;
  startedAt: string | null;
  finishedAt: string | null;
}

interface VersionJson {
  status: string;
  statusReason: string | null;
  createdAt: string;
  analysis: { analyzedAt: string } | null;
  /** Since the processing pipeline: one entry per step (analysis, sbom, signature). */
  pipeline?: PipelineStep[];
}

const stepFinished = (step: PipelineStep | undefined): boolean => step !== undefined && step.finishedAt !== null && step.state !== 'running';
const analysisFinished = (v: VersionJson): boolean => v.status !== 'pending' || stepFinished(v.pipeline?.find((s) => s.step === 'analysis'));
const stepMs = (step: PipelineStep | undefined): number =>
  step?.startedAt && step.finishedAt ? Date.parse(step.finishedAt) - Date.parse(step.startedAt) : NaN;

/** Polls the version every 20 ms until `done` holds. */
async function poll(registry: RunningRegistry, path: string, done: (v: VersionJson) => boolean, timeoutMs = 120_000): Promise<VersionJson> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${registry.url}${path}`);
    const version = (await response.json()) as VersionJson;
    if (done(version)) return version;
    if (performance.now() > deadline) throw new Error(`${path}: still ${version.status} after ${timeoutMs} ms: ${JSON.stringify(version.pipeline ?? null)}`);
    await sleep(20);
  }
}

/**
 * Publishes one module, waits until its analysis is finished, then until the
 * version leaves pending, with the API's RSS and CPU around upload and analysis.
 */
async function publishAndWait(
  registry: RunningRegistry,
  path: string,
  version: string,
  body: readonly Buffer[],
): Promise<ApiModule & { t0: number; t1: number; t2: number; t3: number }> {
  const pid = registry.process.pid!;
  const rssBeforeUpload = procStatusBytes(pid, 'VmRSS');
  const uploadReset = resetPeakRss(pid);
  const t0 = performance.now();
  const published = await publish(registry, path, body);
  const t1 = performance.now();
  const cpu1 = cpuSeconds(pid);
  const uploadPeak = uploadReset ? procStatusBytes(pid, 'VmHWM') : null;
  const rssAtAccept = procStatusBytes(pid, 'VmRSS');
  const analysisReset = resetPeakRss(pid);
  // 202 since the pipeline (accepted, pending), 201 before it.
  if (published.status !== 202 && published.status !== 201) throw new Error(`publish of ${version} answered ${published.status}: ${published.text}`);
  await poll(registry, path, analysisFinished);
  const t2 = performance.now();
  const cpu2 = cpuSeconds(pid);
  const analysisPeak = analysisReset ? procStatusBytes(pid, 'VmHWM') : null;
  const processed = await poll(registry, path, (v) => v.status !== 'pending');
  const t3 = performance.now();
  const steps = processed.pipeline ?? [];
  const analysisStep = steps.find((s) => s.step === 'analysis');
  return {
    t0,
    t1,
    t2,
    t3,
    version,
    size: body.reduce((sum, c) => sum + c.length, 0),
    uploadMs: t1 - t0,
    analysisMs: t2 - t1,
    restMs: t3 - t2,
    serverAnalysisMs: analysisStep
      ? stepMs(analysisStep)
      : processed.analysis
        ? Date.parse(processed.analysis.analyzedAt) - Date.parse(processed.createdAt)
        : NaN,
    queueMs: analysisStep?.startedAt ? Date.parse(analysisStep.startedAt) - Date.parse(processed.createdAt) : NaN,
    otherStepsMs: Object.fromEntries(steps.filter((s) => s.step !== 'analysis').map((s) => [s.step, stepMs(s)])),
    status: processed.status,
    statusReason: processed.statusReason,
    rssBeforeUploadMiB: toMiB(rssBeforeUpload),
    uploadPeakMiB: uploadPeak === null ? null : toMiB(uploadPeak),
    rssAtAcceptMiB: toMiB(rssAtAccept),
    analysisPeakMiB: analysisPeak === null ? null : toMiB(analysisPeak),
    cpuCores: (cpu2 - cpu1) / ((t2 - t1) / 1000),
  };
}

async function measureApi(dir: string, warmupModule: Uint8Array): Promise<ApiResult> {
  const dataDir = join(dir, 'api-data');
  log('api: starting the embedded API');
  const registry = await startRegistry({}, { dataDir });
  teardown.children.add(registry);
  teardown.push({
    name: 'registry',
    run: async () => {
      await registry.stop();
      teardown.children.delete(registry);
    },
  });
  const pid = registry.process.pid!;
  const rssReadyMiB = toMiB(procStatusBytes(pid, 'VmRSS'));
  const versionPath = (name: string, version: string): string => `/api/v1/plugins/bench/${name}/versions/${version}`;
  const healthUrl = `${registry.url}/health/live`;

  // Three distinct 30 MiB modules, generated before any load: generating one blocks this process (and so the
  // load generator) for about a second. Each publish sends one of them with its own tag: a new digest.
  log(`api: generating 3 code-heavy modules of ${API_MODULE_SIZE / MiB} MiB`);
  const bases = [0, 1, 2].map((i) => codeHeavyModule(API_MODULE_SIZE, `api-${i}`));
  let published = 0;
  const nextModule = (): Buffer[] => [bases[published % bases.length]!.bytes, tagSection(`publish-${published++}`)];

  // Warm-up: the publish path, the pipeline and its worker script, and the health route.
  for (const [i, body] of [Buffer.from(warmupModule), codeHeavyModule(3 * MiB, 'api-warm-up').bytes].entries()) {
    await publishAndWait(registry, versionPath('warm-up', `0.0.${i}`), `0.0.${i}`, [body]);
  }

  log('api: 3 publishes with no load');
  const unloaded: ApiModule[] = [];
  for (let i = 0; i < 3; i++) {
    const body = nextModule();
    await sleep(300);
    unloaded.push(await publishAndWait(registry, versionPath('large-code', `0.1.${i}`), `0.1.${i}`, body));
  }

  await autocannon({ url: healthUrl, connections: CONNECTIONS, duration: 2 });
  log(`api: baseline, GET /health/live, ${CONNECTIONS} connections, ${BASELINE_S} s`);
  const baselineLoad = startLoad(healthUrl, BASELINE_S);
  const baselineStart = performance.now();
  const baselineResult = await new Promise<Result>((resolve) => {
    // Ends by itself after BASELINE_S; stop() then only collects the result.
    setTimeout(() => resolve(baselineLoad.stop()), BASELINE_S * 1000 + 500);
  });
  const baselineSamples = baselineLoad.samples;
  const baselineEnd = baselineSamples.length > 0 ? baselineSamples.at[baselineSamples.length - 1]! : performance.now();
  const baseline = statsIn(baselineSamples, [{ start: baselineStart, end: baselineEnd }]);

  log(`api: the same load while ${API_MODULE_SIZE / MiB} MiB code-heavy modules are published and analysed`);
  const loaded = startLoad(healthUrl, 600);
  const idleWindows: Window[] = [];
  const uploadWindows: Window[] = [];
  const analysisWindows: Window[] = [];
  const otherStepWindows: Window[] = [];
  const modules: ApiModule[] = [];
  let idleStart = performance.now();
  let analysisTotal = 0;
  try {
    for (let i = 0; i < MAX_MODULES && (i < MIN_MODULES || analysisTotal < ANALYSIS_S * 1000); i++) {
      const body = nextModule();
      await sleep(300);
      const version = `1.0.${i}`;
      const result = await publishAndWait(registry, versionPath('large-code', version), version, body);
      idleWindows.push({ start: idleStart, end: result.t0 });
      uploadWindows.push({ start: result.t0, end: result.t1 });
      analysisWindows.push({ start: result.t1, end: result.t2 });
      if (result.t3 > result.t2) otherStepWindows.push({ start: result.t2, end: result.t3 });
      idleStart = result.t3;
      analysisTotal += result.analysisMs;
      modules.push(result);
      log(
        `api: ${version} ${result.status}: upload ${result.uploadMs.toFixed(0)} ms, analysis ${result.analysisMs.toFixed(0)} ms, ` +
          `later steps ${result.restMs.toFixed(0)} ms`,
      );
    }
    await sleep(500);
    idleWindows.push({ start: idleStart, end: performance.now() });
  } finally {
    await loaded.stop();
  }
  const errorLines = registry.output().split('\n').filter((line) => /\b(ERROR|error|Error|WARN)\b/.test(line));
  return {
    rssReadyMiB,
    unloaded,
    baseline,
    baselineAutocannon: {
      p50: baselineResult.latency.p50,
      p99: baselineResult.latency.p99,
      max: baselineResult.latency.max,
      perSecond: baselineResult.requests.average,
    },
    idle: statsIn(loaded.samples, idleWindows),
    uploads: statsIn(loaded.samples, uploadWindows),
    analysis: statsIn(loaded.samples, analysisWindows),
    otherSteps: statsIn(loaded.samples, otherStepWindows),
    modules,
    analysisCpuCores: modules.reduce((sum, m) => sum + (m.cpuCores * m.analysisMs) / 1000, 0) / (analysisTotal / 1000),
    functions: bases[0]!.functions,
    errorLines,
  };
}

// ---------------------------------------------------------------- report

const f = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const range = (values: readonly number[], digits = 0): string =>
  `${f(median(values), digits)} (${f(Math.min(...values), digits)}-${f(Math.max(...values), digits)})`;
const sizeLabel = (bytes: number): string =>
  bytes >= MiB ? `${f(bytes / MiB, 1)} MiB` : bytes >= KiB ? `${f(bytes / KiB, 1)} KiB` : `${bytes} B`;

function outcome(results: readonly ChildResult[]): string {
  const outcomes = new Set(
    results.map((r) => {
      const findings = r.report.findings.filter((code) => !code.startsWith('info:'));
      const info = r.report.findings.includes('info:not_a_proxy_wasm_plugin') ? 'not a plugin' : `ABI ${r.report.abiVersion ?? '–'}`;
      return `${r.report.valid ? 'valid' : 'INVALID'}, ${info}${findings.length > 0 ? `, ${findings.join(' ')}` : ''}`;
    }),
  );
  return [...outcomes].join(' / ');
}

function localReport(results: readonly LocalResult[]): string[] {
  const riseMiB = (r: ChildResult): number => (r.peak === null ? NaN : toMiB(r.peak - r.rssBefore));
  const lines = [
    `Time in ms: median of ${RUNS} fresh processes (min-max). "V8 validate" and "parse" are the two parts of the`,
    'in-thread analysis, timed separately afterwards in the same process; CPU is the process\'s user + system time',
    'during the analysis (all threads). "Main-thread max stall": the longest gap between 1 ms timer ticks on the',
    'thread that called analyzeInWorker, i.e. how long its event loop could not run.',
    '',
    '| Module | Size | Functions | In-thread ms | of which V8 validate / parse | CPU ms | Worker ms | Main-thread max stall, worker ms | Report |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...results.map(({ module, inline, worker }) => {
      const functions = inline[0]!.report.functionCount;
      return `| ${module.label} | ${sizeLabel(module.size)} | ${functions.toLocaleString('en-US').replace(/,/g, ' ')} | ${range(
        inline.map((r) => r.ms),
        1,
      )} | ${f(median(inline.map((r) => r.validateMs!)), 1)} / ${f(median(inline.map((r) => r.parseMs!)), 1)} | ${f(
        median(inline.map((r) => r.cpuMs)),
      )} | ${range(
        worker.map((r) => r.ms),
        1,
      )} | ${f(
        median(worker.map((r) => r.maxGapMs)),
        1,
      )} (max ${f(Math.max(...worker.map((r) => r.maxGapMs)), 1)}) | ${outcome([...inline, ...worker])} |`;
    }),
    '',
    `Memory in MiB: RSS just before the analysis → peak during it (VmHWM after \`echo 5 > /proc/self/clear_refs\`),`,
    'medians; rise = peak − before, median (max). The module\'s own buffer is already in "before".',
    '',
    '| Module | Size | In-thread: before → peak | rise | Worker: before → peak | rise | Worker rise ÷ size |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...results.map(({ module, inline, worker }) => {
      const cell = (runs: readonly ChildResult[]): string =>
        `${f(toMiB(median(runs.map((r) => r.rssBefore))), 1)} → ${f(toMiB(median(runs.map((r) => r.peak ?? NaN))), 1)}`;
      const rise = (runs: readonly ChildResult[]): string =>
        `${f(median(runs.map(riseMiB)), 1)} (${f(Math.max(...runs.map(riseMiB)), 1)})`;
      const ratio = module.size >= MiB ? f((median(worker.map(riseMiB)) * MiB) / module.size, 2) : '–';
      return `| ${module.label} | ${sizeLabel(module.size)} | ${cell(inline)} | ${rise(inline)} | ${cell(worker)} | ${rise(worker)} | ${ratio} |`;
    }),
  ];
  if (results.some(({ inline }) => inline.some((r) => r.peak === null))) lines.push('', 'clear_refs was refused: peaks are since process start.');
  return lines;
}

function apiReport(api: ApiResult): string[] {
  const row = (label: string, s: LatencyStats): string =>
    `| ${label} | ${f(s.seconds, 1)} | ${s.responses} | ${f(s.perSecond)} | ${f(s.p50, 2)} | ${f(s.p99, 2)} | ${f(s.max, 1)} | ${f(s.longestGap, 1)} | ${f(s.clientStall, 1)} | ${s.failures} |`;
  const m = api.modules;
  const all = [...api.unloaded, ...m];
  const peakRise = (list: readonly ApiModule[], peak: (x: ApiModule) => number | null, before: (x: ApiModule) => number): string =>
    range(list.map((x) => (peak(x) ?? NaN) - before(x)), 1);
  const pipeline = all.some((x) => Number.isFinite(x.queueMs));
  const otherSteps = [...new Set(all.flatMap((x) => Object.keys(x.otherStepsMs)))];
  const lines = [
    `\`GET /health/live\`, ${CONNECTIONS} connections (autocannon in the bench process). Latencies from every response, split by`,
    'when it completed. "Longest gap": the longest time in which no response completed at all; "bench stall": the',
    'longest stall of the bench process\'s own event loop (which runs autocannon) in those windows, so a gap or a',
    'maximum no larger than it may be the load generator\'s, not the API\'s.',
    '',
    '| Window | s | Responses | req/s | p50 ms | p99 ms | max ms | Longest gap ms | Bench stall ms | Non-200 |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    row(`Baseline (${BASELINE_S} s alone)`, api.baseline),
    row(`During analysis (${m.length} × ${API_MODULE_SIZE / MiB} MiB, windows added up)`, api.analysis),
    ...(api.otherSteps.seconds > 0 ? [row(`During the later pipeline steps (${otherSteps.join(', ')})`, api.otherSteps)] : []),
    row('During the uploads of those modules', api.uploads),
    row('Between them (API idle)', api.idle),
    '',
    `- Baseline as autocannon reports it: ${f(api.baselineAutocannon.perSecond)} req/s, p50 ${api.baselineAutocannon.p50} ms, p99 ${api.baselineAutocannon.p99} ms, max ${api.baselineAutocannon.max} ms.`,
    `- Modules: ${f(m[0]!.size / MiB, 2)} MiB, ${api.functions.toLocaleString('en-US').replace(/,/g, ' ')} functions (3 generated modules, each publish with its own tag section).`,
    `- Analysis, publish answered → analysis seen finished by a 20 ms poll, median (min-max): **${range(api.unloaded.map((x) => x.analysisMs))} ms with no load** (3 publishes), ` +
      `**${range(m.map((x) => x.analysisMs))} ms under load** (${m.length}). As the API timed it (${pipeline ? 'pipeline step finishedAt − startedAt' : 'analyzedAt − createdAt'}): ` +
      `${range(api.unloaded.map((x) => x.serverAnalysisMs))} / ${range(m.map((x) => x.serverAnalysisMs))} ms.`,
  ];
  if (pipeline) {
    lines.push(
      `- Pipeline: version created → analysis step started ${range(api.unloaded.map((x) => x.queueMs))} / ${range(m.map((x) => x.queueMs))} ms; ` +
        otherSteps.map((step) => `${step} step ${range(api.unloaded.map((x) => x.otherStepsMs[step] ?? NaN))} / ${range(m.map((x) => x.otherStepsMs[step] ?? NaN))} ms`).join('; ') +
        `; analysis seen finished → version seen leaving pending ${range(api.unloaded.map((x) => x.restMs))} / ${range(m.map((x) => x.restMs))} ms (no load / under load).`,
    );
  }
  lines.push(
    `- Uploads: ${range(api.unloaded.map((x) => x.uploadMs))} ms with no load, ${range(m.map((x) => x.uploadMs))} ms under load.`,
    `- Statuses: ${[...new Set(all.map((x) => `${x.status}${x.statusReason ? ` (${x.statusReason})` : ''}`))].join(', ')}.`,
    `- API CPU during the analysis windows: ${f(median(api.unloaded.map((x) => x.cpuCores)), 2)} cores with no load, ${f(api.analysisCpuCores, 2)} under load (all its threads; the machine has 2).`,
    `- API RSS: ${f(api.rssReadyMiB, 1)} MiB when ready, ${f(all.at(-1)!.rssAtAcceptMiB, 1)} MiB at the end. Peak rise (VmHWM reset at the step's start) ` +
      `during an upload: ${peakRise(all, (x) => x.uploadPeakMiB, (x) => x.rssBeforeUploadMiB)} MiB; during an analysis: ${peakRise(all, (x) => x.analysisPeakMiB, (x) => x.rssAtAcceptMiB)} MiB.`,
    `- API log lines with error/warn: ${api.errorLines.length}${api.errorLines.length ? ` (first: \`${api.errorLines[0]!.slice(0, 200)}\`)` : ''}.`,
  );
  return lines;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const header = machineDescription('npm run bench:analysis');
  if (args.only && args.only !== 'local' && args.only !== 'api') throw new Error('--only must be local or api');
  const dir = mkdtempSync(join(tmpdir(), 'wasm-registry-bench-analysis-'));
  teardown.push({ name: 'temp dir', run: () => rmSync(dir, { recursive: true, force: true }) });

  const lines = [...header, ''];
  const { modules, warmup, assemblyScript } = await prepareModules(dir);
  for (const m of modules) if (m.functions !== null) log(`${m.label}: ${m.size} bytes, ${m.functions} functions`);

  if (args.only !== 'api') {
    const local = await measureLocal([...modules, ...referenceModules()], warmup);
    lines.push('### Analysis alone', '', ...localReport(local), '');
  }
  if (args.only !== 'local') {
    const api = await measureApi(dir, assemblyScript);
    lines.push('### API latency while analysing', '', ...apiReport(api), '');
  }
  const text = lines.join('\n');
  process.stdout.write(text);
  if (args.out) writeFileSync(args.out, text);
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => teardown.unwind());
