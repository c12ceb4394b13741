/**
 * Downloads by digest, A/B: two builds of the embedded API run side by side
 * and take turns under the same load, so that both see the same machine (on a
 * shared 2-core machine, two runs of bench:downloads minutes apart differed by
 * up to 40 % on the same code).
 *
 *   npm run build && node --import ./bench/ts-resolve.mjs bench/downloads-ab.ts --before /path/to/other/checkout
 *
 * `--before` is another checkout of this repository, built (`npm run build`),
 * started the way its own package.json's `start:api` script ran before issue
 * 18 (`node --expose-gc`); this checkout is started as testing/ startRegistry
 * starts it. Each gets the same 167 KiB module (a filter padded with a custom
 * section), then `--rounds` rounds of `--seconds` s of wrk (1 thread,
 * `--connections`) on `GET /api/v1/blobs/<digest>` against each, in the order
 * ABBA, BAAB, … after a warm-up of each. Beside throughput it reads each server's CPU time
 * (/proc/<pid>/stat) around every slice: CPU per request is disturbed less by other load than req/s.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { freePort } from '../testing/free-port.js';
import { PROCESS_ENV, PROCESS_FLAGS } from '../testing/registry-process.js';
import { paddedModule } from '../testing/wasm-fixtures.js';
import { KiB, machineDescription, percentile } from './measure.js';
import { Teardown } from './teardown.js';

const { values: args } = parseArgs({
  options: {
    before: { type: 'string' },
    rounds: { type: 'string', default: '6' },
    seconds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    /** The after side's Node flags and environment, space-separated; default: startRegistry's. */
    'after-flags': { type: 'string' },
    'after-env': { type: 'string' },
    /** Instead of the A/B: this checkout alone under --cpu-prof, and the share of its busy CPU spent in `--profile-files`. */
    profile: { type: 'boolean', default: false },
    'profile-files': { type: 'string', default: 'libs/telemetry/,libs/http/src/request-telemetry' },
  },
});
if (!args.before && !args.profile) throw new Error('--before <checkout> (or --profile) is required');
const ROUNDS = Number(args.rounds);
const SECONDS = Number(args.seconds);
const CONNECTIONS = Number(args.connections);
const AFTER_FLAGS = args['after-flags'] !== undefined ? args['after-flags'].split(' ').filter(Boolean) : PROCESS_FLAGS;
const AFTER_ENV: Record<string, string> =
  args['after-env'] !== undefined ? Object.fromEntries(args['after-env'].split(' ').filter(Boolean).map((kv) => kv.split('=') as [string, string])) : PROCESS_ENV;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = 'bench-admin-token-0123456789abcdef';
const log = (line: string): void => void process.stderr.write(`[downloads-ab] ${line}\n`);
const teardown = new Teardown(log);
const run = promisify(execFile);

interface Api {
  label: string;
  url: string;
  process: ChildProcess;
}

async function start(label: string, root: string, flags: string[], env: Record<string, string>): Promise<Api> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'wasm-registry-ab-'));
  teardown.push({ name: `${label} data`, run: () => rm(dataDir, { recursive: true, force: true }) });
  const child = spawn(process.execPath, [...flags, join(root, 'dist/apps/api/src/main.js')], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, REGISTRY_ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  teardown.children.add(child);
  teardown.push({ name: label, run: () => child.kill('SIGTERM') });
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 90_000; ; ) {
    if (child.exitCode !== null) throw new Error(`${label} exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${label} was not ready within 90 s`);
    if ((await fetch(`${url}/health/ready`).catch(() => null))?.status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { label, url, process: child };
}

async function publish(api: Api, module: Buffer): Promise<string> {
  const response = await fetch(`${api.url}/api/v1/plugins/bench/ab/versions/1.0.0`, {
    method: 'PUT',
    headers: { 'content-type': 'application/wasm', authorization: `Bearer ${TOKEN}` },
    body: module,
  });
  if (response.status !== 202) throw new Error(`${api.label}: publish answered ${response.status}`);
  const version = (await (await fetch(`${api.url}/api/v1/plugins/bench/ab/versions/1.0.0?wait=60`)).json()) as { status: string; digest: string };
  if (version.status !== 'ready') throw new Error(`${api.label}: the version is ${version.status}`);
  return version.digest;
}

async function wrk(url: string, seconds: number): Promise<{ rate: number; requests: number }> {
  const { stdout } = await run('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, url]);
  const match = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  const total = /(\d+) requests in/.exec(stdout);
  if (!match || !total) throw new Error(`no Requests/sec in wrk's output:\n${stdout}`);
  if (/Non-2xx/.test(stdout)) throw new Error(`non-2xx answers from ${url}:\n${stdout}`);
  return { rate: Number(match[1]), requests: Number(total[1]) };
}

/** CPU seconds the process has used, all its threads (utime + stime of /proc/<pid>/stat; 100 ticks a second on Linux). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * The A/B cannot resolve a per cent or two on a shared machine; a profile can say what a request's own code
 * costs. Self time of the functions whose script URL contains one of `--profile-files`, over the server's busy
 * time (every sample but idle, program and garbage collection counted as busy).
 */
async function profileShare(): Promise<void> {
  const header = machineDescription('node --import ./bench/ts-resolve.mjs bench/downloads-ab.ts');
  const profileDir = await mkdtemp(join(tmpdir(), 'wasm-registry-profile-'));
  teardown.push({ name: 'profiles', run: () => rm(profileDir, { recursive: true, force: true }) });
  const api = await start('after', ROOT, [...AFTER_FLAGS, '--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--cpu-prof-interval=100'], AFTER_ENV);
  const url = `${api.url}/api/v1/blobs/${await publish(api, await paddedModule(167 * KiB, 'downloads-ab'))}`;
  await wrk(url, 2);
  let requests = 0;
  for (let round = 0; round < ROUNDS; round++) requests += (await wrk(url, SECONDS)).requests;
  const exited = new Promise((resolve) => api.process.once('exit', resolve));
  api.process.kill('SIGTERM');
  await exited;
  const [file] = (await readdir(profileDir)).filter((name) => name.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error('the API wrote no CPU profile');
  const profile = JSON.parse(await readFile(join(profileDir, file), 'utf8')) as {
    nodes: { id: number; callFrame: { functionName: string; url: string } }[];
    samples: number[];
    timeDeltas: number[];
  };
  const nodes = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const patterns = args['profile-files']!.split(',').filter(Boolean);
  let busy = 0;
  const mine = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id)!;
    const delta = profile.timeDeltas[i] ?? 0;
    if (frame.functionName === '(idle)') return;
    busy += delta;
    if (patterns.some((pattern) => frame.url.includes(pattern))) {
      const key = `${frame.functionName || '(anonymous)'} ${frame.url.slice(frame.url.indexOf('/dist/') + 6)}`;
      mine.set(key, (mine.get(key) ?? 0) + delta);
    }
  });
  const total = [...mine.values()].reduce((a, b) => a + b, 0);
  const lines = [
    ...header,
    `- This checkout alone (${AFTER_FLAGS.join(' ')} --cpu-prof, sampling every 100 µs), wrk 1 thread, ${CONNECTIONS} connections, ${ROUNDS} × ${SECONDS} s, GET /api/v1/blobs/<digest> of a 167 KiB module: ${requests} requests`,
    '',
    `Busy CPU ${(busy / 1e6).toFixed(2)} s (${((busy / requests) | 0)} µs per request); self time in ${patterns.join(', ')}: ${(total / 1e3).toFixed(1)} ms, **${((total / busy) * 100).toFixed(2)} %** (${((total / requests) * 1000).toFixed(0)} ns per request)`,
    '',
    '| function | self ms | share of busy |',
    '| --- | ---: | ---: |',
    ...[...mine.entries()].sort((a, b) => b[1] - a[1]).map(([key, time]) => `| \`${key}\` | ${(time / 1e3).toFixed(1)} | ${((time / busy) * 100).toFixed(2)} % |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  if (args.profile) return profileShare();
  const header = machineDescription('node --import ./bench/ts-resolve.mjs bench/downloads-ab.ts');
  const before = await start('before', args.before!, ['--expose-gc'], {});
  const after = await start('after', ROOT, AFTER_FLAGS, AFTER_ENV);
  const module = await paddedModule(167 * KiB, 'downloads-ab');
  const targets = await Promise.all([before, after].map(async (api) => ({ api, url: `${api.url}/api/v1/blobs/${await publish(api, module)}` })));
  for (const t of targets) await wrk(t.url, 2);
  const rates = new Map<string, number[]>([['before', []], ['after', []]]);
  /** after ÷ before within each round: both saw the same minute of the machine. */
  const paired: number[] = [];
  /** The same for the server's CPU per request, before ÷ after (above 1: the after side costs less), which contention disturbs less than throughput. */
  const pairedCpu: number[] = [];
  const cpuPerRequest = new Map<string, number[]>([['before', []], ['after', []]]);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [0, 1, 1, 0] : [1, 0, 0, 1];
    const sums = { before: { rate: 0, cpu: 0, requests: 0 }, after: { rate: 0, cpu: 0, requests: 0 } };
    for (const i of order) {
      const t = targets[i]!;
      const label = t.api.label as 'before' | 'after';
      const cpuBefore = await cpuSeconds(t.api.process.pid!);
      const { rate, requests } = await wrk(t.url, SECONDS);
      const cpu = (await cpuSeconds(t.api.process.pid!)) - cpuBefore;
      rates.get(label)!.push(rate);
      cpuPerRequest.get(label)!.push((cpu / requests) * 1e6);
      sums[label].rate += rate;
      sums[label].cpu += cpu;
      sums[label].requests += requests;
      log(`round ${round + 1}: ${label} ${rate.toFixed(0)} req/s, ${((cpu / requests) * 1e6).toFixed(1)} µs CPU per request`);
    }
    paired.push(sums.after.rate / sums.before.rate);
    pairedCpu.push(sums.before.cpu / sums.before.requests / (sums.after.cpu / sums.after.requests));
  }
  const lines = [
    ...header,
    `- Before: ${args.before} (node --expose-gc); after: this checkout (${AFTER_FLAGS.join(' ')} ${Object.entries(AFTER_ENV).map(([k, v]) => `${k}=${v}`).join(' ')})`,
    `- wrk 1 thread, ${CONNECTIONS} connections, ${ROUNDS} rounds, each A and B twice for ${SECONDS} s (ABBA / BAAB), GET /api/v1/blobs/<digest> of a 167 KiB module`,
    '',
    '| build | median req/s | lowest | highest | slices | median server CPU per request, µs |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const [label, values] of rates) {
    lines.push(
      `| ${label} | ${percentile(values, 50).toFixed(0)} | ${Math.min(...values).toFixed(0)} | ${Math.max(...values).toFixed(0)} | ${values.length} | ${percentile(cpuPerRequest.get(label)!, 50).toFixed(1)} |`,
    );
  }
  const ratio = percentile(rates.get('after')!, 50) / percentile(rates.get('before')!, 50);
  const interval = pairedInterval(paired);
  const cpuInterval = pairedInterval(pairedCpu);
  lines.push(
    '',
    `after ÷ before (medians): ${ratio.toFixed(3)}`,
    `after ÷ before, paired by round: geometric mean ${interval.mean.toFixed(3)}, 95 % interval ${interval.low.toFixed(3)}-${interval.high.toFixed(3)} (${paired.length} rounds; per round ${paired.map((r) => r.toFixed(3)).join(' ')})`,
    `CPU per request, before ÷ after, paired by round: geometric mean ${cpuInterval.mean.toFixed(3)}, 95 % interval ${cpuInterval.low.toFixed(3)}-${cpuInterval.high.toFixed(3)} (per round ${pairedCpu.map((r) => r.toFixed(3)).join(' ')})`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Two-sided 97.5 % quantiles of Student's t for 1-30 degrees of freedom; 1.96 beyond. */
const T_975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** The geometric mean of per-round ratios and a t interval on their logarithms (ratios multiply, so logs average). */
function pairedInterval(ratios: number[]): { mean: number; low: number; high: number } {
  const logs = ratios.map(Math.log);
  const n = logs.length;
  const mean = logs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean: Math.exp(mean), low: NaN, high: NaN };
  const sd = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const half = (T_975[n - 2] ?? 1.96) * (sd / Math.sqrt(n));
  return { mean: Math.exp(mean), low: Math.exp(mean - half), high: Math.exp(mean + half) };
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => teardown.unwind());
