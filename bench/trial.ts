/**
 * Issue 14: how long a trial in the Proxy-Wasm sandbox takes per module size, what the runner's process
 * costs on top of the trial itself, how long hostile modules take to be stopped, and how much of this
 * process's event loop the runner uses meanwhile.
 *
 *   npm run bench:trial                               # report on stdout
 *   npm run bench:trial -- --runs 10 --out /tmp/trial.md
 *
 * Modules: a small filter (testing/wasm-fixtures.ts), the AssemblyScript SDK plugin (real, built here), code-heavy
 * filters of 3 MiB ("Go-sized") and 30 MiB (bench/code-module.ts), and the small filter padded to 3 and 30 MiB with
 * a custom section, or to 30 MiB with a data segment (which V8 copies into the linear memory at instantiation).
 *
 * For each module, `--runs` times, interleaved (run 1 of every module, then run 2 …):
 * - runTrial (what the pipeline calls) with PIPELINE_TRIAL_LIMITS, one at a time, so that each one finds the
 *   spare process the previous one started: the steady state of a worker publishing versions one after another;
 * - the same with no spare (a heap size nothing started a process for): Node's boot included;
 * - performTrial in this thread, with no process: the trial's own work.
 * Then each hostile module of testing/hostile-plugins.ts once, with PIPELINE_TRIAL_LIMITS: how long until
 * runTrial returns, and with what failure. Throughout, a 10 ms timer watches this process's event loop (the
 * runner's share: spawning, writing the module, reading frames) and keeps its worst lateness per phase.
 *
 * Progress goes to stderr, the Markdown report to stdout (and --out).
 */
import { readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeUnsignedLeb128 } from '../libs/analysis/index.js';
import {
  PIPELINE_TRIAL_LIMITS,
  performTrial,
  runTrial,
  type TrialFailure,
  type TrialRequest,
  type TrialTrace,
} from '../libs/sandbox/index.js';
import { hostilePluginWat, httpCallFlood, loopAtVmStart, memoryGrowBomb, tableGrowBomb, trapEverywhere } from '../testing/hostile-plugins.js';
import { assemblyScriptProxyWasmFilter } from '../testing/sdk-fixtures.js';
import { compileWat, paddedModule, proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { codeHeavyModule } from './code-module.js';
import { KiB, MiB, machineDescription, percentile } from './measure.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    out: { type: 'string' },
  },
});
const RUNS = Number(args.runs);

const log = (message: string): void => void process.stderr.write(`[bench:trial] ${message}\n`);
const median = (values: readonly number[]): number => percentile(values, 50);
const ms = (value: number): string => value.toFixed(0);
const size = (bytes: number): string => (bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MiB` : `${(bytes / KiB).toFixed(1)} KiB`);

// ---------------------------------------------------------------- modules

/** The small filter with no data of its own, then a data section of `dataBytes` bytes and a memory to hold them. */
async function dataSegmentModule(dataBytes: number): Promise<Buffer> {
  const pages = Math.ceil((dataBytes + 1024) / 65_536) + 1;
  const base = await compileWat(
    hostilePluginWat({ memory: `(memory (export "memory") ${pages})`, callbacks: '(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))' }),
    'data-segment.wat',
  );
  // Active segment for memory 0 at offset 1024: flags 0, (i32.const 1024) end, size, bytes. The data section (id 11)
  // follows the code section, which is the last one wabt writes here.
  const leb = (value: number): Buffer => Buffer.from(encodeUnsignedLeb128(value));
  const header = Buffer.concat([leb(1), Buffer.from([0x00, 0x41]), leb(1024), Buffer.from([0x0b]), leb(dataBytes)]);
  const payloadLength = header.length + dataBytes;
  return Buffer.concat([base, Buffer.from([11]), leb(payloadLength), header, Buffer.alloc(dataBytes, 0x5a)]);
}

interface BenchModule {
  label: string;
  bytes: Uint8Array;
  /** The root id and configuration the plugin expects (the SDK plugin registers its root context by id). */
  rootId?: string;
  configuration?: string;
}

async function prepareModules(): Promise<{ modules: BenchModule[]; cleanup: () => void }> {
  const modules: BenchModule[] = [];
  modules.push({ label: 'Small filter (WAT)', bytes: await proxyWasmFilter('bench-trial') });
  log('building the AssemblyScript plugin');
  const as = await assemblyScriptProxyWasmFilter();
  modules.push({ label: 'AssemblyScript SDK plugin (real)', bytes: as.bytes, rootId: 'registry_tag', configuration: 'blue' });
  for (const [label, bytes] of [
    ['Code, Go-sized', 3 * MiB],
    ['Code, large', 30 * MiB],
  ] as const) {
    log(`generating ${label}`);
    modules.push({ label: `${label} (${size(bytes)})`, bytes: codeHeavyModule(bytes, `trial-${bytes}`).bytes });
  }
  modules.push({ label: 'Small filter + 3 MiB custom section', bytes: await paddedModule(3 * MiB, 'trial-3m') });
  modules.push({ label: 'Small filter + 30 MiB custom section', bytes: await paddedModule(30 * MiB, 'trial-30m') });
  modules.push({ label: 'Small filter + 30 MiB data segment', bytes: await dataSegmentModule(30 * MiB) });
  return {
    modules,
    cleanup: () => {
      // sdk-fixtures caches builds in a directory of this run; nothing else uses it.
      const runDir = dirname(as.path);
      rmSync(runDir, { recursive: true, force: true });
      try {
        if (readdirSync(dirname(runDir)).length === 0) rmdirSync(dirname(runDir));
      } catch {
        // other runs' caches, or already gone
      }
    },
  };
}

const trialOf = (module: BenchModule | Uint8Array, heapMb = PIPELINE_TRIAL_LIMITS.heapMb): TrialRequest => {
  const { bytes, rootId = 'bench', configuration = '' } = module instanceof Uint8Array ? { bytes: module } : module;
  return {
    module: bytes,
    configurations: [{ name: configuration === '' ? '(empty)' : 'example', text: configuration }],
    vmConfiguration: '',
    rootId,
    limits: { ...PIPELINE_TRIAL_LIMITS, heapMb },
  };
};

function failuresOf(trace: TrialTrace): TrialFailure[] {
  return [trace.start.failure, ...trace.configurations.map((c) => c.failure), ...trace.requests.map((r) => r.failure), trace.ticks.failure].filter(
    (failure): failure is TrialFailure => failure !== null,
  );
}

// ---------------------------------------------------------------- measuring

interface Samples {
  warm: number[];
  cold: number[];
  inThread: number[];
  hostElapsed: number[];
  last: TrialTrace | null;
}

async function timed<T>(run: () => Promise<T> | T): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

/** A heap size no trial has used yet: runTrial has no spare process for it, so it boots one. */
let coldHeapMb = PIPELINE_TRIAL_LIMITS.heapMb + 100;

/** Worst lateness of a 10 ms timer on this thread, per phase of the bench. */
const TICK_MS = 10;
const worstLag = new Map<string, number>();
let phase = 'setup';
function watchEventLoop(): () => void {
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    worstLag.set(phase, Math.max(worstLag.get(phase) ?? 0, now - last - TICK_MS));
    last = now;
  }, TICK_MS);
  return () => clearInterval(ticker);
}

async function main(): Promise<void> {
  const machine = machineDescription('npm run bench:trial');
  const { modules, cleanup } = await prepareModules();
  const stopWatching = watchEventLoop();
  try {
    const samples = new Map<BenchModule, Samples>(modules.map((m) => [m, { warm: [], cold: [], inThread: [], hostElapsed: [], last: null }]));
    log('warm-up');
    await runTrial(trialOf(modules[0]!));
    await runTrial(trialOf(modules[0]!));
    for (let run = 1; run <= RUNS; run++) {
      for (const module of modules) {
        log(`run ${run}/${RUNS}: ${module.label}`);
        const s = samples.get(module)!;
        // Let the spare the previous trial started finish booting, as between two publishes.
        phase = 'idle';
        await new Promise((resolve) => setTimeout(resolve, 300));
        phase = 'runTrial, spare process ready';
        const warm = await timed(() => runTrial(trialOf(module)));
        s.warm.push(warm.ms);
        s.hostElapsed.push(warm.value.elapsedMs);
        s.last = warm.value;
        phase = 'runTrial, Node booted for it';
        const cold = await timed(() => runTrial(trialOf(module, coldHeapMb++)));
        s.cold.push(cold.ms);
        phase = 'performTrial in this thread'; // holds this thread on purpose: not reported
        const inThread = await timed(() => performTrial(trialOf(module), { enter: () => {}, leave: () => {}, checkpoint: () => {} }));
        s.inThread.push(inThread.ms);
        // Let the timer see this thread's hold while the phase still names it.
        await new Promise((resolve) => setTimeout(resolve, 2 * TICK_MS));
      }
    }
    const hostile: { label: string; ms: number; outcome: string }[] = [];
    for (const [label, build] of [
      ['Endless loop in proxy_on_vm_start', loopAtVmStart],
      ['memory.grow until it fails, then a trap', memoryGrowBomb],
      ['table.grow without end (V8 heap)', tableGrowBomb],
      ['A trap in every callback', trapEverywhere],
      ['100,000 proxy_http_call in one callback', () => httpCallFlood()],
    ] as const) {
      log(`hostile: ${label}`);
      phase = 'setup';
      const module = await build();
      await new Promise((resolve) => setTimeout(resolve, 2 * TICK_MS));
      phase = 'idle';
      await new Promise((resolve) => setTimeout(resolve, 300));
      phase = 'runTrial, hostile modules';
      const { value, ms: took } = await timed(() => runTrial(trialOf(module)));
      const failure = failuresOf(value)[0];
      hostile.push({ label, ms: took, outcome: failure ? `${failure.kind} in ${failure.callback ?? '(no callback)'}` : `no failure, ${value.hostCalls} host calls` });
    }
    report(machine, modules, samples, hostile);
  } finally {
    stopWatching();
    cleanup();
  }
}

function report(
  machine: string[],
  modules: BenchModule[],
  samples: Map<BenchModule, Samples>,
  hostile: { label: string; ms: number; outcome: string }[],
): void {
  const lines = [
    '### Machine',
    '',
    ...machine,
    '',
    '### Figures',
    '',
    `Trial time per module, PIPELINE_TRIAL_LIMITS (${PIPELINE_TRIAL_LIMITS.costSamples} cost samples), ${RUNS} runs: median (max), ms.`,
    '',
    '| module | size | runTrial, spare process ready | runTrial, Node booted for it | performTrial in this thread | host\'s own time (trace.elapsedMs) | outcome | median µs per request | memory after start |',
    '|---|---:|---:|---:|---:|---:|---|---:|---:|',
  ];
  for (const module of modules) {
    const s = samples.get(module)!;
    const trace = s.last!;
    const failure = failuresOf(trace)[0];
    const cell = (values: number[]): string => `${ms(median(values))} (${ms(Math.max(...values))})`;
    lines.push(
      `| ${module.label} | ${size(module.bytes.length)} | ${cell(s.warm)} | ${cell(s.cold)} | ${cell(s.inThread)} | ${cell(s.hostElapsed)} | ${
        failure ? `${failure.kind} in ${failure.callback}` : `started, ${trace.requests.length} requests`
      } | ${trace.cost ? trace.cost.medianMicros : '–'} | ${trace.cost ? size(trace.cost.memoryBytesAfterStart) : '–'} |`,
    );
  }
  lines.push('', 'Hostile modules (testing/hostile-plugins.ts), PIPELINE_TRIAL_LIMITS, once each:', '', '| module | runTrial returned after, ms | failure |', '|---|---:|---|');
  for (const h of hostile) lines.push(`| ${h.label} | ${ms(h.ms)} | ${h.outcome} |`);
  lines.push('', "This process's event loop: worst lateness of a 10 ms timer while the runner worked, ms.", '', '| phase | worst lateness |', '|---|---:|');
  for (const name of ['runTrial, spare process ready', 'runTrial, Node booted for it', 'runTrial, hostile modules', 'idle']) {
    lines.push(`| ${name} | ${ms(worstLag.get(name) ?? 0)} |`);
  }
  lines.push('');
  const text = lines.join('\n');
  process.stdout.write(`${text}\n`);
  if (args.out) writeFileSync(args.out, `${text}\n`);
}

await main();
