/**
 * How many download counts an API process loses when it is killed (SIGKILL)
 * right after serving downloads: the measurement of issue 11.
 *
 *   npm run bench:crash                                     # report on stdout
 *   npm run bench:crash -- --only embedded --trials 3 --out /tmp/crash.md
 *
 * For each configuration (embedded: PGlite + filesystem; postgres-s3:
 * PostgreSQL + s3rver) and each flush setting (the defaults, and the old
 * ones: DOWNLOAD_FLUSH_INTERVAL_MS=5000 with no batch size), `--trials` times:
 *
 * 1. start the built API (dist/, testing/ startRegistry) on a data
 *    directory (and database) that survives it; publish one small module as a
 *    new version and wait until it is ready;
 * 2. download it `--downloads` times by digest (`GET /api/v1/blobs/…`, 200s
 *    only, read to the end), `--concurrency` at a time over keep-alive
 *    connections;
 * 3. the moment the last response has been read, SIGKILL the API;
 * 4. start a new API on the same data, read the version's `downloads` (what
 *    was written to download_counts), and stop it.
 *
 * Lost = downloads − kept. Progress goes to stderr, the Markdown report to stdout (and --out).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startPostgres } from '../testing/postgres-server.js';
import { startRegistry } from '../testing/registry-process.js';
import { registryS3Env, startTestS3Server } from '../testing/s3-server.js';
import { proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { machineDescription } from './measure.js';
import { Teardown } from './teardown.js';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    trials: { type: 'string', default: '5' },
    downloads: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '32' },
    out: { type: 'string' },
  },
});
const TRIALS = Number(args.trials);
const DOWNLOADS = Number(args.downloads);
const CONCURRENCY = Number(args.concurrency);

const log = (message: string): void => void process.stderr.write(`[bench:crash] ${message}\n`);
const teardown = new Teardown(log);

interface FlushSetting {
  name: string;
  env: Record<string, string>;
}

const SETTINGS: FlushSetting[] = [
  { name: 'defaults (1 s, 100 pending)', env: {} },
  { name: 'before: 5 s, no batch size', env: { DOWNLOAD_FLUSH_INTERVAL_MS: '5000', DOWNLOAD_FLUSH_MAX_PENDING: '1000000' } },
];

/** Trials run again because an API did not start in time. */
let restarted = 0;

interface Trial {
  kept: number;
  seconds: number;
}

/** `count` GETs of `path`, `concurrency` at a time; every one must be a 200 read to its end. */
async function download(url: string, path: string, count: number, concurrency: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = request(`${url}${path}`, { agent }, (response) => {
        if (response.statusCode !== 200) reject(new Error(`GET ${path} answered ${response.statusCode}`));
        response.on('data', () => undefined).on('end', resolve).on('error', reject);
      });
      req.on('error', reject).end();
    });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next += 1;
        await one();
      }
    }),
  );
  agent.destroy();
}

async function downloadsOf(url: string, coordinates: string): Promise<number> {
  const response = await fetch(`${url}/api/v1/plugins/${coordinates}`);
  return ((await response.json()) as { downloads: number }).downloads;
}

async function trial(env: Record<string, string>, dataDir: string, tag: string): Promise<Trial> {
  const first = await startRegistry(env, { dataDir });
  teardown.children.add(first);
  let exited: Promise<unknown> | null = null;
  try {
    const module = await proxyWasmFilter(tag);
    const put = await fetch(`${first.url}/api/v1/plugins/bench/crash/versions/${tag}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${first.adminToken}`, 'content-type': 'application/wasm' },
      body: module,
    });
    if (put.status !== 202) throw new Error(`publish answered ${put.status}: ${await put.text()}`);
    const view = (await (await fetch(`${first.url}/api/v1/plugins/bench/crash/versions/${tag}?wait=60`)).json()) as { status: string; digest: string };
    if (view.status !== 'ready') throw new Error(`the version is ${view.status}`);
    const started = performance.now();
    await download(first.url, `/api/v1/blobs/${view.digest}`, DOWNLOADS, CONCURRENCY);
    const seconds = (performance.now() - started) / 1000;
    exited = new Promise((resolve) => first.process.once('exit', resolve));
    first.process.kill('SIGKILL');
    await exited;
    teardown.children.delete(first);
    const second = await startRegistry(env, { dataDir });
    try {
      return { kept: await downloadsOf(second.url, `bench/crash/versions/${tag}`), seconds };
    } finally {
      await second.stop();
    }
  } finally {
    if (exited === null) {
      first.process.kill('SIGKILL');
      teardown.children.delete(first);
    }
  }
}

async function configuration(name: string, baseEnv: Record<string, string>): Promise<string[]> {
  const rows: string[] = [];
  for (const [index, setting] of SETTINGS.entries()) {
    const trials: Trial[] = [];
    for (let i = 0; i < TRIALS; i++) {
      // On a loaded machine an API can take longer than startRegistry's 60 s to start (PGlite's
      // recovery after the kill, mostly): such a trial is run again, and the report says how often.
      for (let attempt = 1; ; attempt++) {
        const dataDir = await mkdtemp(join(tmpdir(), 'bench-crash-'));
        try {
          // A version (and module) of its own per trial, so that one database serves them all.
          const result = await trial({ ...baseEnv, ...setting.env }, dataDir, `${index + 1}.${attempt - 1}.${i}`);
          trials.push(result);
          log(`${name}, ${setting.name}, trial ${i + 1}: kept ${result.kept} of ${DOWNLOADS} (${(DOWNLOADS / result.seconds).toFixed(0)} downloads/s)`);
          break;
        } catch (error) {
          if (attempt >= 3 || !String(error).includes('not ready within')) throw error;
          restarted += 1;
          log(`${name}, ${setting.name}, trial ${i + 1}: an API did not start in time; running the trial again`);
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      }
    }
    const lost = trials.map((t) => DOWNLOADS - t.kept).sort((a, b) => a - b);
    const rates = trials.map((t) => DOWNLOADS / t.seconds);
    rows.push(
      `| ${name} | ${setting.name} | ${lost.join(', ')} | ${lost[Math.floor(lost.length / 2)]} | ${lost.at(-1)} | ` +
        `${Math.min(...rates).toFixed(0)}-${Math.max(...rates).toFixed(0)} |`,
    );
  }
  return rows;
}

async function main(): Promise<void> {
  const report = [
    '## Download counts lost to a crash',
    '',
    ...machineDescription('npm run bench:crash'),
    `- ${DOWNLOADS} downloads by digest, ${CONCURRENCY} at a time, then SIGKILL; ${TRIALS} trials per row`,
    '',
    '| configuration | flush setting | lost, each trial (sorted) | median | worst | downloads/s |',
    '|---|---|---|---:|---:|---:|',
  ];
  if (args.only === undefined || args.only === 'embedded') report.push(...(await configuration('embedded', {})));
  if (args.only === undefined || args.only === 'postgres-s3') {
    const depth = teardown.depth;
    const [postgres, s3] = await Promise.all([startPostgres(), startTestS3Server({ bucket: 'bench-crash', keepPrefixes: ['uploads/', 'blobs/sha256/'] })]);
    teardown.push({ name: 'postgres', run: () => postgres.stop() }, { name: 's3rver', run: () => s3.stop() });
    report.push(...(await configuration('postgres-s3', { DATABASE_URL: postgres.url, ...registryS3Env(s3) })));
    await teardown.unwind(depth);
  }
  report.push('', `Trials run again because an API took longer than 60 s to start: ${restarted}.`);
  const text = `${report.join('\n')}\n`;
  process.stdout.write(text);
  if (args.out !== undefined) writeFileSync(args.out, text);
}

main()
  .catch((error: unknown) => {
    log(String(error instanceof Error ? (error.stack ?? error.message) : error));
    process.exitCode = 1;
  })
  .finally(() => teardown.unwind());

