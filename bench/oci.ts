/**
 * OCI pulls: how fast the registry serves a 200 KiB module over the OCI
 * distribution API (/v2/<ns>/<name>/blobs/<digest>) and over its own download
 * route (/api/v1/blobs/<digest>), side by side with Docker Distribution
 * (Debian's docker-registry 2.8, filesystem storage) serving the same blob,
 * on the same machine and in the same run.
 *
 *   npm run bench:oci                                   # report on stdout
 *   npm run bench:oci -- --duration 5 --out /tmp/oci.md
 *
 * The API is the built dist/ in its embedded configuration (PGlite +
 * filesystem), started by testing/ startRegistry. The module is published
 * through the API, then copied into docker-registry with `skopeo copy`, so
 * both registries serve the very same bytes under the same digest. Every
 * target is checked to return the module before it is loaded.
 *
 * Each target gets autocannon (in this process) with `--connections`
 * connections for `--duration` s after a 2 s warm-up, as bench/run.ts does;
 * the server's CPU is read from /proc/<pid>/stat meanwhile. The small manifest
 * GET (by tag) is measured on both registries too: it is the other half of a pull.
 * Progress goes to stderr, the Markdown report to stdout (and --out).
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { startDockerRegistry } from '../testing/docker-registry.js';
import { startRegistry } from '../testing/registry-process.js';
import { paddedModule } from '../testing/wasm-fixtures.js';
import autocannon from 'autocannon';
import { KiB, MiB, cpuSeconds, machineDescription, type LoadRun } from './measure.js';
import { Teardown } from './teardown.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    out: { type: 'string' },
  },
});
const DURATION_S = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const MODULE_SIZE = 200 * KiB;
const REPOSITORY = 'bench/oci-pull';
const VERSION = '1.0.0';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

const log = (message: string): void => void process.stderr.write(`[bench:oci] ${message}\n`);
const run = promisify(execFile);
const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

const teardown = new Teardown(log);

interface Target {
  label: string;
  server: 'registry' | 'docker-registry';
  url: string;
  /** Sent with every request (manifests need an Accept naming the OCI type on Distribution). */
  headers?: Record<string, string>;
  /** What the response body must be. */
  expected: Buffer;
}

interface Measured {
  target: Target;
  run: LoadRun;
}

async function check(target: Target): Promise<void> {
  const response = await fetch(target.url, { headers: target.headers });
  const body = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200 || !body.equals(target.expected)) {
    throw new Error(`${target.url} answered ${response.status} with ${body.length} bytes, not the expected ${target.expected.length}`);
  }
}

async function main(): Promise<void> {
  const header = machineDescription('npm run bench:oci');
  const facts = {
    nproc: execFileSync('nproc', { encoding: 'utf8' }).trim(),
    free: execFileSync('free', ['-g'], { encoding: 'utf8' }).trimEnd(),
    distribution: execFileSync('docker-registry', ['--version'], { encoding: 'utf8' }).trim(),
    skopeo: execFileSync('skopeo', ['--version'], { encoding: 'utf8' }).trim(),
  };

  const dataDir = await mkdtemp(join(tmpdir(), 'wasm-registry-bench-oci-'));
  teardown.push({ name: 'data dir', run: async () => rmSync(dataDir, { recursive: true, force: true }) });
  log('starting the API (embedded: PGlite + filesystem) and docker-registry (filesystem)');
  const [registry, docker] = await Promise.all([startRegistry({}, { dataDir }), startDockerRegistry()]);
  teardown.children.add(registry);
  teardown.children.add(docker);
  teardown.push(
    {
      name: 'registry',
      run: async () => {
        const code = await registry.stop();
        teardown.children.delete(registry);
        if (code !== 0 && !teardown.interrupted) log(`the API exited with ${code} on SIGTERM`);
      },
    },
    {
      name: 'docker-registry',
      run: async () => {
        await docker.stop();
        teardown.children.delete(docker);
      },
    },
  );

  const module = await paddedModule(MODULE_SIZE, 'bench-oci');
  const digest = sha256(module);
  log(`publishing a ${MODULE_SIZE / KiB} KiB module as ${REPOSITORY}@${VERSION}`);
  const published = await fetch(`${registry.url}/api/v1/plugins/${REPOSITORY}/versions/${VERSION}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/wasm', authorization: `Bearer ${registry.adminToken}` },
    body: module,
  });
  if (published.status !== 202) throw new Error(`publish answered ${published.status}: ${await published.text()}`);
  const ready = (await (await fetch(`${registry.url}/api/v1/plugins/${REPOSITORY}/versions/${VERSION}?wait=60`)).json()) as { status: string };
  if (ready.status !== 'ready') throw new Error(`the version is ${ready.status}, not ready`);

  log('skopeo copy from the registry into docker-registry');
  await run('skopeo', [
    '--insecure-policy',
    'copy',
    '--src-tls-verify=false',
    '--dest-tls-verify=false',
    `docker://127.0.0.1:${registry.port}/${REPOSITORY}:${VERSION}`,
    `docker://${docker.host}/${REPOSITORY}:${VERSION}`,
  ]);
  const manifest = Buffer.from(await (await fetch(`${registry.url}/v2/${REPOSITORY}/manifests/${VERSION}`)).arrayBuffer());

  const targets: Target[] = [
    { label: 'docker-registry `GET /v2/…/blobs/<digest>`', server: 'docker-registry', url: `${docker.url}/v2/${REPOSITORY}/blobs/${digest}`, expected: module },
    { label: 'registry `GET /v2/…/blobs/<digest>`', server: 'registry', url: `${registry.url}/v2/${REPOSITORY}/blobs/${digest}`, expected: module },
    { label: 'registry `GET /api/v1/blobs/<digest>`', server: 'registry', url: `${registry.url}/api/v1/blobs/${digest}`, expected: module },
    {
      label: 'docker-registry `GET /v2/…/manifests/<tag>`',
      server: 'docker-registry',
      url: `${docker.url}/v2/${REPOSITORY}/manifests/${VERSION}`,
      headers: { accept: OCI_MANIFEST },
      expected: manifest,
    },
    {
      label: 'registry `GET /v2/…/manifests/<tag>`',
      server: 'registry',
      url: `${registry.url}/v2/${REPOSITORY}/manifests/${VERSION}`,
      headers: { accept: OCI_MANIFEST },
      expected: manifest,
    },
  ];
  for (const target of targets) await check(target);
  // skopeo's existence checks before its push leave "blob unknown" lines; only the load's lines count.
  const dockerLogFrom = docker.output().length;

  const measured: Measured[] = [];
  for (const target of targets) {
    log(`${target.label}: ${CONNECTIONS} connections, ${DURATION_S} s`);
    const pid = target.server === 'registry' ? registry.process.pid! : docker.process.pid!;
    measured.push({ target, run: await load(target, pid) });
  }
  const errorLines = registry.output().split('\n').filter((line) => /\b(ERROR|error|Error|WARN)\b/.test(line));
  const dockerErrors = docker.output().slice(dockerLogFrom).split('\n').filter((line) => /level=(error|fatal|panic)/.test(line));

  const text = report(measured, [...header, `- Module: ${MODULE_SIZE / KiB} KiB (\`paddedModule\`), ${digest}`], facts, errorLines, dockerErrors);
  process.stdout.write(text);
  if (args.out) writeFileSync(args.out, text);
}

/**
 * bench/measure.ts load() with request headers: Distribution answers an OCI
 * manifest only to an Accept that names its type. A 2 s untimed run first.
 */
async function load(target: Target, serverPid: number): Promise<LoadRun> {
  const options = { url: target.url, connections: CONNECTIONS, headers: target.headers ?? {} };
  await autocannon({ ...options, duration: 2 });
  const cpuBefore = cpuSeconds(serverPid);
  const started = performance.now();
  const result = await autocannon({ ...options, duration: DURATION_S });
  const serverCpu = (cpuSeconds(serverPid) - cpuBefore) / ((performance.now() - started) / 1000);
  return {
    requestsPerSecond: result.requests.average,
    apiCpu: serverCpu,
    mibPerSecond: result.throughput.average / MiB,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

function report(measured: Measured[], header: string[], facts: Record<string, string>, errorLines: string[], dockerErrors: string[]): string {
  const f = (n: number, digits = 0): string => n.toFixed(digits);
  const baseline = (m: Measured): Measured => {
    const kind = m.target.url.includes('/manifests/') ? '/manifests/' : '/blobs/';
    return measured.find((b) => b.target.server === 'docker-registry' && b.target.url.includes(kind))!;
  };
  const errors = (r: LoadRun): string => (r.non2xx + r.errors + r.timeouts === 0 ? 'none' : `${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
  const lines = [
    ...header,
    `- \`nproc\`: ${facts.nproc}; ${facts.distribution}; ${facts.skopeo}`,
    '',
    '```',
    '$ free -g',
    facts.free,
    '```',
    '',
    `| ${CONNECTIONS} connections, ${DURATION_S} s each | req/s | MiB/s (headers included) | latency p50 / p99 ms | server CPU, cores | req/s per server core | req/s ÷ docker-registry | errors |`,
    '|---|---:|---:|---:|---:|---:|---:|---|',
    ...measured.map((m) => {
      const r = m.run;
      const perCore = r.apiCpu > 0 ? r.requestsPerSecond / r.apiCpu : 0;
      const ratio = r.requestsPerSecond / baseline(m).run.requestsPerSecond;
      return `| ${m.target.label} | ${f(r.requestsPerSecond)} | ${f(r.mibPerSecond, 1)} | ${r.p50Ms} / ${r.p99Ms} | ${f(r.apiCpu, 2)} | ${f(perCore)} | ${f(ratio, 2)} | ${errors(r)} |`;
    }),
    '',
    `- API log lines with error/warn: ${errorLines.length}; docker-registry error lines: ${dockerErrors.length}`,
  ];
  for (const line of [...errorLines, ...dockerErrors].slice(0, 10)) lines.push(`  - \`${line.slice(0, 200)}\``);
  return lines.join('\n') + '\n';
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => teardown.unwind());
