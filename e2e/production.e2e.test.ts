import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from '../testing/postgres-server.js';
import { startRegistry, WORKER_ENTRY, type RunningRegistry } from '../testing/registry-process.js';
import { registryS3Env, startTestS3Server, type TestS3Server } from '../testing/s3-server.js';
import { paddedModule, proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { api, expectProblem, settledVersion, waitFor } from './support.js';

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('the production configuration without Redis: PostgreSQL + S3, several API processes', () => {
  let postgres: PostgresServer;
  let s3: TestS3Server;
  let env: Record<string, string>;
  const registries: RunningRegistry[] = [];

  beforeAll(async () => {
    [postgres, s3] = await Promise.all([startPostgres(), startTestS3Server({ bucket: 'wasm-modules', keepPrefixes: ['uploads/', 'blobs/sha256/'] })]);
    env = {
      DATABASE_URL: postgres.url,
      ...registryS3Env(s3),
      DOWNLOAD_FLUSH_INTERVAL_MS: '200',
    };
    // Two API processes started at once: migrations must apply exactly once.
    registries.push(...(await Promise.all([startRegistry(env), startRegistry(env)])));
  });

  afterAll(async () => {
    await Promise.all(registries.map((r) => r.stop()));
    await Promise.all([postgres?.stop(), s3?.stop()]);
  });

  it('reports PostgreSQL and S3 as ready', async () => {
    const ready = await api(registries[0]!.url, 'GET', '/health/ready');
    expect(ready.json.checks).toEqual({ database: { status: 'ok', kind: 'postgres' }, storage: { status: 'ok', kind: 's3' }, queue: { status: 'ok', kind: 'in-process' } });
  });

  it('publishes through one process and serves the bytes through the other', async () => {
    const [a, b] = registries as [RunningRegistry, RunningRegistry];
    const module = await paddedModule(200 * 1024, 'prod');
    const published = await api(a.url, 'PUT', '/api/v1/plugins/acme/tracing/versions/1.0.0', { body: module, token: a.adminToken });
    expect(published.status).toBe(202);
    expect(published.json.digest).toBe(sha256(module));
    const download = await api(b.url, 'GET', `/api/v1/blobs/${sha256(module)}`);
    expect(download.status).toBe(200);
    expect(download.bytes.equals(module)).toBe(true);
    expect((await settledVersion(a.url, 'acme', 'tracing', '1.0.0')).status).toBe('ready');
    const ranged = await api(b.url, 'GET', '/api/v1/plugins/acme/tracing/versions/1.0.0/module.wasm', { headers: { range: 'bytes=100-199' } });
    expect(ranged.status).toBe(206);
    expect(ranged.bytes.equals(module.subarray(100, 200))).toBe(true);
  });

  it('keeps one version when two processes publish it at the same moment with different bytes', async () => {
    const [a, b] = registries as [RunningRegistry, RunningRegistry];
    const [one, two] = await Promise.all([proxyWasmFilter('race-1'), proxyWasmFilter('race-2')]);
    const results = await Promise.all([
      api(a.url, 'PUT', '/api/v1/plugins/acme/race/versions/1.0.0', { body: one, token: a.adminToken }),
      api(b.url, 'PUT', '/api/v1/plugins/acme/race/versions/1.0.0', { body: two, token: b.adminToken }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([202, 409]);
    const winner = results.find((r) => r.status === 202)!.json.digest as string;
    await settledVersion(a.url, 'acme', 'race', '1.0.0');
    const stored = await api(a.url, 'GET', '/api/v1/plugins/acme/race/versions/1.0.0/module.wasm');
    expect(sha256(stored.bytes)).toBe(winner);
    // The loser's bytes are not kept.
    const loser = winner === sha256(one) ? sha256(two) : sha256(one);
    expectProblem(await api(a.url, 'GET', `/api/v1/blobs/${loser}`), 404, 'blob_not_found');
  });

  it('counts 1,000 concurrent downloads exactly across processes, per version and per plugin', async () => {
    const module = await proxyWasmFilter('counted');
    const [a, b] = registries as [RunningRegistry, RunningRegistry];
    expect((await api(a.url, 'PUT', '/api/v1/plugins/acme/counted/versions/1.0.0', { body: module, token: a.adminToken })).status).toBe(202);
    expect((await settledVersion(a.url, 'acme', 'counted', '1.0.0')).status).toBe('ready');
    const perProcess = 500;
    // Half by version, half by digest: both count for the version.
    const paths = ['/api/v1/plugins/acme/counted/versions/1.0.0/module.wasm', `/api/v1/blobs/${sha256(module)}`];
    await Promise.all(
      registries.flatMap((registry) =>
        Array.from({ length: perProcess }, async (_, i) => {
          const response = await api(registry.url, 'GET', paths[i % 2]!);
          expect(response.status).toBe(200);
        }),
      ),
    );
    const version = await waitFor(
      () => api(b.url, 'GET', '/api/v1/plugins/acme/counted/versions/1.0.0'),
      (r) => r.json.downloads >= perProcess * 2,
    );
    expect(version.json.downloads).toBe(perProcess * 2);
    // Give a late flush the chance to overcount, then check every total.
    await new Promise((r) => setTimeout(r, 500));
    expect((await api(a.url, 'GET', '/api/v1/plugins/acme/counted/versions/1.0.0')).json.downloads).toBe(1000);
    expect((await api(a.url, 'GET', '/api/v1/plugins/acme/counted')).json.downloads).toBe(1000);
    const listed = await api(b.url, 'GET', '/api/v1/plugins?q=counted');
    expect(listed.json.items[0]).toMatchObject({ namespace: 'acme', name: 'counted', downloads: 1000, recentDownloads: 1000 });
  });

  it('redirects downloads to a presigned S3 URL when configured', async () => {
    const presigning = await startRegistry({ ...env, S3_PRESIGNED_DOWNLOAD_TTL: '60' });
    registries.push(presigning);
    const module = await proxyWasmFilter('presigned');
    expect((await api(presigning.url, 'PUT', '/api/v1/plugins/acme/presigned/versions/1.0.0', { body: module, token: presigning.adminToken })).status).toBe(202);
    const redirect = await api(presigning.url, 'GET', `/api/v1/blobs/${sha256(module)}`);
    expect(redirect.status).toBe(307);
    const location = redirect.headers.get('location')!;
    expect(location.startsWith(s3.endpoint)).toBe(true);
    expect(location).toContain('X-Amz-Expires=60');
    const followed = await fetch(location);
    expect(Buffer.from(await followed.arrayBuffer()).equals(module)).toBe(true);
    // HEAD and conditional requests are still answered by the registry.
    expect((await api(presigning.url, 'HEAD', `/api/v1/blobs/${sha256(module)}`)).status).toBe(200);
    expect((await api(presigning.url, 'GET', `/api/v1/blobs/${sha256(module)}`, { headers: { 'if-none-match': `"${sha256(module)}"` } })).status).toBe(304);
  });

  it('refuses to start a worker without DATABASE_URL and REDIS_URL, naming them', async () => {
    const worker = spawn(process.execPath, [WORKER_ENTRY], { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    worker.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(worker, 'exit')) as [number | null];
    expect(code).toBe(78);
    expect(output).toContain('DATABASE_URL and REDIS_URL required by the worker');
  });

  it('reports storage as not ready (503), naming it, when S3 is down', async () => {
    const registry = registries[0]!;
    await s3.stop();
    const down = await api(registry.url, 'GET', '/health/ready');
    expectProblem(down, 503, 'not_ready');
    expect(down.json.detail).toContain('storage (s3)');
    expect(down.json.checks).toMatchObject({ database: { status: 'ok' }, storage: { status: 'failing' } });
  });

  it('reports the database as not ready (503), naming it, when PostgreSQL is down', async () => {
    await postgres.stop();
    const down = await api(registries[0]!.url, 'GET', '/health/ready');
    expectProblem(down, 503, 'not_ready');
    expect(down.json.detail).toContain('database (postgres)');
    expect((await api(registries[0]!.url, 'GET', '/health/live')).status).toBe(200);
  });
});
