/**
 * Downloads against file servers: how many 167 KiB module downloads per second
 * the registry serves by digest, by version (module.wasm) and as an OCI blob
 * pull, side by side, in one run, with
 *   - a bare Node server (`http.createServer` piping `fs.createReadStream` of
 *     the same file), started with the same Node as the registry;
 *   - nginx (Debian's nginx-light, sendfile on, one worker process).
 *
 *   npm run bench:downloads                                  # both configurations
 *   npm run bench:downloads -- --only postgres --duration 5
 *   npm run bench:downloads -- --only postgres --processes 1,2,4   # scaling
 *
 * Configurations (`--only`): embedded (PGlite, filesystem storage), postgres
 * (PostgreSQL, filesystem storage) and postgres-s3-presigned (PostgreSQL, s3rver,
 * S3_PRESIGNED_DOWNLOAD_TTL=300: the API answers 307 and sends no byte).
 *
 * The load generator is Debian's wrk (one thread, `--connections`
 * connections, a 2 s warm-up before each `--duration` s run). Everything
 * shares the machine's cores, so only ratios measured in one run mean much.
 * The module is the Rust plugin of testing/sandbox-plugins (Debian's rustc)
 * with a custom section that brings it to 167 KiB, the size of a typical
 * Rust SDK filter. Every target is checked to return these exact bytes
 * first, and after the load the registry's download count is compared with
 * the number of complete responses wrk reports.
 *
 * With `--processes`, the PostgreSQL configuration is also measured with N
 * API processes on one database, each on its own port, each loaded by its own
 * wrk with connections/N connections; the figure is the sum.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { freePort } from '../testing/free-port.js';
import { startPostgres } from '../testing/postgres-server.js';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { registryS3Env, startTestS3Server } from '../testing/s3-server.js';
import { rustBodyMaskPlugin } from '../testing/sandbox-plugins.js';
import { KiB, cpuSeconds, machineDescription } from './measure.js';
import { Teardown } from './teardown.js';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    processes: { type: 'string' },
    out: { type: 'string' },
  },
});
const DURATION_S = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const PROCESS_COUNTS = args.processes ? args.processes.split(',').map(Number) : [];
const MODULE_SIZE = 167 * KiB;
const NAMESPACE = 'bench';
const PLUGIN = 'body-mask';
const VERSION = '1.0.0';

const log = (message: string): void => void process.stderr.write(`[bench:downloads] ${message}\n`);
const run = promisify(execFile);
const teardown = new Teardown(log);

// ---------------------------------------------------------------- the module

/** The module with a custom section appended so that it is exactly `size` bytes long. */
function padTo(module: Buffer, size: number): Buffer {
  const name = Buffer.from('bench-padding');
  const leb = (n: number): Buffer => {
    const bytes: number[] = [];
    do {
      let byte = n & 0x7f;
      n >>>= 7;
      if (n !== 0) byte |= 0x80;
      bytes.push(byte);
    } while (n !== 0);
    return Buffer.from(bytes);
  };
  // Section = id 0, its size (LEB128), the name's length and the name, then the payload.
  for (let payload = size - module.length - 2 - name.length; payload >= 0; payload--) {
    const body = Buffer.concat([leb(name.length), name, Buffer.alloc(payload, 0x2a)]);
    const section = Buffer.concat([Buffer.from([0]), leb(body.length), body]);
    if (module.length + section.length === size) return Buffer.concat([module, section]);
  }
  throw new Error(`cannot pad a ${module.length}-byte module to ${size} bytes`);
}

// ---------------------------------------------------------------- peers

async function startBareNode(file: string, size: number): Promise<{ url: string; process: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  // What a developer writes first: stream the file from disk on every request.
  const source = `
const http = require('node:http'); const fs = require('node:fs');
http.createServer((request, response) => {
  response.writeHead(200, { 'content-type': 'application/wasm', 'content-length': ${size} });
  fs.createReadStream(${JSON.stringify(file)}).pipe(response);
}).listen(${port}, '127.0.0.1', () => console.log('listening'));`;
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child.stdout!, 'data');
  return {
    url: `http://127.0.0.1:${port}/module.wasm`,
    process: child,
    stop: async () => {
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    },
  };
}

async function startNginx(root: string): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const port = await freePort();
  const prefix = join(root, 'nginx');
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types { application/wasm wasm; }
  client_body_temp_path ${prefix}/body; proxy_temp_path ${prefix}/proxy; fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi; scgi_temp_path ${prefix}/scgi;
  server { listen 127.0.0.1:${port}; root ${root}; }
}
`,
  );
  const child = spawn('nginx', ['-p', prefix, '-c', conf], { stdio: ['ignore', 'inherit', 'inherit'] });
  teardown.children.add(child);
  for (let i = 0; ; i++) {
    const status = await fetch(`http://127.0.0.1:${port}/module.wasm`, { method: 'HEAD' }).then((r) => r.status, () => 0);
    if (status === 200) break;
    if (i > 100) throw new Error(`nginx did not serve the module (last status ${status}); see ${prefix}/logs/error.log`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // The worker serves; the master only waits. Its CPU is what counts.
  const workerPid = Number(execFileSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' }).trim().split('\n')[0]);
  return {
    url: `http://127.0.0.1:${port}/module.wasm`,
    pid: workerPid,
    stop: async () => {
      child.kill('SIGQUIT');
      await once(child, 'exit');
      teardown.children.delete(child);
    },
  };
}

// ---------------------------------------------------------------- load

interface WrkRun {
  requestsPerSecond: number;
  requests: number;
  mibPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: string;
  /** Cores the server used on average during the run. */
  serverCpu: number;
  /** Complete responses during the warm-up. */
  warmUpRequests: number;
  /** Share of the whole machine's CPU in use during the run (servers, wrk and everything else). */
  machineBusy: number;
}

function milliseconds(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!match) throw new Error(`wrk latency ${text}?`);
  return Number(match[1]) * { us: 0.001, ms: 1, s: 1000, m: 60_000 }[match[2] as 'us' | 'ms' | 's' | 'm'];
}

function parseWrk(output: string): Omit<WrkRun, 'serverCpu' | 'warmUpRequests' | 'machineBusy'> {
  const number = (pattern: RegExp): string => {
    const match = pattern.exec(output);
    if (!match) throw new Error(`unexpected wrk output:\n${output}`);
    return match[1]!;
  };
  const transfer = number(/Transfer\/sec:\s+([\d.]+[KMG]?B)/);
  const unit = { B: 1 / 1024 ** 2, KB: 1 / 1024, MB: 1, GB: 1024 }[transfer.replace(/[\d.]/g, '') as 'B' | 'KB' | 'MB' | 'GB'];
  const socketErrors = /Socket errors: (.+)/.exec(output)?.[1];
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1];
  return {
    requestsPerSecond: Number(number(/Requests\/sec:\s+([\d.]+)/)),
    requests: Number(number(/(\d+) requests in/)),
    mibPerSecond: Number.parseFloat(transfer) * unit,
    p50Ms: milliseconds(number(/^\s+50%\s+(\S+)$/m)),
    p99Ms: milliseconds(number(/^\s+99%\s+(\S+)$/m)),
    errors: [socketErrors ? `socket errors: ${socketErrors}` : '', non2xx ? `${non2xx} non-2xx` : ''].filter(Boolean).join('; '),
  };
}

async function wrk(url: string, connections: number, seconds: number): Promise<Omit<WrkRun, 'serverCpu' | 'warmUpRequests' | 'machineBusy'>> {
  const { stdout } = await run('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url], { maxBuffer: 1 << 20 });
  return parseWrk(stdout);
}

/** The machine's CPU time so far, busy and in all (all cores; /proc/stat). */
function machineTime(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3]! + fields[4]!;
  const total = fields.reduce((sum, n) => sum + n, 0);
  return { busy: total - idle, total };
}

const busySince = (before: { busy: number; total: number }): number => {
  const after = machineTime();
  return (after.busy - before.busy) / Math.max(1, after.total - before.total);
};

/** Share of the machine's CPU time in use over `ms`. */
async function busyShare(ms: number): Promise<number> {
  const before = machineTime();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return busySince(before);
}

/**
 * Waits (up to 30 s) until the machine is nearly idle: a version that has just
 * become ready leaves work behind (the sandbox's spare process boots, PGlite
 * checkpoints) that would otherwise be measured as the first target's.
 */
async function quiet(): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && (await busyShare(1000)) > 0.1);
}

/** A 2 s warm-up, then the measured run; the servers' CPU is read from /proc meanwhile. */
async function load(urls: readonly string[], serverPids: readonly number[]): Promise<WrkRun> {
  const perUrl = Math.max(1, Math.floor(CONNECTIONS / urls.length));
  const warmUps = await Promise.all(urls.map((url) => wrk(url, perUrl, 2)));
  const before = serverPids.map(cpuSeconds);
  const machineBefore = machineTime();
  const started = performance.now();
  const runs = await Promise.all(urls.map((url) => wrk(url, perUrl, DURATION_S)));
  const elapsed = (performance.now() - started) / 1000;
  const serverCpu = serverPids.reduce((sum, pid, i) => sum + (cpuSeconds(pid) - before[i]!), 0) / elapsed;
  return {
    requestsPerSecond: runs.reduce((sum, r) => sum + r.requestsPerSecond, 0),
    requests: runs.reduce((sum, r) => sum + r.requests, 0),
    mibPerSecond: runs.reduce((sum, r) => sum + r.mibPerSecond, 0),
    p50Ms: Math.max(...runs.map((r) => r.p50Ms)),
    p99Ms: Math.max(...runs.map((r) => r.p99Ms)),
    errors: runs.map((r) => r.errors).filter(Boolean).join('; '),
    serverCpu,
    warmUpRequests: warmUps.reduce((sum, r) => sum + r.requests, 0),
    machineBusy: busySince(machineBefore),
  };
}

async function expectModule(url: string, module: Buffer): Promise<void> {
  const response = await fetch(url);
  const body = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200 || !body.equals(module)) throw new Error(`${url} answered ${response.status} with ${body.length} bytes, not the module`);
}

async function expectRedirect(url: string): Promise<void> {
  const response = await fetch(url, { redirect: 'manual' });
  if (response.status !== 307 || !response.headers.get('location')?.includes('X-Amz-Signature')) throw new Error(`${url} answered ${response.status}, not a presigned redirect`);
}

// ---------------------------------------------------------------- registry

interface Row {
  configuration: string;
  label: string;
  run: WrkRun;
  /** The bare Node server measured right before, and nginx right after, this row. */
  node: WrkRun;
  nginx: WrkRun;
  /** Downloads the registry counted during the row's runs, against complete responses per wrk (warm-ups included). */
  counted?: { registry: number; wrk: number };
}

async function totalDownloads(registry: RunningRegistry): Promise<number> {
  const response = await fetch(`${registry.url}/api/v1/plugins/${NAMESPACE}/${PLUGIN}`);
  const body = (await response.json()) as { downloads: number };
  return body.downloads;
}

async function publish(registry: RunningRegistry, module: Buffer): Promise<void> {
  const published = await fetch(`${registry.url}/api/v1/plugins/${NAMESPACE}/${PLUGIN}/versions/${VERSION}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/wasm', authorization: `Bearer ${registry.adminToken}` },
    body: module,
  });
  if (published.status !== 202) throw new Error(`publish answered ${published.status}: ${await published.text()}`);
  const ready = (await (await fetch(`${registry.url}/api/v1/plugins/${NAMESPACE}/${PLUGIN}/versions/${VERSION}?wait=60`)).json()) as { status: string };
  if (ready.status !== 'ready') throw new Error(`the version is ${ready.status}, not ready`);
}

type Configuration = 'embedded' | 'postgres' | 'postgres-s3-presigned';

async function startConfiguration(name: Configuration): Promise<{ env: Record<string, string>; registry: RunningRegistry; undo: number }> {
  const undo = teardown.depth;
  const env: Record<string, string> = { LOG_LEVEL: 'warn', DOWNLOAD_FLUSH_INTERVAL_MS: '200' };
  if (name !== 'embedded') {
    const postgres = await startPostgres();
    teardown.push({ name: 'postgres', run: () => postgres.stop() });
    env.DATABASE_URL = postgres.url;
  }
  if (name === 'postgres-s3-presigned') {
    const s3 = await startTestS3Server({ bucket: 'bench-downloads' });
    teardown.push({ name: 's3rver', run: () => s3.stop() });
    Object.assign(env, registryS3Env(s3), { S3_PRESIGNED_DOWNLOAD_TTL: '300' });
  }
  const registry = await startRegistry(env);
  teardown.children.add(registry);
  teardown.push({ name: `registry (${name})`, run: () => registry.stop() });
  return { env, registry, undo };
}

async function measureConfiguration(name: Configuration, module: Buffer, digest: string, peers: Peers): Promise<Row[]> {
  log(`${name}: starting the API`);
  const { registry, undo } = await startConfiguration(name);
  await publish(registry, module);
  // Presigned: the API answers 307 to the object store and sends no byte (wrk does not follow redirects).
  const presigned = name === 'postgres-s3-presigned';
  const targets = presigned ? [{ label: 'by digest: 307 to a presigned S3 URL', url: `${registry.url}/api/v1/blobs/${digest}` }] : [
    { label: 'by digest `GET /api/v1/blobs/<digest>`', url: `${registry.url}/api/v1/blobs/${digest}` },
    { label: 'by version `GET …/versions/1.0.0/module.wasm`', url: `${registry.url}/api/v1/plugins/${NAMESPACE}/${PLUGIN}/versions/${VERSION}/module.wasm` },
    { label: 'OCI blob pull `GET /v2/…/blobs/<digest>`', url: `${registry.url}/v2/${NAMESPACE}/${PLUGIN}/blobs/${digest}` },
  ];
  for (const target of targets) {
    if (presigned) await expectRedirect(target.url);
    else await expectModule(target.url, module);
  }
  // One untimed pass over every route first: the first route measured would otherwise pay for the JIT.
  for (const target of targets) await wrk(target.url, CONNECTIONS, 3);
  await quiet();
  const rows: Row[] = [];
  for (const target of targets) {
    log(`${name}: ${target.label}`);
    const node = await load([peers.node.url], [peers.node.process.pid!]);
    const countedBefore = await settledDownloads(registry);
    const measured = await load([target.url], [registry.process.pid!]);
    const countedAfter = await settledDownloads(registry);
    const nginx = await load([peers.nginx.url], [peers.nginx.pid]);
    // The warm-up's downloads are counted too. wrk drops the responses still in flight when its time is up
    // (at most one per connection), which the registry may have counted: the two may differ by that much.
    rows.push({ configuration: name, label: target.label, run: measured, node, nginx, counted: { registry: countedAfter - countedBefore, wrk: measured.warmUpRequests + measured.requests } });
  }
  const problems = registry.output().split('\n').filter((line) => /\b(ERROR|WARN)\b/.test(line));
  if (problems.length > 0) log(`${name}: the API logged:\n${problems.slice(0, 20).join('\n')}`);
  await teardown.unwind(undo);
  return rows;
}

/** The download total once the registry has written what it counted (its flush interval is 200 ms here). */
async function settledDownloads(registry: RunningRegistry): Promise<number> {
  let previous = -1;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 600));
    const total = await totalDownloads(registry);
    if (total === previous) return total;
    previous = total;
  }
}

async function measureScaling(module: Buffer, digest: string): Promise<{ processes: number; run: WrkRun }[]> {
  const results: { processes: number; run: WrkRun }[] = [];
  for (const count of PROCESS_COUNTS) {
    log(`postgres: ${count} API process(es)`);
    const first = await startConfiguration('postgres');
    await publish(first.registry, module);
    const registries = [first.registry];
    for (let i = 1; i < count; i++) {
      // One database and one storage directory (filesystem storage shared by the processes, as a volume would be).
      const other = await startRegistry(first.env, { dataDir: first.registry.dataDir });
      teardown.children.add(other);
      teardown.push({ name: 'registry', run: () => other.stop() });
      registries.push(other);
    }
    const urls = registries.map((r) => `${r.url}/api/v1/blobs/${digest}`);
    for (const url of urls) await expectModule(url, module);
    await quiet();
    results.push({ processes: count, run: await load(urls, registries.map((r) => r.process.pid!)) });
    await teardown.unwind(first.undo);
  }
  return results;
}

// ---------------------------------------------------------------- report

interface Peers {
  node: Awaited<ReturnType<typeof startBareNode>>;
  nginx: Awaited<ReturnType<typeof startNginx>>;
}

function report(header: string[], rows: Row[], scaling: { processes: number; run: WrkRun }[], facts: Record<string, string>): string {
  const f = (n: number, digits = 0): string => n.toFixed(digits);
  const lines = [
    '### Downloads against file servers',
    '',
    ...header,
    ...Object.entries(facts).map(([k, v]) => `- ${k}: ${v}`),
    `- Load: wrk, 1 thread, ${CONNECTIONS} connections, ${DURATION_S} s after a 2 s warm-up, per target`,
    '',
    '| configuration | route | req/s | MiB/s | p50 / p99 ms | server CPU | bare Node req/s | ÷ bare Node | nginx req/s | ÷ nginx | counted / complete | errors |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const row of rows) {
    const { run, node, nginx, counted } = row;
    lines.push(
      `| ${row.configuration} | ${row.label} | ${f(run.requestsPerSecond)} | ${f(run.mibPerSecond, 1)} | ${f(run.p50Ms, 1)} / ${f(run.p99Ms, 1)} | ${f(run.serverCpu, 2)} | ` +
        `${f(node.requestsPerSecond)} | **${f(run.requestsPerSecond / node.requestsPerSecond, 2)}** | ${f(nginx.requestsPerSecond)} | ${f(run.requestsPerSecond / nginx.requestsPerSecond, 2)} | ` +
        `${counted ? `${counted.registry} / ${counted.wrk}` : ''} | ${run.errors || 'none'} |`,
    );
  }
  if (scaling.length > 0) {
    lines.push('', '| API processes (PostgreSQL, by digest) | req/s | ÷ 1 process | API CPU, cores (all processes) | machine busy | p50 / p99 ms | errors |', '|---:|---:|---:|---:|---:|---:|---|');
    const one = scaling[0]!.run.requestsPerSecond;
    for (const { processes, run: r } of scaling) {
      lines.push(`| ${processes} | ${f(r.requestsPerSecond)} | ${f(r.requestsPerSecond / one, 2)} | ${f(r.serverCpu, 2)} | ${f(r.machineBusy * 100)} % | ${f(r.p50Ms, 1)} / ${f(r.p99Ms, 1)} | ${r.errors || 'none'} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  for (const tool of ['wrk', 'nginx']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      throw new Error(`${tool} is not installed: apt-get install wrk nginx-light`);
    }
  }
  const header = machineDescription('npm run bench:downloads');
  const facts = {
    nginx: execFileSync('nginx', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim() || execFileSync('sh', ['-c', 'nginx -v 2>&1'], { encoding: 'utf8' }).trim(),
    wrk: execFileSync('sh', ['-c', 'wrk -v 2>&1 | head -1'], { encoding: 'utf8' }).trim(),
  };
  const root = await mkdtemp(join(tmpdir(), 'bench-downloads-'));
  // nginx's worker runs as an unprivileged user when the bench runs as root.
  chmodSync(root, 0o755);
  teardown.push({ name: 'temp dir', run: () => rmSync(root, { recursive: true, force: true }) });

  const plugin = await rustBodyMaskPlugin();
  const module = padTo(plugin.bytes, MODULE_SIZE);
  if (!(await WebAssembly.validate(module))) throw new Error('the padded module does not validate');
  const digest = `sha256:${createHash('sha256').update(module).digest('hex')}`;
  writeFileSync(join(root, 'module.wasm'), module);
  header.push(`- Module: ${plugin.name} (${plugin.toolchain}), ${plugin.bytes.length} bytes, padded to ${module.length} bytes with a custom section; ${digest}`);

  const node = await startBareNode(join(root, 'module.wasm'), module.length);
  teardown.children.add(node.process);
  teardown.push({ name: 'bare node', run: () => node.stop() });
  const nginx = await startNginx(root);
  teardown.push({ name: 'nginx', run: () => nginx.stop() });
  await expectModule(node.url, module);
  await expectModule(nginx.url, module);
  const peers = { node, nginx };

  const rows: Row[] = [];
  const configurations = (['embedded', 'postgres', 'postgres-s3-presigned'] as const).filter((name) => args.only === undefined || args.only === name);
  for (const name of configurations) rows.push(...(await measureConfiguration(name, module, digest, peers)));
  const scaling = PROCESS_COUNTS.length > 0 ? await measureScaling(module, digest) : [];
  const text = report(header, rows, scaling, facts);
  process.stdout.write(text);
  if (args.out) writeFileSync(args.out, text);
}

main()
  .catch((error: unknown) => {
    log(`failed: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  })
  .finally(() => teardown.unwind());
