/**
 * OCI push beside HTTP publishing: the same module (3 MiB and 30 MiB) published
 * with `PUT /api/v1/plugins/…` (application/wasm, streamed) and pushed over
 * /v2 as a solo.io/Istio Wasm image, both the way skopeo does it (POST an upload,
 * one PATCH with the whole layer, PUT ?digest, then the manifest) from this
 * process and with Debian's skopeo itself. Reported: time to the answer
 * (202/201) and to `ready`, MiB/s, and the API's peak RSS above its RSS before
 * each kind (VmHWM reset, and VmRSS sampled every 20 ms).
 *
 *   npm run bench:oci-push                          # report on stdout
 *   npm run bench:oci-push -- --runs 3 --out /tmp/oci-push.md
 *
 * The API is the built dist/ in its embedded configuration (PGlite + filesystem),
 * started by testing/ startRegistry. Progress goes to stderr.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs, promisify } from 'node:util';
import { startRegistry } from '../testing/registry-process.js';
import { MiB, machineDescription, paddedModuleChunks, percentile, procStatusBytes, putStream, resetPeakRss, sampleRss } from './measure.js';
import { Teardown } from './teardown.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string' }, out: { type: 'string' } } });
const SIZES = [3 * MiB, 30 * MiB];
const RUNS = (size: number): number => (args.runs !== undefined ? Number(args.runs) : size > 10 * MiB ? 3 : 5);
const WASM_CONFIG = 'application/vnd.module.wasm.config.v1+json';
const WASM_LAYER = 'application/vnd.module.wasm.content.layer.v1+wasm';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

const log = (message: string): void => void process.stderr.write(`[bench:oci-push] ${message}\n`);
const run = promisify(execFile);
const teardown = new Teardown(log);

type Kind = 'HTTP publish (PUT application/wasm)' | 'OCI push, as skopeo sends it (from the bench)' | 'OCI push with skopeo copy';
const KINDS: Kind[] = ['HTTP publish (PUT application/wasm)', 'OCI push, as skopeo sends it (from the bench)', 'OCI push with skopeo copy'];

interface Sample {
  answeredMs: number;
  readyMs: number;
  /** The API's peak RSS while the upload was received (until the answer), above its RSS when it started. */
  uploadPeakAboveMiB: number;
}

/** A streamed request with a Content-Length, through node:http (fetch would send the stream chunked). */
async function send(url: string, method: string, headers: Record<string, string>, body: AsyncIterable<Buffer> | Buffer | null): Promise<{ status: number; headers: IncomingMessage['headers']; text: string }> {
  const req = request(url, { method, headers });
  const answered = once(req, 'response') as Promise<[IncomingMessage]>;
  const sent = body === null ? (req.end(), Promise.resolve()) : pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : Readable.from(body), req).catch((error: unknown) => error);
  const [response] = await answered;
  let text = '';
  for await (const chunk of response) text += chunk;
  await sent;
  return { status: response.statusCode ?? 0, headers: response.headers, text };
}

async function digestOf(size: number, tag: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of paddedModuleChunks(size, tag)) hash.update(chunk);
  return `sha256:${hash.digest('hex')}`;
}

function image(moduleDigest: string, size: number): { config: Buffer; manifest: Buffer } {
  const config = Buffer.from(JSON.stringify({ type: 'proxy_wasm' }));
  const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: WASM_CONFIG, digest: configDigest, size: config.length },
      layers: [{ mediaType: WASM_LAYER, digest: moduleDigest, size }],
    }),
  );
  return { config, manifest };
}

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'bench-oci-push-'));
  teardown.push({ name: 'temporary files', run: () => rm(work, { recursive: true, force: true }) });
  const registry = await startRegistry({ DOWNLOAD_FLUSH_INTERVAL_MS: '1000' });
  teardown.children.add(registry);
  teardown.push({ name: 'registry', run: () => registry.stop() });
  const base = registry.url;
  const token = registry.adminToken;
  const basic = `Basic ${Buffer.from(`bench:${token}`).toString('base64')}`;
  const host = `127.0.0.1:${registry.port}`;
  const pid = registry.process.pid!;

  const ready = async (plugin: string, version: string, started: number): Promise<number> => {
    for (;;) {
      const response = await fetch(`${base}/api/v1/plugins/bench/${plugin}/versions/${version}`);
      const json = (await response.json()) as { status?: string };
      if (response.status === 200 && json.status !== 'pending') {
        if (json.status !== 'ready') throw new Error(`${plugin}@${version} is ${json.status}`);
        return performance.now() - started;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  const results: { size: number; kind: Kind; samples: Sample[]; peakAboveMiB: number; baselineMiB: number }[] = [];
  for (const size of SIZES) {
    const label = `${size / MiB}mib`;
    for (const kind of KINDS) {
      const plugin = `${label}-${KINDS.indexOf(kind)}`;
      const samples: Sample[] = [];
      const baseline = procStatusBytes(pid, 'VmRSS');
      const hwmReset = resetPeakRss(pid);
      const sampler = sampleRss(pid, 20);
      for (let i = 0; i < RUNS(size); i++) {
        const version = `1.0.${i}`;
        const tag = `${plugin}-${i}`;
        const moduleDigest = await digestOf(size, tag);
        const { config, manifest } = image(moduleDigest, size);
        let layout = '';
        if (kind === 'OCI push with skopeo copy') {
          // Outside the timing: the layout a build would have left on disk.
          layout = join(work, tag);
          await mkdir(join(layout, 'blobs', 'sha256'), { recursive: true });
          await pipeline(Readable.from(paddedModuleChunks(size, tag)), createWriteStream(join(layout, 'blobs', 'sha256', moduleDigest.slice(7))));
          for (const blob of [config, manifest]) await writeFile(join(layout, 'blobs', 'sha256', sha256(blob).slice(7)), blob);
          await writeFile(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
          await writeFile(
            join(layout, 'index.json'),
            JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: OCI_MANIFEST, digest: sha256(manifest), size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': version } }] }),
          );
        }
        const before = procStatusBytes(pid, 'VmRSS');
        const uploadHwm = resetPeakRss(pid);
        const uploadSampler = sampleRss(pid, 20);
        const started = performance.now();
        if (kind === 'HTTP publish (PUT application/wasm)') {
          const put = await putStream(`${base}/api/v1/plugins/bench/${plugin}/versions/${version}`, token, paddedModuleChunks(size, tag), size);
          if (put.status !== 202) throw new Error(`publish answered ${put.status}: ${put.body}`);
        } else if (kind === 'OCI push, as skopeo sends it (from the bench)') {
          const repo = `${base}/v2/bench/${plugin}`;
          const stored = await send(`${repo}/blobs/uploads/?digest=${sha256(config)}`, 'POST', { authorization: basic, 'content-type': 'application/octet-stream', 'content-length': String(config.length) }, config);
          if (stored.status !== 201) throw new Error(`config upload answered ${stored.status}: ${stored.text}`);
          const session = await send(`${repo}/blobs/uploads/`, 'POST', { authorization: basic, 'content-length': '0' }, null);
          const location = `${base}${session.headers.location}`;
          const patched = await send(location, 'PATCH', { authorization: basic, 'content-type': 'application/octet-stream', 'content-length': String(size) }, paddedModuleChunks(size, tag));
          if (patched.status !== 202) throw new Error(`PATCH answered ${patched.status}: ${patched.text}`);
          const done = await send(`${location}?digest=${moduleDigest}`, 'PUT', { authorization: basic, 'content-length': '0' }, null);
          if (done.status !== 201) throw new Error(`PUT answered ${done.status}: ${done.text}`);
          const pushed = await send(`${repo}/manifests/${version}`, 'PUT', { authorization: basic, 'content-type': OCI_MANIFEST, 'content-length': String(manifest.length) }, manifest);
          if (pushed.status !== 201) throw new Error(`manifest answered ${pushed.status}: ${pushed.text}`);
        } else {
          await run('skopeo', ['--insecure-policy', 'copy', '--dest-tls-verify=false', '--dest-creds', `bench:${token}`, `oci:${layout}:${version}`, `docker://${host}/bench/${plugin}:${version}`], {
            env: { ...process.env, NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' },
          });
        }
        const answeredMs = performance.now() - started;
        const uploadPeak = Math.max(uploadSampler.stop().peak, uploadHwm ? procStatusBytes(pid, 'VmHWM') : 0);
        samples.push({ answeredMs, readyMs: await ready(plugin, version, started), uploadPeakAboveMiB: (uploadPeak - before) / MiB });
        if (layout !== '') await rm(layout, { recursive: true, force: true });
        log(`${kind}, ${size / MiB} MiB #${i + 1}: answered ${answeredMs.toFixed(0)} ms`);
      }
      const sampled = sampler.stop();
      const peak = Math.max(sampled.peak, hwmReset ? procStatusBytes(pid, 'VmHWM') : 0);
      results.push({ size, kind, samples, peakAboveMiB: (peak - baseline) / MiB, baselineMiB: baseline / MiB });
    }
  }

  const lines = [
    '### OCI push beside HTTP publishing (`npm run bench:oci-push`)',
    '',
    ...machineDescription('npm run bench:oci-push'),
    '',
    '| module | how | runs | answered p50 / min, ms | MiB/s (p50) | ready p50, ms | × HTTP (answered p50) | API RSS above start while receiving, max, MiB | … until all ready, MiB |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const result of results) {
    const answered = result.samples.map((s) => s.answeredMs);
    const http = results.find((r) => r.size === result.size && r.kind === KINDS[0])!;
    const httpP50 = percentile(http.samples.map((s) => s.answeredMs), 50);
    const p50 = percentile(answered, 50);
    lines.push(
      `| ${result.size / MiB} MiB | ${result.kind} | ${result.samples.length} | ${p50.toFixed(0)} / ${Math.min(...answered).toFixed(0)} | ${(result.size / MiB / (p50 / 1000)).toFixed(1)} | ${percentile(result.samples.map((s) => s.readyMs), 50).toFixed(0)} | ${(p50 / httpP50).toFixed(2)} | ${Math.max(...result.samples.map((s) => s.uploadPeakAboveMiB)).toFixed(1)} | ${result.peakAboveMiB.toFixed(1)} (from ${result.baselineMiB.toFixed(0)}) |`,
    );
  }
  const report = `${lines.join('\n')}\n`;
  process.stdout.write(report);
  if (args.out) writeFileSync(args.out, report);
}

main()
  .catch((error: unknown) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  })
  .finally(() => teardown.unwind());
