/**
 * Issue 11: how the embedded registry (PGlite, jobs in the API process, as
 * `npm start` runs it) holds while hostile modules are processed and viewed.
 *
 *   npm run bench:hostile                       # report on stdout
 *   npm run bench:hostile -- --views 5 --out /tmp/hostile.md
 *
 * The modules (testing/hostile-modules.ts), each published alone and
 * then all three at once:
 *
 *   producers  20 MiB module whose producers section names a 20 MiB language
 *   sections   1,000,000 empty custom sections (4 MB)
 *   imports    100,000 imports no host provides (2 MB)
 *
 * and, for the SBOM, a small filter published with a purls list declaring
 * 20,000 packages (the lockfile parsers' limit).
 *
 * The registry runs with ANALYSIS_POLICY=excessive_metadata=warn,unknown_host_import=warn,
 * so that every module becomes ready and reaches everything that reads it:
 * the catalog, search, the SBOM, the signature, the plugin page (the default
 * policy rejects all three, which is less work). A probe asks /health/live
 * every 50 ms from its own thread (testing/liveness-probe.ts) from the
 * publish until the views are done; each view is then timed `--views` times.
 * The table gives the slowest probe while processing and while viewing, and
 * the median and slowest answer of each view with its size.
 *
 * Probe latency depends on what else the machine runs; the CPU the API's
 * event-loop thread used does not, much: the bench samples it every 20 ms
 * (/proc/<pid>/task/<pid>/stat, 10 ms ticks) and reports the busiest second,
 * an upper bound of how long the thread could have been held at once on an
 * idle machine (it also counts the probes' own small requests).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { customSectionFloodModule, manyImportsModule, producersBombModule } from '../testing/hostile-modules.js';
import { startLivenessProbe, type ProbeResult } from '../testing/liveness-probe.js';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { DEFAULT_DEPENDENCY_LIMITS } from '../libs/sbom/index.js';
import { MiB, machineDescription, percentile } from './measure.js';
import { Teardown } from './teardown.js';

const { values: args } = parseArgs({
  options: {
    views: { type: 'string', default: '5' },
    packages: { type: 'string', default: String(DEFAULT_DEPENDENCY_LIMITS.maxComponents) },
    only: { type: 'string' },
    out: { type: 'string' },
  },
});
const VIEWS = Number(args.views);
/** Packages the `packages` case declares (the lockfile parsers' limit by default). */
const PACKAGES = Number(args.packages);
const POLICY = 'excessive_metadata=warn,unknown_host_import=warn';

const log = (message: string): void => void process.stderr.write(`[bench:hostile] ${message}\n`);
const teardown = new Teardown(log);

interface Case {
  name: string;
  what: string;
  body: () => Promise<{ bytes: Buffer; purls?: string }>;
}

const CASES: Case[] = [
  { name: 'producers', what: '20 MiB producers string', body: async () => ({ bytes: producersBombModule(20 * MiB) }) },
  { name: 'sections', what: '1,000,000 custom sections', body: async () => ({ bytes: customSectionFloodModule(1_000_000) }) },
  { name: 'imports', what: '100,000 imports', body: async () => ({ bytes: manyImportsModule(100_000) }) },
  {
    name: 'packages',
    what: `filter + ${PACKAGES.toLocaleString('en-US')} declared packages`,
    body: async () => ({
      bytes: await proxyWasmFilter(`bench-packages-${PACKAGES}`),
      purls: Array.from({ length: PACKAGES }, (_, i) => `pkg:cargo/crate-${i}@1.0.${i}`).join('\n'),
    }),
  },
];

/** CPU time (user + system) of one thread, in ms; Linux ticks are 10 ms. */
function threadCpuMs(pid: number, tid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Samples the event-loop thread's CPU time (the main thread's id is the pid) every 20 ms. */
function sampleLoopCpu(pid: number): { stop(): { at: number; cpu: number }[] } {
  const samples: { at: number; cpu: number }[] = [];
  const take = () => samples.push({ at: performance.now(), cpu: threadCpuMs(pid, pid) });
  take();
  const timer = setInterval(take, 20);
  return {
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

/** The most CPU the thread used within any 1 s of wall time between `from` and `to` (performance.now() ms). */
function busiestSecond(samples: { at: number; cpu: number }[], from: number, to: number): number {
  const inside = samples.filter((s) => s.at >= from && s.at <= to);
  let best = 0;
  let j = 0;
  for (let i = 0; i < inside.length; i++) {
    while (j + 1 < inside.length && inside[j + 1]!.at - inside[i]!.at <= 1_000) j++;
    best = Math.max(best, inside[j]!.cpu - inside[i]!.cpu);
  }
  return best;
}

interface Row {
  name: string;
  what: string;
  size: number;
  status: string;
  processSeconds: number;
  processWorstMs: number;
  viewWorstMs: number;
  /** Event-loop thread CPU: total while processing, and its busiest second while processing and while viewing. */
  processCpuMs: number;
  processBusiestMs: number;
  viewBusiestMs: number;
  views: { path: string; bytes: number; medianMs: number; maxMs: number }[];
}

async function publish(registry: RunningRegistry, name: string, bytes: Buffer, purls?: string): Promise<number> {
  const url = `${registry.url}/api/v1/plugins/hostile/${name}/versions/1.0.0`;
  const headers = { authorization: `Bearer ${registry.adminToken}` };
  let response: Response;
  if (purls === undefined) {
    response = await fetch(url, { method: 'PUT', headers: { ...headers, 'content-type': 'application/wasm' }, body: bytes });
  } else {
    const form = new FormData();
    form.append('module', new Blob([bytes], { type: 'application/wasm' }), 'module.wasm');
    form.append('purls', purls);
    response = await fetch(url, { method: 'PUT', headers, body: form });
  }
  const text = await response.text();
  if (response.status !== 202) throw new Error(`publishing ${name}: HTTP ${response.status} ${text}`);
  return performance.now();
}

async function settled(registry: RunningRegistry, name: string): Promise<string> {
  const response = await fetch(`${registry.url}/api/v1/plugins/hostile/${name}/versions/1.0.0?wait=60`);
  const version = (await response.json()) as { status: string };
  return version.status;
}

async function time(url: string): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  const response = await fetch(url);
  const body = await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}`);
  return { ms: performance.now() - started, bytes: body.byteLength };
}

function viewPaths(name: string): string[] {
  const version = `/api/v1/plugins/hostile/${name}/versions/1.0.0`;
  return ['/', `/search?q=${name}`, '/api/v1/plugins', `/plugins/hostile/${name}`, `/api/v1/plugins/hostile/${name}`, version, `${version}/analysis`, `${version}/sbom`];
}

async function views(registry: RunningRegistry, names: string[]): Promise<Row['views']> {
  const out: Row['views'] = [];
  const paths = [...new Set(names.flatMap(viewPaths))];
  for (const path of paths) {
    const samples: number[] = [];
    let bytes = 0;
    for (let i = 0; i < VIEWS; i++) {
      const { ms, bytes: size } = await time(`${registry.url}${path}`);
      samples.push(ms);
      bytes = size;
    }
    out.push({ path, bytes, medianMs: percentile(samples, 50), maxMs: Math.max(...samples) });
  }
  return out;
}

/** Publishes the cases at once, waits for each, then times the views; a probe runs throughout. */
async function run(registry: RunningRegistry, cases: Case[], label: string): Promise<Row> {
  const bodies = await Promise.all(cases.map((c) => c.body()));
  const names = cases.map((c) => (cases.length === 1 ? c.name : `${c.name}-together`));
  const probe = await startLivenessProbe(`${registry.url}/health/live`, { intervalMs: 50, deadlineMs: 10_000 });
  const cpu = sampleLoopCpu(registry.process.pid!);
  const started = performance.now();
  await Promise.all(cases.map((_, i) => publish(registry, names[i]!, bodies[i]!.bytes, bodies[i]!.purls)));
  const statuses = await Promise.all(names.map((n) => settled(registry, n)));
  const processed = performance.now();
  const viewed = await views(registry, names);
  const cpuSamples = cpu.stop();
  const ended = performance.now();
  const result: ProbeResult = await probe.stop();
  const cpuAt = (t: number): number => cpuSamples.reduce((last, s) => (s.at <= t ? s.cpu : last), cpuSamples[0]!.cpu);
  const splitAt = processed - started;
  const during = (from: number, to: number) =>
    Math.max(0, ...result.samples.filter((_, i) => result.sentAt[i]! + result.samples[i]! >= from && result.sentAt[i]! <= to));
  // The probe started just before the first publish: its clock and `started` differ by microseconds.
  return {
    name: label,
    what: cases.map((c) => c.what).join(' + '),
    size: bodies.reduce((sum, b) => sum + b.bytes.length, 0),
    status: [...new Set(statuses)].join(', '),
    processSeconds: splitAt / 1000,
    processWorstMs: during(0, splitAt),
    viewWorstMs: during(splitAt, Number.POSITIVE_INFINITY),
    processCpuMs: cpuAt(processed) - cpuAt(started),
    processBusiestMs: busiestSecond(cpuSamples, started, processed),
    viewBusiestMs: busiestSecond(cpuSamples, processed, ended),
    views: viewed,
  };
}

async function main(): Promise<void> {
  const machine = machineDescription('npm run bench:hostile');
  const registry = await startRegistry({ ANALYSIS_POLICY: POLICY });
  teardown.children.add(registry);
  teardown.push({ name: 'registry', run: () => registry.stop() });
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  const rows: Row[] = [];
  const only = args.only?.split(',') ?? null;
  for (const c of CASES.filter((c) => only === null || only.includes(c.name))) {
    log(`${c.name}: ${c.what}`);
    rows.push(await run(registry, [c], c.name));
  }
  if (only === null || only.includes('together')) {
    log('the three modules at once');
    rows.push(await run(registry, CASES.slice(0, 3), 'all three at once'));
  }
  await teardown.unwind();

  const ms = (n: number): string => `${Math.round(n)}`;
  const kib = (n: number): string => (n >= MiB ? `${(n / MiB).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);
  const lines = [
    '## Hostile modules (issue 11)',
    '',
    ...machine,
    `- Load average when the registry was up: ${load}; at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    `- Embedded registry (PGlite, jobs in the API process), ANALYSIS_POLICY=${POLICY}; views timed ${VIEWS} times each`,
    '',
    '| case | module | status | processing | worst /health/live while processing | while viewing | event-loop CPU while processing | its busiest second, processing | its busiest second, viewing |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name}: ${r.what} | ${kib(r.size)} | ${r.status} | ${r.processSeconds.toFixed(1)} s | ${ms(r.processWorstMs)} ms | ${ms(r.viewWorstMs)} ms | ${ms(r.processCpuMs)} ms | ${ms(r.processBusiestMs)} ms | ${ms(r.viewBusiestMs)} ms |`,
    ),
    '',
    '| case | view | answer | median | slowest |',
    '|---|---|---:|---:|---:|',
    ...rows.flatMap((r) => r.views.map((v) => `| ${r.name} | \`${v.path}\` | ${kib(v.bytes)} | ${ms(v.medianMs)} ms | ${ms(v.maxMs)} ms |`)),
    '',
  ];
  const report = lines.join('\n');
  process.stdout.write(`${report}\n`);
  if (args.out) writeFileSync(args.out, `${report}\n`);
}

main().catch(async (error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  await teardown.unwind();
  process.exit(1);
});
