/**
 * The API's memory while it verifies large modules: 8 concurrent anonymous
 * `POST /api/v1/verify` of a ~49 MiB module, uploaded (multipart) and by digest
 * (JSON). Issue 11 measured about 300 MB added by the uploaded form when the
 * module was buffered; this bench shows what streaming leaves.
 *
 *   npm run bench:verify                           # embedded and PostgreSQL, report on stdout
 *   npm run bench:verify -- --only embedded --concurrency 4 --out /tmp/verify.md
 *   npm run bench:verify -- --only embedded --api-env MALLOC_ARENA_MAX=1
 *
 * The module is published, analysed and signed by the registry's own pipeline,
 * then the API is restarted on the same data, so that what is measured is a
 * fresh process (after one small warm-up verification), not the pipeline's
 * leftovers. The bench streams every body from a generator and never holds one.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sendChunked, type RawResponse } from '../testing/http-client.js';
import { startPostgres } from '../testing/postgres-server.js';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { MiB, machineDescription, paddedModuleChunks, procStatusBytes, resetPeakRss, sampleRss } from './measure.js';
import { Teardown } from './teardown.js';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    concurrency: { type: 'string', default: '8' },
    size: { type: 'string', default: '49' },
    // Extra environment for the API, e.g. --api-env MALLOC_ARENA_MAX=2 (repeatable).
    'api-env': { type: 'string', multiple: true, default: [] },
    out: { type: 'string' },
  },
});
const CONCURRENCY = Number(args.concurrency);
const SIZE = Number(args.size) * MiB;
const BOUNDARY = 'bench-verify';

const log = (message: string): void => void process.stderr.write(`[bench:verify] ${message}\n`);
const teardown = new Teardown(log);

interface Json {
  [key: string]: any;
}

interface Run {
  name: string;
  /** Peak RSS (VmHWM) minus RSS just before the requests. */
  rise: number;
  before: number;
  ms: number;
  verified: number;
  statuses: string;
}

async function post(url: string, contentType: string, chunks: AsyncIterable<Buffer>): Promise<Json> {
  const response = await sendChunked(`${url}/api/v1/verify`, { method: 'POST', headers: { 'content-type': contentType }, chunks });
  if (response === 'connection-reset') return { status: 'connection-reset' };
  return { status: (response as RawResponse).status, ...JSON.parse((response as RawResponse).body.toString('utf8')) };
}

function uploadForm(bundle: Json, tag: string, size: number): AsyncIterable<Buffer> {
  return (async function* () {
    yield Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="bundle"\r\n\r\n${JSON.stringify(bundle)}\r\n`);
    yield Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="module"; filename="module.wasm"\r\nContent-Type: application/wasm\r\n\r\n`);
    yield* paddedModuleChunks(size, tag);
    yield Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
  })();
}

function byDigest(bundle: Json, digest: string): AsyncIterable<Buffer> {
  return (async function* () {
    yield Buffer.from(JSON.stringify({ bundle, digest }));
  })();
}

/** The same bundle with its top-level keys in another order: the same verification, another cache key. */
function reordered(bundle: Json, n: number): Json {
  const keys = Object.keys(bundle);
  const rotated = [...keys.slice(n % keys.length), ...keys.slice(0, n % keys.length)];
  return Object.fromEntries((n % 2 === 0 ? rotated : rotated.reverse()).map((key) => [key, bundle[key]]));
}

async function measure(registry: RunningRegistry, name: string, requests: () => Promise<Json>[]): Promise<Run> {
  const pid = registry.process.pid!;
  const before = procStatusBytes(pid, 'VmRSS');
  const exact = resetPeakRss(pid);
  const sampler = sampleRss(pid);
  const started = performance.now();
  const answers = await Promise.all(requests());
  const ms = performance.now() - started;
  const sampled = sampler.stop().peak;
  const peak = exact ? Math.max(sampled, procStatusBytes(pid, 'VmHWM')) : sampled;
  const statuses = [...new Set(answers.map((a) => String(a.status)))].join(', ');
  return { name, rise: peak - before, before, ms, verified: answers.filter((a) => a.verified === true).length, statuses };
}

async function runSetup(setup: 'embedded' | 'postgres'): Promise<Run[]> {
  const depth = teardown.depth;
  try {
    const dataDir = await mkdtemp(join(tmpdir(), `bench-verify-${setup}-`));
    teardown.push({ name: 'data dir', run: () => rmSync(dataDir, { recursive: true, force: true }) });
    const extra = (args['api-env'] as string[]).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]);
    const env: Record<string, string> = { VERIFY_RATE_LIMIT_MAX: '0', LOG_LEVEL: 'warn', ...Object.fromEntries(extra) };
    if (setup === 'postgres') {
      const postgres = await startPostgres();
      teardown.push({ name: 'postgres', run: () => postgres.stop() });
      env.DATABASE_URL = postgres.url;
    }

    log(`${setup}: publishing a ${SIZE / MiB} MiB module and a small one through the pipeline`);
    const publisher = await startRegistry(env, { dataDir });
    let big: { digest: string; bundle: Json };
    let small: { digest: string; bundle: Json; bytes: Buffer };
    try {
      const published = await sendChunked(`${publisher.url}/api/v1/plugins/bench/big/versions/1.0.0`, {
        headers: { 'content-type': 'application/wasm', 'content-length': String(SIZE), authorization: `Bearer ${publisher.adminToken}` },
        chunks: paddedModuleChunks(SIZE, 'bench-verify'),
      });
      if (published === 'connection-reset' || published.status !== 202) throw new Error(`publish failed: ${published === 'connection-reset' ? published : published.body}`);
      const bytes = await proxyWasmFilter('bench-verify-small');
      const smallPublished = await fetch(`${publisher.url}/api/v1/plugins/bench/small/versions/1.0.0`, {
        method: 'PUT',
        headers: { 'content-type': 'application/wasm', authorization: `Bearer ${publisher.adminToken}` },
        body: bytes,
      });
      const ready = async (plugin: string): Promise<Json> => {
        const version = (await (await fetch(`${publisher.url}/api/v1/plugins/bench/${plugin}/versions/1.0.0?wait=60`)).json()) as Json;
        if (version.status !== 'ready') throw new Error(`bench/${plugin} is ${version.status}`);
        const bundle = (await (await fetch(`${publisher.url}/api/v1/plugins/bench/${plugin}/versions/1.0.0/signature`)).json()) as Json;
        return { digest: version.digest, bundle };
      };
      big = (await ready('big')) as typeof big;
      small = { ...((await ready('small')) as { digest: string; bundle: Json }), bytes };
      if (smallPublished.status !== 202) throw new Error('small publish failed');
    } finally {
      await publisher.stop();
    }

    log(`${setup}: a fresh API on the same data`);
    const registry = await startRegistry(env, { dataDir });
    teardown.children.add(registry);
    teardown.push({ name: 'registry', run: async () => (teardown.children.delete(registry), registry.stop()) });
    // Warm-up: both forms once, with the small module.
    const warm = [
      await post(registry.url, 'application/json', byDigest(small.bundle, small.digest)),
      await post(registry.url, `multipart/form-data; boundary=${BOUNDARY}`, (async function* () {
        yield Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="bundle"\r\n\r\n${JSON.stringify(small.bundle)}\r\n`);
        yield Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="module"; filename="m.wasm"\r\n\r\n`);
        yield small.bytes;
        yield Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
      })()),
    ];
    if (!warm.every((w) => w.verified === true)) throw new Error(`warm-up verification failed: ${JSON.stringify(warm)}`);

    const runs: Run[] = [];
    log(`${setup}: ${CONCURRENCY} concurrent uploads of ${SIZE / MiB} MiB`);
    runs.push(
      await measure(registry, `${CONCURRENCY} × multipart upload`, () =>
        Array.from({ length: CONCURRENCY }, () => post(registry.url, `multipart/form-data; boundary=${BOUNDARY}`, uploadForm(big.bundle, 'bench-verify', SIZE))),
      ),
    );
    log(`${setup}: ${CONCURRENCY} concurrent verifications by digest, each bundle different to the cache`);
    runs.push(
      await measure(registry, `${CONCURRENCY} × by digest, distinct`, () =>
        Array.from({ length: CONCURRENCY }, (_, i) => post(registry.url, 'application/json', byDigest(reordered(big.bundle, i + 1), big.digest))),
      ),
    );
    log(`${setup}: ${CONCURRENCY} concurrent verifications by digest, the same bundle (what page views send)`);
    runs.push(
      await measure(registry, `${CONCURRENCY} × by digest, same bundle`, () =>
        Array.from({ length: CONCURRENCY }, () => post(registry.url, 'application/json', byDigest(big.bundle, big.digest))),
      ),
    );
    return runs;
  } finally {
    await teardown.unwind(depth);
  }
}

const setups = (['embedded', 'postgres'] as const).filter((s) => args.only === undefined || args.only === s);
const report: string[] = ['## Verify memory', '', ...machineDescription('npm run bench:verify'), ''];
report.push(`| configuration | requests (${SIZE / MiB} MiB module) | RSS before | peak rise | verified | statuses | wall time |`, '|---|---|---:|---:|---:|---|---:|');
for (const setup of setups) {
  for (const run of await runSetup(setup)) {
    report.push(
      `| ${setup} | ${run.name} | ${(run.before / MiB).toFixed(0)} MiB | ${(run.rise / MiB).toFixed(1)} MiB | ${run.verified}/${CONCURRENCY} | ${run.statuses} | ${(run.ms / 1000).toFixed(1)} s |`,
    );
  }
}
const text = `${report.join('\n')}\n`;
process.stdout.write(text);
if (args.out) writeFileSync(args.out, text);
