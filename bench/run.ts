/**
 * Throughput and memory of the built API (dist/) in its two configurations:
 * embedded (PGlite + filesystem) and production-like (PostgreSQL + s3rver).
 *
 *   npm run bench                      # both configurations, report on stdout
 *   npm run bench -- --only embedded --duration 5 --out /tmp/run.md
 *
 * Progress goes to stderr, the Markdown report to stdout (and --out). The API
 * runs as a child process, so its RSS is its own; the databases, s3rver and
 * this load generator are separate processes sharing the same cores.
 */
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startPostgres } from '../testing/postgres-server.js';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { startTestS3Server } from '../testing/s3-server.js';
import { paddedModule } from '../testing/wasm-fixtures.js';
import {
  KiB,
  MiB,
  load,
  machineDescription,
  paddedModuleChunks,
  procStatusBytes,
  publishAll,
  putStream,
  resetPeakRss,
  sampleRss,
  type LoadRun,
  type PublishRun,
} from './measure.js';
import { Teardown } from './teardown.js';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    duration: { type: 'string', default: '10' },
    publishes: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '8' },
    connections: { type: 'string', default: '32' },
    out: { type: 'string' },
  },
});
const DURATION_S = Number(args.duration);
const PUBLISHES = Number(args.publishes);
const PUBLISH_CONCURRENCY = Number(args.concurrency);
const CONNECTIONS = Number(args.connections);
const MODULE_SIZE = 200 * KiB;
const LARGE_SIZE = 50 * MiB; // the default MAX_MODULE_SIZE: the largest accepted upload
const WARMUP_PUBLISHES = 8;

const log = (message: string): void => void process.stderr.write(`[bench] ${message}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

// ---------------------------------------------------------------- cleanup

const teardown = new Teardown(log);

// ---------------------------------------------------------------- configurations

interface Setup {
  name: string;
  description: string;
  /** Starts the backing services; returns the API's environment. */
  start(): Promise<Record<string, string>>;
}

const SETUPS: Setup[] = [
  {
    name: 'embedded',
    description: 'PGlite (in the API process) + filesystem storage',
    start: async () => ({}),
  },
  {
    name: 'postgres-s3',
    description: 'PostgreSQL (separate cluster) + S3 API of s3rver (child process)',
    start: async () => {
      // keepPrefixes: s3rver crashes when a delete empties a directory that a concurrent put is writing into.
      const [postgres, s3] = await Promise.all([
        startPostgres(),
        startTestS3Server({ bucket: 'bench-modules', childProcess: true, keepPrefixes: ['uploads/', 'blobs/sha256/'] }),
      ]);
      teardown.push({ name: 'postgres', run: () => postgres.stop() }, { name: 's3rver', run: () => s3.stop() });
      return {
        DATABASE_URL: postgres.url,
        STORAGE_DRIVER: 's3',
        S3_ENDPOINT: s3.endpoint,
        S3_BUCKET: s3.bucket,
        S3_REGION: s3.region,
        S3_ACCESS_KEY_ID: s3.accessKeyId,
        S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      };
    },
  },
];

// ---------------------------------------------------------------- measurements

interface UploadMemory {
  beforeMiB: number;
  peakMiB: number;
  riseMiB: number;
  /** RSS a second after the upload answered. */
  afterMiB: number;
  seconds: number;
  peakFrom: string;
}

interface SetupResult {
  setup: Setup;
  rssAtReadyMiB: number;
  uploads: UploadMemory[];
  publish: PublishRun;
  health: LoadRun;
  download: LoadRun;
  rssAfterLoadMiB: number;
  errorLines: string[];
}

const toMiB = (bytes: number): number => bytes / MiB;

/** One streamed 50 MiB publish, with the API's RSS sampled around it. */
async function measureLargeUpload(registry: RunningRegistry, version: string): Promise<UploadMemory> {
  const pid = registry.process.pid!;
  await sleep(1000); // let the previous request's garbage settle
  const before = procStatusBytes(pid, 'VmRSS');
  const hwmReset = resetPeakRss(pid);
  const sampler = sampleRss(pid, 20);
  const result = await putStream(
    `${registry.url}/api/v1/plugins/bench/large/versions/${version}`,
    registry.adminToken,
    paddedModuleChunks(LARGE_SIZE, `large-${version}`),
    LARGE_SIZE,
  );
  const sampled = sampler.stop();
  const hwm = hwmReset ? procStatusBytes(pid, 'VmHWM') : 0;
  // 202 since the processing pipeline (accepted, pending), 201 before it.
  if (result.status !== 202 && result.status !== 201) throw new Error(`50 MiB publish answered ${result.status}: ${result.body}`);
  await sleep(1000);
  const peak = Math.max(sampled.peak, hwm);
  return {
    beforeMiB: toMiB(before),
    peakMiB: toMiB(peak),
    riseMiB: toMiB(peak - before),
    afterMiB: toMiB(procStatusBytes(pid, 'VmRSS')),
    seconds: result.ms / 1000,
    peakFrom: hwm >= sampled.peak ? `VmHWM (reset before upload; ${sampled.samples} samples)` : `sampled VmRSS (${sampled.samples} samples)`,
  };
}

async function measure(setup: Setup, registry: RunningRegistry, modules: readonly Buffer[]): Promise<Omit<SetupResult, 'setup' | 'errorLines'>> {
  const pid = registry.process.pid!;
  const rssAtReadyMiB = toMiB(procStatusBytes(pid, 'VmRSS'));
  const path = (version: string): string => `/api/v1/plugins/bench/throughput/versions/${version}`;
  const warmup = modules.slice(0, WARMUP_PUBLISHES).map((body, i) => ({ path: path(`0.0.${i}`), body }));
  const timed = modules.slice(WARMUP_PUBLISHES).map((body, i) => ({ path: path(`1.0.${i}`), body }));

  // Small publishes first, so that the upload path's code is loaded before memory is measured.
  log(`${setup.name}: warm-up, ${WARMUP_PUBLISHES} publishes`);
  const warm = await publishAll(registry.url, registry.adminToken, warmup, 1);
  if (Object.keys(warm.failures).length > 0) throw new Error(`warm-up publishes failed: ${JSON.stringify(warm.failures)}`);

  log(`${setup.name}: 2 x ${LARGE_SIZE / MiB} MiB streamed uploads, RSS sampled every 20 ms`);
  const uploads = [await measureLargeUpload(registry, '1.0.0'), await measureLargeUpload(registry, '2.0.0')];

  log(`${setup.name}: ${timed.length} publishes of ${MODULE_SIZE / KiB} KiB at concurrency ${PUBLISH_CONCURRENCY}`);
  const publish = await publishAll(registry.url, registry.adminToken, timed, PUBLISH_CONCURRENCY);

  log(`${setup.name}: GET /health/live, ${CONNECTIONS} connections, ${DURATION_S} s`);
  const health = await load(`${registry.url}/health/live`, pid, CONNECTIONS, DURATION_S);

  const target = timed[0]!.body;
  const blobUrl = `${registry.url}/api/v1/blobs/sha256:${sha256(target)}`;
  const check = await fetch(blobUrl);
  if (check.status !== 200 || !Buffer.from(await check.arrayBuffer()).equals(target)) throw new Error(`${blobUrl} did not return the module`);
  log(`${setup.name}: GET /api/v1/blobs/sha256:…, ${CONNECTIONS} connections, ${DURATION_S} s`);
  const download = await load(blobUrl, pid, CONNECTIONS, DURATION_S);

  return { rssAtReadyMiB, uploads, publish, health, download, rssAfterLoadMiB: toMiB(procStatusBytes(pid, 'VmRSS')) };
}

async function runSetup(setup: Setup, modules: readonly Buffer[]): Promise<SetupResult> {
  const depth = teardown.depth;
  try {
    log(`${setup.name}: starting ${setup.description}`);
    const env = await setup.start();
    const dataDir = await mkdtemp(join(tmpdir(), 'wasm-registry-bench-'));
    teardown.push({ name: 'data dir', run: async () => rmSync(dataDir, { recursive: true, force: true }) });
    const registry = await startRegistry(env, { dataDir });
    teardown.children.add(registry);
    teardown.push({
      name: 'registry',
      run: async () => {
        const code = await registry.stop();
        teardown.children.delete(registry);
        if (code !== 0 && !teardown.interrupted) log(`${setup.name}: the API exited with ${code} on SIGTERM`);
      },
    });
    try {
      const result = await measure(setup, registry, modules);
      const errorLines = registry.output().split('\n').filter((line) => /\b(ERROR|error|Error|WARN)\b/.test(line));
      return { setup, ...result, errorLines };
    } catch (error) {
      log(`${setup.name}: failed; API output:\n${registry.output().slice(-4000)}`);
      throw error;
    }
  } finally {
    await teardown.unwind(depth);
  }
}

// ---------------------------------------------------------------- report

function report(results: SetupResult[], header: string[]): string {
  const f = (n: number, digits = 0): string => n.toFixed(digits);
  const failures = (run: PublishRun): string =>
    Object.keys(run.failures).length === 0 ? 'none' : Object.entries(run.failures).map(([k, v]) => `${v} × ${k}`).join(', ');
  const loadErrors = (run: LoadRun): string =>
    run.non2xx + run.errors + run.timeouts === 0 ? 'none' : `${run.non2xx} non-2xx, ${run.errors} errors, ${run.timeouts} timeouts`;
  const rows: [string, (r: SetupResult) => string][] = [
    [`GET /health/live req/s (${CONNECTIONS} conn), baseline`, (r) => f(r.health.requestsPerSecond)],
    [`Download by digest req/s (${CONNECTIONS} conn, ${MODULE_SIZE / KiB} KiB)`, (r) => f(r.download.requestsPerSecond)],
    ['Download MiB/s (headers included)', (r) => f(r.download.mibPerSecond, 1)],
    ['Download latency p50 / p99 ms', (r) => `${r.download.p50Ms} / ${r.download.p99Ms}`],
    ['API CPU during health / download (cores)', (r) => `${f(r.health.apiCpu, 2)} / ${f(r.download.apiCpu, 2)}`],
    ['Download ÷ health', (r) => f(r.download.requestsPerSecond / r.health.requestsPerSecond, 3)],
    ['Download / health errors', (r) => `${loadErrors(r.download)} / ${loadErrors(r.health)}`],
    [`Publishes/s (${PUBLISHES} × ${MODULE_SIZE / KiB} KiB, concurrency ${PUBLISH_CONCURRENCY})`, (r) => f(r.publish.perSecond, 1)],
    ['Publish latency p50 / p99 / max ms', (r) => `${f(r.publish.p50Ms)} / ${f(r.publish.p99Ms)} / ${f(r.publish.maxMs)}`],
    ['Publishes/s ÷ health req/s', (r) => f(r.publish.perSecond / r.health.requestsPerSecond, 4)],
    ['Publish failures', (r) => failures(r.publish)],
    ['API RSS when ready, MiB', (r) => f(r.rssAtReadyMiB, 1)],
    ...[0, 1].flatMap((i): [string, (r: SetupResult) => string][] => [
      [`50 MiB upload #${i + 1}: RSS before → peak MiB`, (r) => `${f(r.uploads[i]!.beforeMiB, 1)} → ${f(r.uploads[i]!.peakMiB, 1)}`],
      [`50 MiB upload #${i + 1}: RSS rise MiB (limit 30)`, (r) => `**${f(r.uploads[i]!.riseMiB, 1)}**${r.uploads[i]!.riseMiB >= 30 ? ' ✗' : ''}`],
      [`50 MiB upload #${i + 1}: s (RSS 1 s later MiB)`, (r) => `${f(r.uploads[i]!.seconds, 2)} (${f(r.uploads[i]!.afterMiB, 1)})`],
    ]),
    ['API RSS after all load, MiB', (r) => f(r.rssAfterLoadMiB, 1)],
    ['API log lines with error/warn', (r) => String(r.errorLines.length)],
  ];
  const lines = [
    ...header,
    '',
    `| | ${results.map((r) => r.setup.name).join(' | ')} |`,
    `|---|${results.map(() => '---:').join('|')}|`,
    ...rows.map(([label, cell]) => `| ${label} | ${results.map(cell).join(' | ')} |`),
    '',
    ...results.map((r) => `- ${r.setup.name}: ${r.setup.description}. Peak RSS from ${r.uploads[0]!.peakFrom}.`),
  ];
  for (const r of results.filter((r) => r.errorLines.length > 0)) {
    lines.push('', `${r.setup.name} API log (error/warn lines, first 10):`, '', '```', ...r.errorLines.slice(0, 10), '```');
  }
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const header = machineDescription('npm run bench');
  const setups = args.only ? SETUPS.filter((s) => s.name === args.only) : SETUPS;
  if (setups.length === 0) throw new Error(`--only must be one of: ${SETUPS.map((s) => s.name).join(', ')}`);

  // The streamed 50 MiB body must be exactly what the tested fixture would build.
  const sample: Buffer[] = [];
  for await (const chunk of paddedModuleChunks(3 * MiB + 17, 'check')) sample.push(Buffer.from(chunk));
  if (!Buffer.concat(sample).equals(await paddedModule(3 * MiB + 17, 'check'))) throw new Error('paddedModuleChunks differs from paddedModule');

  log(`building ${WARMUP_PUBLISHES + PUBLISHES} distinct ${MODULE_SIZE / KiB} KiB modules`);
  const modules: Buffer[] = [];
  for (let i = 0; i < WARMUP_PUBLISHES + PUBLISHES; i++) modules.push(await paddedModule(MODULE_SIZE, `bench-${i}`));

  const results: SetupResult[] = [];
  for (const setup of setups) results.push(await runSetup(setup, modules));
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
