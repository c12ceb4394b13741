/**
 * The embedded API's memory (issue 18): its RSS once started on an empty
 * registry, then once started on the demo catalog of `npm run seed`, then
 * through `--minutes` of mixed traffic, to show whether it levels off.
 *
 *   npm run bench:memory                      # 10 minutes of traffic
 *   npm run bench:memory -- --minutes 2 --out /tmp/memory.md
 *   npm run bench:memory -- --starts 8        # only step 1, eight times
 *
 * Steps, on one fresh DATA_DIR:
 *   1. The built API (testing/ startRegistry, as `npm start` runs it) starts on
 *      the empty directory; VmRSS is read `--settle` s after /health/ready.
 *   2. It is stopped and `npm run seed` fills the directory (the seed boots the
 *      API in its own process and PGlite allows one opener at a time, so it
 *      cannot run beside the server).
 *   3. The API starts again on the seeded directory; VmRSS after `--settle` s.
 *   4. `--connections` clients send mixed traffic for `--minutes`: catalog
 *      searches and listings (API and web pages), plugin pages, downloads by
 *      version and by digest, OCI pulls (manifest, then the layer), and every
 *      `--publish-seconds` s a publish of a new version, which goes through the
 *      in-process pipeline (analysis, trial, SBOM, signature). VmRSS is sampled
 *      every `--interval` s.
 * It prints the curve as a Markdown table (one row per `--row-seconds`), the
 * averages of the first and the last minute, and the peak (VmHWM).
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { MiB, machineDescription, procStatusBytes } from './measure.js';
import { Teardown } from './teardown.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    interval: { type: 'string', default: '5' },
    'row-seconds': { type: 'string', default: '30' },
    settle: { type: 'string', default: '10' },
    connections: { type: 'string', default: '4' },
    'publish-seconds': { type: 'string', default: '20' },
    out: { type: 'string' },
    /** Only the start: this many starts, each on a new empty DATA_DIR, and their RSS `--settle` s after ready. */
    starts: { type: 'string' },
  },
});
const MINUTES = Number(args.minutes);
const INTERVAL_S = Number(args.interval);
const ROW_S = Number(args['row-seconds']);
const SETTLE_S = Number(args.settle);
const CONNECTIONS = Number(args.connections);
const PUBLISH_S = Number(args['publish-seconds']);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const LOAD_NAMESPACE = 'bench';
const LOAD_PLUGIN = 'memory-load';

const log = (line: string): void => void process.stderr.write(`[memory] ${line}\n`);
const teardown = new Teardown(log);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (bytes: number): string => (bytes / MiB).toFixed(0);

interface Sample {
  seconds: number;
  rss: number;
}

interface Target {
  namespace: string;
  name: string;
  version: string;
  digest: string;
}

/** Starts the API on `dataDir`, waits `--settle` s, and returns it with its RSS then. */
async function startAndSettle(dataDir: string, label: string): Promise<{ registry: RunningRegistry; rss: number; readyMs: number }> {
  const started = performance.now();
  const registry = await startRegistry({}, { dataDir });
  const readyMs = performance.now() - started;
  teardown.children.add(registry);
  await sleep(SETTLE_S * 1000);
  const rss = procStatusBytes(registry.process.pid!, 'VmRSS');
  log(`${label}: ready in ${(readyMs / 1000).toFixed(1)} s, ${mib(rss)} MiB RSS ${SETTLE_S} s later`);
  return { registry, rss, readyMs };
}

async function stop(registry: RunningRegistry): Promise<void> {
  const code = await registry.stop();
  teardown.children.delete(registry);
  if (code !== 0) throw new Error(`the API exited with ${code} on SIGTERM`);
}

/** `npm run seed` on the built code, configured by DATA_DIR alone. */
async function seed(dataDir: string): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--expose-gc', join(ROOT, 'dist/scripts/seed.js')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  teardown.children.add(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  teardown.children.delete(child);
  if (code !== 0) throw new Error(`npm run seed exited with ${code}:\n${output}`);
  return performance.now() - started;
}

async function json<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return (await response.json()) as T;
}

/** Every ready version of every listed plugin, and words to search for. */
async function discover(base: string): Promise<{ targets: Target[]; words: string[]; categories: string[] }> {
  const plugins: { namespace: string; name: string; description?: string; categories?: string[] }[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: typeof plugins; nextCursor: string | null } = await json(
      `${base}/api/v1/plugins?limit=100&sort=name${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    plugins.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  const targets: Target[] = [];
  for (const plugin of plugins) {
    const { items } = await json<{ items: { version: string; digest: string; status: string }[] }>(
      `${base}/api/v1/plugins/${plugin.namespace}/${plugin.name}/versions`,
    );
    for (const v of items) if (v.status === 'ready') targets.push({ namespace: plugin.namespace, name: plugin.name, version: v.version, digest: v.digest });
  }
  const words = [...new Set(plugins.flatMap((p) => `${p.name} ${p.description ?? ''}`.toLowerCase().split(/[^a-z]+/)).filter((w) => w.length >= 4))];
  const categories = [...new Set(plugins.flatMap((p) => p.categories ?? []))];
  return { targets, words, categories };
}

/** Reads the whole body; counts anything but 2xx/304 as an error. */
async function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  const response = await fetch(url, { headers });
  await response.arrayBuffer();
  if (!(response.ok || response.status === 304)) throw new Error(`GET ${url}: ${response.status}`);
  return response;
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

/** One request (or an OCI pull's two) chosen at random with these weights. */
function actions(base: string, targets: Target[], words: string[], categories: string[]): { weight: number; name: string; run: () => Promise<unknown> }[] {
  return [
    { weight: 3, name: 'search (API)', run: () => get(`${base}/api/v1/plugins?q=${encodeURIComponent(pick(words))}&limit=20`) },
    { weight: 1, name: 'search (web)', run: () => get(`${base}/search?q=${encodeURIComponent(pick(words))}`) },
    {
      weight: 1,
      name: 'listing',
      run: () =>
        get(`${base}/api/v1/plugins?sort=${pick(['downloads', 'recent', 'name'])}&limit=20${categories.length > 0 && Math.random() < 0.5 ? `&category=${pick(categories)}` : ''}`),
    },
    {
      weight: 2,
      name: 'plugin page',
      run: () => {
        const t = pick(targets);
        return Math.random() < 0.5 ? get(`${base}/plugins/${t.namespace}/${t.name}`) : get(`${base}/api/v1/plugins/${t.namespace}/${t.name}`);
      },
    },
    { weight: 2, name: 'download by version', run: () => { const t = pick(targets); return get(`${base}/api/v1/plugins/${t.namespace}/${t.name}/versions/${t.version}/module.wasm`); } },
    { weight: 2, name: 'download by digest', run: () => get(`${base}/api/v1/blobs/${pick(targets).digest}`) },
    {
      weight: 1,
      name: 'OCI pull',
      run: async () => {
        const t = pick(targets);
        const response = await fetch(`${base}/v2/${t.namespace}/${t.name}/manifests/${t.version}`, { headers: { accept: OCI_MANIFEST } });
        if (!response.ok) throw new Error(`OCI manifest ${t.namespace}/${t.name}:${t.version}: ${response.status}`);
        const manifest = (await response.json()) as { layers: { digest: string }[] };
        return get(`${base}/v2/${t.namespace}/${t.name}/blobs/${manifest.layers[0]!.digest}`);
      },
    },
  ];
}

/** Issue 18's figure alone, over several starts: one start says little where starts differ by tens of MiB. */
async function starts(count: number): Promise<void> {
  const header = machineDescription(`npm run bench:memory -- --starts ${count}`);
  const rows: string[] = [];
  const values: number[] = [];
  for (let i = 1; i <= count; i++) {
    const dataDir = await mkdtemp(join(tmpdir(), 'wasm-registry-memory-'));
    try {
      const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
      const started = await startAndSettle(dataDir, `start ${i}`);
      await stop(started.registry);
      values.push(started.rss);
      rows.push(`| ${i} | ${new Date().toISOString().slice(11, 19)} | ${load} | ${(started.readyMs / 1000).toFixed(1)} | **${mib(started.rss)}** |`);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(`${dataDir}.lock`, { force: true });
    }
  }
  const sorted = [...values].sort((a, b) => a - b);
  const text = [
    ...header,
    `- Each start on a new empty DATA_DIR (testing/ startRegistry, the \`npm start\` flags), VmRSS ${SETTLE_S} s after /health/ready`,
    '',
    '| start | ended (UTC) | load (1 min) at start | ready in, s | RSS, MiB |',
    '| ---: | --- | ---: | ---: | ---: |',
    ...rows,
    '',
    `Lowest ${mib(sorted[0]!)}, median ${mib(sorted[Math.floor((sorted.length - 1) / 2)]!)}, highest ${mib(sorted.at(-1)!)} MiB; ${values.filter((v) => v <= 250 * MiB).length} of ${values.length} at or under 250 MiB.`,
  ].join('\n');
  process.stdout.write(`${text}\n`);
  if (args.out) writeFileSync(args.out, `${text}\n`);
}

async function main(): Promise<void> {
  if (args.starts !== undefined) return starts(Number(args.starts));
  const header = machineDescription('npm run bench:memory');
  const dataDir = await mkdtemp(join(tmpdir(), 'wasm-registry-memory-'));
  teardown.push({ name: 'data dir', run: () => { rmSync(dataDir, { recursive: true, force: true }); rmSync(`${dataDir}.lock`, { force: true }); } });

  const empty = await startAndSettle(dataDir, 'empty registry');
  await stop(empty.registry);

  log('npm run seed');
  const seedMs = await seed(dataDir);
  log(`seeded in ${(seedMs / 1000).toFixed(0)} s`);

  const seeded = await startAndSettle(dataDir, 'seeded registry');
  const { registry } = seeded;
  teardown.push({ name: 'registry', run: () => registry.stop() });
  const base = registry.url;
  const pid = registry.process.pid!;
  const { targets, words, categories } = await discover(base);
  if (targets.length === 0) throw new Error('the seeded registry lists no ready version');
  log(`${targets.length} ready versions, ${words.length} search words; ${CONNECTIONS} clients for ${MINUTES} min`);

  const chosen = actions(base, targets, words, categories);
  const totalWeight = chosen.reduce((n, a) => n + a.weight, 0);
  const choose = () => {
    let r = Math.random() * totalWeight;
    for (const action of chosen) if ((r -= action.weight) < 0) return action;
    return chosen[chosen.length - 1]!;
  };
  const counts = new Map<string, { ok: number; errors: number }>();
  const errors: string[] = [];
  const count = (name: string, ok: boolean, error?: unknown) => {
    const c = counts.get(name) ?? { ok: 0, errors: 0 };
    if (ok) c.ok++;
    else {
      c.errors++;
      if (errors.length < 10) errors.push(`${name}: ${String(error)}`);
    }
    counts.set(name, c);
  };

  const started = performance.now();
  const deadline = started + MINUTES * 60_000;
  const samples: Sample[] = [{ seconds: 0, rss: procStatusBytes(pid, 'VmRSS') }];
  const sampler = setInterval(() => samples.push({ seconds: (performance.now() - started) / 1000, rss: procStatusBytes(pid, 'VmRSS') }), INTERVAL_S * 1000);

  const client = async () => {
    while (performance.now() < deadline) {
      const action = choose();
      try {
        await action.run();
        count(action.name, true);
      } catch (error) {
        count(action.name, false, error);
      }
    }
  };
  let published = 0;
  const publisher = async () => {
    while (performance.now() + PUBLISH_S * 1000 < deadline) {
      await sleep(PUBLISH_S * 1000);
      published++;
      const version = `1.0.${published}`;
      try {
        const module = await proxyWasmFilter(`memory-${published}-${Date.now()}`);
        const response = await fetch(`${base}/api/v1/plugins/${LOAD_NAMESPACE}/${LOAD_PLUGIN}/versions/${version}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/wasm', authorization: `Bearer ${registry.adminToken}` },
          body: module,
        });
        await response.arrayBuffer();
        if (response.status !== 202) throw new Error(`publish answered ${response.status}`);
        const ready = await json<{ status: string }>(`${base}/api/v1/plugins/${LOAD_NAMESPACE}/${LOAD_PLUGIN}/versions/${version}?wait=60`);
        if (ready.status !== 'ready') throw new Error(`version ${version} is ${ready.status}`);
        count('publish (to ready)', true);
      } catch (error) {
        count('publish (to ready)', false, error);
      }
    }
  };
  await Promise.all([...Array.from({ length: CONNECTIONS }, client), publisher()]);
  clearInterval(sampler);
  samples.push({ seconds: (performance.now() - started) / 1000, rss: procStatusBytes(pid, 'VmRSS') });
  const peak = procStatusBytes(pid, 'VmHWM');

  const text = report(header, { empty: empty.rss, seeded: seeded.rss, seedMs, emptyReadyMs: empty.readyMs, seededReadyMs: seeded.readyMs }, samples, peak, counts, errors, targets.length);
  process.stdout.write(text);
  if (args.out) writeFileSync(args.out, text);
}

function report(
  header: string[],
  start: { empty: number; seeded: number; seedMs: number; emptyReadyMs: number; seededReadyMs: number },
  samples: Sample[],
  peak: number,
  counts: Map<string, { ok: number; errors: number }>,
  errors: string[],
  versions: number,
): string {
  const average = (from: number, to: number): number => {
    const inside = samples.filter((s) => s.seconds >= from && s.seconds <= to);
    return inside.reduce((n, s) => n + s.rss, 0) / Math.max(1, inside.length);
  };
  const end = samples[samples.length - 1]!.seconds;
  const lines = [
    ...header,
    `- Settings: --minutes ${MINUTES} --interval ${INTERVAL_S} --settle ${SETTLE_S} --connections ${CONNECTIONS} --publish-seconds ${PUBLISH_S}`,
    '',
    '| API RSS (VmRSS) | MiB |',
    '| --- | ---: |',
    `| started on an empty DATA_DIR, ${SETTLE_S} s after ready (ready in ${(start.emptyReadyMs / 1000).toFixed(1)} s) | **${mib(start.empty)}** |`,
    `| started on the seeded DATA_DIR (${versions} ready versions; seed took ${(start.seedMs / 1000).toFixed(0)} s), ${SETTLE_S} s after ready | ${mib(start.seeded)} |`,
    `| traffic, first minute, average | ${mib(average(0, 60))} |`,
    `| traffic, last minute, average | ${mib(average(end - 60, end))} |`,
    `| traffic, highest sample | ${mib(Math.max(...samples.map((s) => s.rss)))} |`,
    `| peak over the seeded process's life (VmHWM, start included) | ${mib(peak)} |`,
    '',
    `| time under traffic | RSS (MiB) | lowest-highest sample in the ${ROW_S} s before |`,
    '| --- | ---: | --- |',
  ];
  for (let t = 0; t <= end + 0.001; t += ROW_S) {
    const at = samples.reduce((best, s) => (Math.abs(s.seconds - t) < Math.abs(best.seconds - t) ? s : best));
    const window = samples.filter((s) => s.seconds > t - ROW_S && s.seconds <= t + 0.5);
    const range = window.length > 0 ? `${mib(Math.min(...window.map((s) => s.rss)))}-${mib(Math.max(...window.map((s) => s.rss)))}` : '';
    lines.push(`| ${Math.floor(t / 60)}:${String(Math.round(t % 60)).padStart(2, '0')} | ${mib(at.rss)} | ${range} |`);
  }
  lines.push('', '| requests | answered | errors |', '| --- | ---: | ---: |');
  for (const [name, c] of [...counts].sort()) lines.push(`| ${name} | ${c.ok} | ${c.errors} |`);
  if (errors.length > 0) lines.push('', 'First errors:', ...errors.map((e) => `- ${e}`));
  return `${lines.join('\n')}\n`;
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => teardown.unwind());
