/**
 * The processing pipeline: how long a publish takes to become `ready`, and how
 * many versions per second the pipeline gets through, embedded (jobs in the API
 * process) and in the production configuration (PostgreSQL + Redis + s3rver,
 * the API dispatching, jobs in worker processes).
 *
 *   npm run bench:pipeline                                  # report on stdout
 *   npm run bench:pipeline -- --only redis-2 --burst 50 --out /tmp/pipeline.md
 *
 * Every configuration gets new backing services and new processes (the built
 * dist/, started by testing/ startRegistry / startWorker), with the
 * default PIPELINE_CONCURRENCY (2 jobs at once per process):
 *
 *   embedded  PGlite + filesystem; jobs run in the API process
 *   redis-1   PostgreSQL + Redis + s3rver; the API only dispatches; one worker
 *   redis-2   the same with two worker processes sharing one signing key
 *
 * For each, in this order:
 *
 * 1. Warm-up: 2 publishes of each size, each waited for.
 * 2. Latency (embedded and redis-1): `--latency` publishes of each size, the
 *    two sizes alternating, one at a time: the PUT, then `GET …?wait=60` until
 *    the version has left pending, then the next. Modules are code-heavy
 *    (bench/code-module.ts, 200 KiB and 3 MiB), each with its own tag section,
 *    so the analysis validates real code and every digest is new. Latency is
 *    the version's `readyAt` minus the moment the PUT was sent (the API runs on
 *    the same clock), and as the client saw it (the ?wait answer).
 * 3. Throughput: a burst of `--burst` distinct 200 KiB versions, published by
 *    `--concurrency` parallel PUTs, then each waited for with ?wait. Versions
 *    per second from the first PUT to the last `readyAt`; the CPU the API, the
 *    workers, this process and the whole machine used meanwhile.
 *
 * Step times come from the version's `pipeline` (startedAt / finishedAt).
 * Progress goes to stderr, the Markdown report to stdout (and --out).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startPostgres } from '../testing/postgres-server.js';
import { startRedis } from '../testing/redis-server.js';
import { startRegistry, startWorker, type RunningRegistry, type RunningWorker } from '../testing/registry-process.js';
import { startTestS3Server } from '../testing/s3-server.js';
import { codeHeavyModule, tagSection } from './code-module.js';
import { KiB, MiB, cpuSeconds, machineDescription, percentile } from './measure.js';
import { Teardown } from './teardown.js';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    /** Sequential publishes of each size, for latency. */
    latency: { type: 'string', default: '30' },
    /** Versions in the throughput burst. */
    burst: { type: 'string', default: '100' },
    /** Parallel PUTs while publishing the burst. */
    concurrency: { type: 'string', default: '8' },
    out: { type: 'string' },
  },
});
const LATENCY_PUBLISHES = Number(args.latency);
const BURST = Number(args.burst);
const BURST_CONCURRENCY = Number(args.concurrency);
const SMALL = 200 * KiB;
const LARGE = 3 * MiB;
const SIZES = [SMALL, LARGE] as const;
const WARMUP_PER_SIZE = 2;
const WAIT_SECONDS = 60;

const log = (message: string): void => void process.stderr.write(`[bench:pipeline] ${message}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: readonly number[]): number => percentile(values, 50);
const sizeLabel = (bytes: number): string => (bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / KiB} KiB`);

// ---------------------------------------------------------------- cleanup

const teardown = new Teardown(log);

// ---------------------------------------------------------------- configurations

interface Setup {
  name: string;
  description: string;
  /** Worker processes; 0: jobs run in the API. */
  workers: number;
  /** Whether the sequential latency publishes run in this configuration. */
  latency: boolean;
}

const SETUPS: Setup[] = [
  { name: 'embedded', description: 'PGlite + filesystem; jobs run in the API process', workers: 0, latency: true },
  { name: 'redis-1', description: 'PostgreSQL + Redis + s3rver (child process); the API dispatches, 1 worker process', workers: 1, latency: true },
  { name: 'redis-2', description: 'the same with 2 worker processes (one shared signing key)', workers: 2, latency: false },
];

interface Running {
  registry: RunningRegistry;
  workers: RunningWorker[];
}

/** Starts the backing services, the API and the workers of `setup`; pushes their cleanups. */
async function start(setup: Setup): Promise<Running> {
  const dir = await mkdtemp(join(tmpdir(), 'wasm-registry-bench-pipeline-'));
  teardown.push({ name: 'temp dir', run: async () => rmSync(dir, { recursive: true, force: true }) });
  let env: Record<string, string> = {};
  if (setup.workers > 0) {
    // keepPrefixes: s3rver crashes when a delete empties a directory that a concurrent put is writing into.
    const [postgres, redis, s3] = await Promise.all([
      startPostgres(),
      startRedis(),
      startTestS3Server({ bucket: 'bench-modules', childProcess: true, keepPrefixes: ['uploads/', 'blobs/sha256/'] }),
    ]);
    teardown.push(
      { name: 'postgres', run: () => postgres.stop() },
      { name: 'redis', run: () => redis.stop() },
      { name: 's3rver', run: () => s3.stop() },
    );
    // Workers must share one key, or each would generate its own in its DATA_DIR.
    const keyPath = join(dir, 'signing-key.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyPath], { stdio: 'ignore' });
    env = {
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      STORAGE_DRIVER: 's3',
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: s3.bucket,
      S3_REGION: s3.region,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      SIGNING_KEY_PATH: keyPath,
    };
  }
  const registry = await startRegistry(env, { dataDir: join(dir, 'api') });
  teardown.children.add(registry);
  teardown.push({
    name: 'registry',
    run: async () => {
      const code = await registry.stop();
      teardown.children.delete(registry);
      if (code !== 0 && !teardown.interrupted) log(`${setup.name}: the API exited with ${code} on SIGTERM`);
    },
  });
  const workers: RunningWorker[] = [];
  for (let i = 0; i < setup.workers; i++) {
    // DATA_DIR defaults to ./data: keep the workers out of the work tree.
    const worker = await startWorker({ ...env, DATA_DIR: join(dir, `worker-${i + 1}`) });
    teardown.children.add(worker);
    workers.push(worker);
    teardown.push({
      name: `worker ${i + 1}`,
      run: async () => {
        const code = await worker.stop();
        teardown.children.delete(worker);
        if (code !== 0 && !teardown.interrupted) log(`${setup.name}: worker ${i + 1} exited with ${code} on SIGTERM`);
      },
    });
  }
  return { registry, workers };
}

// ---------------------------------------------------------------- publishing

interface StepView {
  step: string;
  state: string;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
}

interface VersionView {
  version: string;
  status: string;
  statusReason: string | null;
  createdAt: string;
  readyAt: string | null;
  pipeline: StepView[];
}

/** One publish followed to the end of its processing. */
interface Outcome {
  size: number;
  /** Date.now() just before the PUT was sent. */
  sentAt: number;
  /** PUT sent → its answer (202). */
  acceptMs: number;
  /** PUT sent → the ?wait answer that showed the version out of pending (client-observed). */
  seenMs: number;
  view: VersionView;
}

const at = (iso: string | null | undefined): number => (iso ? Date.parse(iso) : NaN);
const step = (view: VersionView, name: string): StepView | undefined => view.pipeline.find((s) => s.step === name);
/** A step's time; 0 for one never started (a skipped trial). */
const stepMs = (view: VersionView, name: string): number => {
  const ms = at(step(view, name)?.finishedAt) - at(step(view, name)?.startedAt);
  return Number.isNaN(ms) ? 0 : ms;
};
const STEP_NAMES = ['analysis', 'trial', 'sbom', 'signature'] as const;

/** Derived times of one outcome, in ms. */
function times(o: Outcome): Record<'ready' | 'created' | 'queue' | 'busy' | 'bookkeeping' | (typeof STEP_NAMES)[number], number> {
  const { view } = o;
  const firstStart = at(step(view, 'analysis')?.startedAt);
  const readyAt = at(view.readyAt);
  const steps = Object.fromEntries(STEP_NAMES.map((name) => [name, stepMs(view, name)])) as Record<(typeof STEP_NAMES)[number], number>;
  return {
    // PUT sent → readyAt (server clock, same machine).
    ready: readyAt - o.sentAt,
    // PUT sent → version row created.
    created: at(view.createdAt) - o.sentAt,
    // version created → first step started: outbox, dispatch, queue.
    queue: firstStart - at(view.createdAt),
    // first step started → ready: the job's own time.
    busy: readyAt - firstStart,
    ...steps,
    // The job's time outside the steps: reading and writing its state between them, marking it ready.
    bookkeeping: readyAt - firstStart - steps.analysis - steps.trial - steps.sbom - steps.signature,
  };
}

class Publisher {
  private serial = 0;
  private readonly registry: RunningRegistry;
  private readonly bases: ReadonlyMap<number, Buffer>;

  constructor(registry: RunningRegistry, bases: ReadonlyMap<number, Buffer>) {
    this.registry = registry;
    this.bases = bases;
  }

  private path(plugin: string, version: string): string {
    return `/api/v1/plugins/bench/${plugin}/versions/${version}`;
  }

  /** PUTs a new module of `size` (the base module plus its own tag section); returns when answered. */
  async put(plugin: string, version: string, size: number): Promise<{ sentAt: number; started: number; acceptMs: number }> {
    const body = Buffer.concat([this.bases.get(size)!, tagSection(`${plugin}@${version}#${this.serial++}`)]);
    const sentAt = Date.now();
    const started = performance.now();
    const response = await fetch(`${this.registry.url}${this.path(plugin, version)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/wasm', authorization: `Bearer ${this.registry.adminToken}` },
      body,
    });
    const text = await response.text();
    if (response.status !== 202) throw new Error(`publish of ${plugin}@${version} answered ${response.status}: ${text}`);
    return { sentAt, started, acceptMs: performance.now() - started };
  }

  /** Long-polls the version until it has left pending. */
  async settle(plugin: string, version: string): Promise<VersionView> {
    for (let round = 0; ; round++) {
      const response = await fetch(`${this.registry.url}${this.path(plugin, version)}?wait=${WAIT_SECONDS}`);
      const view = (await response.json()) as VersionView;
      if (response.status !== 200) throw new Error(`GET ${plugin}@${version} answered ${response.status}: ${JSON.stringify(view)}`);
      if (view.status !== 'pending') return view;
      if (round >= 5) throw new Error(`${plugin}@${version} still pending after ${(round + 1) * WAIT_SECONDS} s: ${JSON.stringify(view.pipeline)}`);
    }
  }

  async publishAndSettle(plugin: string, version: string, size: number): Promise<Outcome> {
    const put = await this.put(plugin, version, size);
    const view = await this.settle(plugin, version);
    return { size, sentAt: put.sentAt, acceptMs: put.acceptMs, seenMs: performance.now() - put.started, view };
  }
}

// ---------------------------------------------------------------- CPU

/** Busy and total jiffies of the whole machine (/proc/stat), for the cores busy over an interval. */
function machineJiffies(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0); // user … steal (guest is counted in user)
  const idle = fields[3]! + fields[4]!; // idle + iowait
  return { busy: total - idle, total };
}

interface CpuUse {
  /** Cores, averaged over the interval. */
  api: number;
  workers: number;
  bench: number;
  machine: number;
}

function cpuMeter(running: Running): () => CpuUse {
  const pids = { api: running.registry.process.pid!, workers: running.workers.map((w) => w.process.pid!) };
  const sumWorkers = (): number => pids.workers.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const started = performance.now();
  const api0 = cpuSeconds(pids.api);
  const workers0 = sumWorkers();
  const bench0 = process.cpuUsage();
  const machine0 = machineJiffies();
  return () => {
    const seconds = (performance.now() - started) / 1000;
    const bench = process.cpuUsage(bench0);
    const machine = machineJiffies();
    return {
      api: (cpuSeconds(pids.api) - api0) / seconds,
      workers: (sumWorkers() - workers0) / seconds,
      bench: (bench.user + bench.system) / 1e6 / seconds,
      machine: ((machine.busy - machine0.busy) / (machine.total - machine0.total)) * cpus().length,
    };
  };
}

// ---------------------------------------------------------------- measurements

interface BurstResult {
  outcomes: Outcome[];
  /** First PUT sent → last PUT answered. */
  uploadSeconds: number;
  /** First PUT sent → last readyAt. */
  seconds: number;
  /** First readyAt → last readyAt. */
  readySpanSeconds: number;
  /** Σ (ready − first step started) ÷ (first step started → last ready): jobs running at once, on average. */
  meanJobsAtOnce: number;
  maxJobsAtOnce: number;
  cpu: CpuUse;
}

async function burst(publisher: Publisher, running: Running): Promise<BurstResult> {
  const versions = Array.from({ length: BURST }, (_, i) => `1.0.${i}`);
  const puts: { sentAt: number; started: number; acceptMs: number }[] = new Array(BURST);
  const meter = cpuMeter(running);
  const first = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: BURST_CONCURRENCY }, async () => {
      while (next < BURST) {
        const i = next++;
        puts[i] = await publisher.put('burst', versions[i]!, SMALL);
      }
    }),
  );
  const uploaded = Date.now();
  const outcomes: Outcome[] = [];
  for (const [i, version] of versions.entries()) {
    const view = await publisher.settle('burst', version);
    outcomes.push({ size: SMALL, sentAt: puts[i]!.sentAt, acceptMs: puts[i]!.acceptMs, seenMs: performance.now() - puts[i]!.started, view });
  }
  const cpu = meter();
  const readyAts = outcomes.map((o) => at(o.view.readyAt));
  const lastReady = Math.max(...readyAts);
  const intervals = outcomes.map((o) => [at(step(o.view, 'analysis')?.startedAt), at(o.view.readyAt)] as const);
  const firstStart = Math.min(...intervals.map(([s]) => s));
  const events = intervals.flatMap(([s, e]) => [[s, 1] as const, [e, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let maxJobsAtOnce = 0;
  for (const [, delta] of events) maxJobsAtOnce = Math.max(maxJobsAtOnce, (current += delta));
  return {
    outcomes,
    uploadSeconds: (uploaded - first) / 1000,
    seconds: (lastReady - first) / 1000,
    readySpanSeconds: (lastReady - Math.min(...readyAts)) / 1000,
    meanJobsAtOnce: intervals.reduce((sum, [s, e]) => sum + (e - s), 0) / (lastReady - firstStart),
    maxJobsAtOnce,
    cpu,
  };
}

interface SetupResult {
  setup: Setup;
  loadAtStart: number;
  latency: Outcome[];
  burst: BurstResult;
  errorLines: string[];
}

async function runSetup(setup: Setup, bases: ReadonlyMap<number, Buffer>): Promise<SetupResult> {
  const depth = teardown.depth;
  try {
    log(`${setup.name}: starting ${setup.description}`);
    const running = await start(setup);
    const loadAtStart = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
    const publisher = new Publisher(running.registry, bases);
    const output = (): string => [running.registry.output(), ...running.workers.map((w) => w.output())].join('\n');
    try {
      log(`${setup.name}: warm-up, ${WARMUP_PER_SIZE} publishes of each size`);
      for (let i = 0; i < WARMUP_PER_SIZE; i++) for (const size of SIZES) await publisher.publishAndSettle('warm-up', `0.${size}.${i}`, size);

      const latency: Outcome[] = [];
      if (setup.latency) {
        log(`${setup.name}: latency, ${LATENCY_PUBLISHES} sequential publishes of each size, alternating`);
        for (let i = 0; i < LATENCY_PUBLISHES; i++) {
          for (const size of SIZES) {
            await sleep(100);
            latency.push(await publisher.publishAndSettle(`latency-${size}`, `1.0.${i}`, size));
          }
        }
      }

      await sleep(1000);
      log(`${setup.name}: burst of ${BURST} × ${sizeLabel(SMALL)} versions, ${BURST_CONCURRENCY} PUTs at once`);
      const result = await burst(publisher, running);
      log(`${setup.name}: ${BURST} versions in ${result.seconds.toFixed(2)} s (${(BURST / result.seconds).toFixed(1)}/s)`);
      const errorLines = output().split('\n').filter((line) => /\b(ERROR|error|Error|WARN)\b/.test(line));
      return { setup, loadAtStart, latency, burst: result, errorLines };
    } catch (error) {
      log(`${setup.name}: failed; output:\n${output().slice(-4000)}`);
      throw error;
    }
  } finally {
    await teardown.unwind(depth);
  }
}

// ---------------------------------------------------------------- report

const f = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : '–');

function statuses(outcomes: readonly Outcome[]): string {
  const counts = new Map<string, number>();
  for (const o of outcomes) {
    const attempts = Math.max(...o.view.pipeline.map((s) => s.attempts));
    const key = `${o.view.status}${o.view.statusReason ? ` (${o.view.statusReason})` : ''}${attempts > 1 ? `, ${attempts} attempts` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, n]) => `${n} ${key}`).join(', ');
}

function report(results: SetupResult[], header: string[]): string {
  const withLatency = results.filter((r) => r.setup.latency);
  const lines = [...header, ''];
  if (withLatency.length > 0) {
    const col = (r: SetupResult, size: number): Outcome[] => r.latency.filter((o) => o.size === size);
    const columns = withLatency.flatMap((r) => SIZES.map((size) => ({ r, size, outcomes: col(r, size) })));
    const row = (label: string, cell: (outcomes: Outcome[]) => string): string => `| ${label} | ${columns.map((c) => cell(c.outcomes)).join(' | ')} |`;
    const t = (outcomes: Outcome[], key: keyof ReturnType<typeof times>): number[] => outcomes.map((o) => times(o)[key]);
    const p = (values: number[]): string => `${f(percentile(values, 50))} / ${f(percentile(values, 95))}`;
    lines.push(
      '### Publish → ready, one publish at a time',
      '',
      `${LATENCY_PUBLISHES} publishes of each size, sizes alternating; ms. p95 is nearest-rank (of ${LATENCY_PUBLISHES}: the ${LATENCY_PUBLISHES - Math.ceil(0.95 * LATENCY_PUBLISHES) + 1}${['th', 'st', 'nd', 'rd'][LATENCY_PUBLISHES - Math.ceil(0.95 * LATENCY_PUBLISHES) + 1] ?? 'th'} slowest).`,
      '',
      `| | ${columns.map((c) => `${c.r.setup.name} ${sizeLabel(c.size)}`).join(' | ')} |`,
      `|---|${columns.map(() => '---:').join('|')}|`,
      row('**PUT sent → readyAt, p50 / p95**', (o) => `**${p(t(o, 'ready'))}**`),
      row('PUT sent → readyAt, min / max', (o) => `${f(Math.min(...t(o, 'ready')))} / ${f(Math.max(...t(o, 'ready')))}`),
      row('PUT sent → client sees ready (?wait answer), p50 / p95', (o) => p(o.map((x) => x.seenMs))),
      row('PUT sent → 202, p50 / p95', (o) => p(o.map((x) => x.acceptMs))),
      row('Version created → first step started (outbox, queue), p50 / max', (o) => `${f(median(t(o, 'queue')))} / ${f(Math.max(...t(o, 'queue')))}`),
      row('Analysis step, p50', (o) => f(median(t(o, 'analysis')))),
      row('Trial step (the sandbox), p50', (o) => f(median(t(o, 'trial')))),
      row('SBOM step, p50', (o) => f(median(t(o, 'sbom')))),
      row('Signature step, p50', (o) => f(median(t(o, 'signature')))),
      row('Between and after steps (state reads/writes), p50', (o) => f(median(t(o, 'bookkeeping')))),
      row('Statuses', statuses),
      '',
    );
  }
  const b = (r: SetupResult): BurstResult => r.burst;
  const bt = (r: SetupResult, key: keyof ReturnType<typeof times>): number[] => b(r).outcomes.map((o) => times(o)[key]);
  const rows: [string, (r: SetupResult) => string][] = [
    ['**Versions/s, first PUT → last ready**', (r) => `**${f(BURST / b(r).seconds, 1)}**`],
    ['First PUT → last ready, s', (r) => f(b(r).seconds, 2)],
    ['Versions/s, first ready → last ready', (r) => f((BURST - 1) / b(r).readySpanSeconds, 1)],
    ['Uploads: first PUT → last 202, s (publishes/s)', (r) => `${f(b(r).uploadSeconds, 2)} (${f(BURST / b(r).uploadSeconds, 1)})`],
    ['Jobs running at once, mean / max', (r) => `${f(b(r).meanJobsAtOnce, 2)} / ${b(r).maxJobsAtOnce}`],
    ['Per version: created → first step started, p50 / max ms', (r) => `${f(median(bt(r, 'queue')))} / ${f(Math.max(...bt(r, 'queue')))}`],
    ['Per version: first step started → ready, p50 ms', (r) => f(median(bt(r, 'busy')))],
    ['— analysis step, p50 ms', (r) => f(median(bt(r, 'analysis')))],
    ['— trial step, p50 ms', (r) => f(median(bt(r, 'trial')))],
    ['— SBOM step, p50 ms', (r) => f(median(bt(r, 'sbom')))],
    ['— signature step, p50 ms', (r) => f(median(bt(r, 'signature')))],
    ['— between and after steps, p50 ms', (r) => f(median(bt(r, 'bookkeeping')))],
    ['CPU, cores: API / workers / bench / whole machine', (r) => `${f(b(r).cpu.api, 2)} / ${r.setup.workers ? f(b(r).cpu.workers, 2) : '–'} / ${f(b(r).cpu.bench, 2)} / ${f(b(r).cpu.machine, 2)}`],
    ['Statuses', (r) => statuses(b(r).outcomes)],
    ['Load average (1 min) at the configuration\'s start', (r) => f(r.loadAtStart, 2)],
    ['API and worker log lines with error/warn', (r) => String(r.errorLines.length)],
  ];
  lines.push(
    '### Throughput: a burst',
    '',
    `${BURST} distinct ${sizeLabel(SMALL)} versions, ${BURST_CONCURRENCY} PUTs at once; every process runs the default PIPELINE_CONCURRENCY (2).`,
    '',
    `| | ${results.map((r) => r.setup.name).join(' | ')} |`,
    `|---|${results.map(() => '---:').join('|')}|`,
    ...rows.map(([label, cell]) => `| ${label} | ${results.map(cell).join(' | ')} |`),
    '',
    ...results.map((r) => `- ${r.setup.name}: ${r.setup.description}.`),
  );
  for (const r of results.filter((r) => r.errorLines.length > 0)) {
    lines.push('', `${r.setup.name} log (error/warn lines, first 10):`, '', '```', ...r.errorLines.slice(0, 10), '```');
  }
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const header = machineDescription('npm run bench:pipeline');
  const setups = args.only ? SETUPS.filter((s) => args.only!.split(',').includes(s.name)) : SETUPS;
  if (setups.length === 0) throw new Error(`--only must be one or more of: ${SETUPS.map((s) => s.name).join(', ')}`);

  log(`generating code-heavy modules of ${SIZES.map(sizeLabel).join(' and ')}`);
  const bases = new Map<number, Buffer>();
  for (const size of SIZES) {
    const module = codeHeavyModule(size, `pipeline-${size}`);
    bases.set(size, module.bytes);
    header.push(`- Module ${sizeLabel(size)}: ${module.bytes.length} bytes, ${module.functions} functions (bench/code-module.ts), plus a tag section per publish`);
  }

  const results: SetupResult[] = [];
  for (const setup of setups) results.push(await runSetup(setup, bases));
  const text = report(results, header);
  process.stdout.write(text);
  if (args.out) writeFileSync(args.out, text);
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => teardown.unwind());
