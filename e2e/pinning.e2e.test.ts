import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from '../testing/postgres-server.js';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { registryS3Env, startTestS3Server, type TestS3Server } from '../testing/s3-server.js';
import { proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { api, expectProblem, settledVersion, waitFor, type Json } from './support.js';

// The attacks of issue 11 ("a pinned version can be deleted, and its number reused"), through the built API.

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

// No count is ever flushed by the timer or by the batch size during these tests: whatever keeps a
// downloaded version from being deleted must not be the count buffer.
const NOTHING_FLUSHED = { DOWNLOAD_FLUSH_INTERVAL_MS: '3600000', DOWNLOAD_FLUSH_MAX_PENDING: '1000000' };
// Modules held in memory are read from storage again after this: how long a lost object is still served.
const CACHE_TTL = { DOWNLOAD_CACHE_TTL_MS: '1000' };

async function publishReady(url: string, token: string, coordinates: string, module: Buffer): Promise<Json> {
  const [namespace, plugin, version] = coordinates.split(/[/@]/) as [string, string, string];
  const published = await api(url, 'PUT', `/api/v1/plugins/${namespace}/${plugin}/versions/${version}`, { token, body: module });
  expect(published.status, published.text).toBe(202);
  const settled = await settledVersion(url, namespace, plugin, version);
  expect(settled.status).toBe('ready');
  return settled;
}

/** OCI errors have no body on HEAD: status only. */
function expectOciError(response: { status: number; text: string }, status: number, code: string): void {
  expect(response.status).toBe(status);
  expect((JSON.parse(response.text) as Json).errors[0].code).toBe(code);
}

describe('pinned versions in the embedded registry (PGlite + filesystem)', () => {
  let registry: RunningRegistry;
  let admin: string;

  beforeAll(async () => {
    registry = await startRegistry({ ...NOTHING_FLUSHED, ...CACHE_TTL });
    admin = registry.adminToken;
  });
  afterAll(async () => {
    await registry?.stop();
  });

  const remove = (coordinates: string) => {
    const [namespace, plugin, version] = coordinates.split(/[/@]/) as [string, string, string];
    return api(registry.url, 'DELETE', `/api/v1/plugins/${namespace}/${plugin}/versions/${version}`, { token: admin });
  };

  it('refuses to delete a version downloaded a moment ago in any way, before any count was written', async () => {
    const ways: Record<string, (view: Json) => Promise<{ status: number }>> = {
      'GET module.wasm': (v) => api(registry.url, 'GET', `/api/v1/plugins/pin/ways/versions/${v.version}/module.wasm`),
      'a byte range of module.wasm': (v) => api(registry.url, 'GET', `/api/v1/plugins/pin/ways/versions/${v.version}/module.wasm`, { headers: { range: 'bytes=0-7' } }),
      'GET by digest': (v) => api(registry.url, 'GET', `/api/v1/blobs/${v.digest}`),
      'a 304 by version': (v) => api(registry.url, 'GET', `/api/v1/plugins/pin/ways/versions/${v.version}/module.wasm`, { headers: { 'if-none-match': `"${v.digest}"` } }),
      'an OCI manifest pull by tag': (v) => api(registry.url, 'GET', `/v2/pin/ways/manifests/${v.version}`),
      'an OCI manifest pull by digest': (v) => api(registry.url, 'GET', `/v2/pin/ways/manifests/${v.pinned.oci.manifestDigest}`),
      'an OCI layer pull': (v) => api(registry.url, 'GET', `/v2/pin/ways/blobs/${v.digest}`),
    };
    let minor = 0;
    for (const [way, download] of Object.entries(ways)) {
      const view = await publishReady(registry.url, admin, `pin/ways@1.${minor++}.0`, await proxyWasmFilter(`ways-${minor}`));
      expect([200, 206, 304]).toContain((await download(view)).status);
      const refused = await remove(`pin/ways@${view.version}`);
      expect({ way, status: refused.status, code: refused.json.code }).toEqual({ way, status: 409, code: 'version_in_use' });
      expect((await api(registry.url, 'GET', `/api/v1/plugins/pin/ways/versions/${view.version}`)).json.firstDownloadedAt).toEqual(expect.any(String));
    }
    // HEAD hands out no bytes: a version only looked at may still be deleted.
    const looked = await publishReady(registry.url, admin, 'pin/ways@2.0.0', await proxyWasmFilter('ways-head'));
    expect((await api(registry.url, 'HEAD', '/api/v1/plugins/pin/ways/versions/2.0.0/module.wasm')).status).toBe(200);
    expect((await api(registry.url, 'HEAD', `/api/v1/blobs/${looked.digest}`)).status).toBe(200);
    expect((await api(registry.url, 'HEAD', '/v2/pin/ways/manifests/2.0.0')).status).toBe(200);
    expect((await api(registry.url, 'GET', '/api/v1/plugins/pin/ways/versions/2.0.0')).json.firstDownloadedAt).toBeNull();
    expect((await remove('pin/ways@2.0.0')).status).toBe(204);
  });

  it('marks every version with the same bytes when they are downloaded by digest', async () => {
    const module = await proxyWasmFilter('shared-bytes');
    await publishReady(registry.url, admin, 'pin/shared@1.0.0', module);
    await publishReady(registry.url, admin, 'pin/shared-copy@3.0.0', module);
    expect((await api(registry.url, 'GET', `/api/v1/blobs/${sha256(module)}`)).status).toBe(200);
    expectProblem(await remove('pin/shared@1.0.0'), 409, 'version_in_use');
    expectProblem(await remove('pin/shared-copy@3.0.0'), 409, 'version_in_use');
  });

  it('never reuses a deleted version number, and answers 404 for it at once, from warm caches too', async () => {
    const original = await proxyWasmFilter('burned');
    const view = await publishReady(registry.url, admin, 'pin/burn@1.0.0', original);
    const manifestDigest = view.pinned.oci.manifestDigest as string;
    // HEADs fill every cache without marking the version as downloaded.
    for (const path of ['/api/v1/plugins/pin/burn/versions/1.0.0/module.wasm', `/api/v1/blobs/${view.digest}`, '/v2/pin/burn/manifests/1.0.0', `/v2/pin/burn/manifests/${manifestDigest}`, `/v2/pin/burn/blobs/${view.digest}`]) {
      expect((await api(registry.url, 'HEAD', path)).status, path).toBe(200);
    }
    expect((await remove('pin/burn@1.0.0')).status).toBe(204);

    expectProblem(await api(registry.url, 'GET', '/api/v1/plugins/pin/burn/versions/1.0.0/module.wasm'), 404, 'version_not_found');
    expectProblem(await api(registry.url, 'GET', `/api/v1/blobs/${view.digest}`), 404, 'blob_not_found');
    expectProblem(await api(registry.url, 'GET', `/api/v1/blobs/${view.digest}`, { headers: { range: 'bytes=0-3' } }), 404, 'blob_not_found');
    expect((await api(registry.url, 'HEAD', '/api/v1/plugins/pin/burn/versions/1.0.0/module.wasm')).status).toBe(404);
    expect((await api(registry.url, 'HEAD', `/api/v1/blobs/${view.digest}`)).status).toBe(404);
    expectOciError(await api(registry.url, 'GET', '/v2/pin/burn/manifests/1.0.0'), 404, 'MANIFEST_UNKNOWN');
    expectOciError(await api(registry.url, 'GET', `/v2/pin/burn/manifests/${manifestDigest}`), 404, 'MANIFEST_UNKNOWN');
    expectOciError(await api(registry.url, 'GET', `/v2/pin/burn/blobs/${view.digest}`), 404, 'BLOB_UNKNOWN');
    expect((await api(registry.url, 'HEAD', `/v2/pin/burn/blobs/${view.digest}`)).status).toBe(404);

    // The number is burned: neither other bytes nor the same bytes may take it again.
    for (const module of [await proxyWasmFilter('burned-again'), original]) {
      const again = await api(registry.url, 'PUT', '/api/v1/plugins/pin/burn/versions/1.0.0', { token: admin, body: module });
      expectProblem(again, 409, 'version_deleted');
      expect(again.json.detail).toMatch(/deleted .*never reused/);
      expect(again.json.deletedAt).toEqual(expect.any(String));
    }
    expectProblem(await api(registry.url, 'GET', '/api/v1/plugins/pin/burn/versions/1.0.0/module.wasm'), 404, 'version_not_found');
    const audit = await api(registry.url, 'GET', '/api/v1/audit?action=version.deleted&plugin=burn', { token: admin });
    expect(audit.json.items[0]).toMatchObject({ namespace: 'pin', plugin: 'burn', version: '1.0.0', details: { digest: view.digest } });
    // Another number is fine.
    expect((await api(registry.url, 'PUT', '/api/v1/plugins/pin/burn/versions/1.0.1', { token: admin, body: original })).status).toBe(202);
  });

  it('answers 404, not 500, for a module the storage lost behind the registry\'s back', async () => {
    const view = await publishReady(registry.url, admin, 'pin/lost@1.0.0', await proxyWasmFilter('lost'));
    // Warm every cache, then remove the object.
    expect((await api(registry.url, 'GET', `/api/v1/blobs/${view.digest}`)).status).toBe(200);
    expect((await api(registry.url, 'GET', `/v2/pin/lost/blobs/${view.digest}`)).status).toBe(200);
    await rm(join(registry.dataDir, 'storage', 'blobs', 'sha256', (view.digest as string).slice('sha256:'.length)));
    // What this process holds in memory (checked against its digest) is served until DOWNLOAD_CACHE_TTL_MS is over.
    expect((await api(registry.url, 'GET', `/api/v1/blobs/${view.digest}`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, Number(CACHE_TTL.DOWNLOAD_CACHE_TTL_MS) + 200));

    expectProblem(await api(registry.url, 'GET', '/api/v1/plugins/pin/lost/versions/1.0.0/module.wasm'), 404, 'blob_not_found');
    expectProblem(await api(registry.url, 'GET', `/api/v1/blobs/${view.digest}`), 404, 'blob_not_found');
    expectProblem(await api(registry.url, 'GET', `/api/v1/blobs/${view.digest}`, { headers: { range: 'bytes=2-5' } }), 404, 'blob_not_found');
    expect((await api(registry.url, 'HEAD', `/api/v1/blobs/${view.digest}`)).status).toBe(404);
    expectOciError(await api(registry.url, 'GET', `/v2/pin/lost/blobs/${view.digest}`), 404, 'BLOB_UNKNOWN');
    expect((await api(registry.url, 'HEAD', `/v2/pin/lost/blobs/${view.digest}`)).status).toBe(404);
    expect(registry.output()).not.toMatch(/failed: .*StorageNotFoundError/);
  });
});

describe('download counts across a crash (SIGKILL) of the embedded registry', () => {
  it('keeps every count that a flush wrote: by batch size, and by interval', async () => {
    const module = await proxyWasmFilter('crash-counts');
    // An hour between timed flushes: only the batch size (10) can write these counts.
    const first = await startRegistry({ DOWNLOAD_FLUSH_INTERVAL_MS: '3600000', DOWNLOAD_FLUSH_MAX_PENDING: '10' });
    const dataDir = first.dataDir;
    let second: RunningRegistry | null = null;
    let third: RunningRegistry | null = null;
    try {
      await publishReady(first.url, first.adminToken, 'crash/counts@1.0.0', module);
      for (let i = 0; i < 30; i++) expect((await api(first.url, 'GET', '/api/v1/plugins/crash/counts/versions/1.0.0/module.wasm')).status).toBe(200);
      const written = await waitFor(() => api(first.url, 'GET', '/api/v1/plugins/crash/counts/versions/1.0.0'), (r) => r.json.downloads >= 30);
      expect(written.json.downloads).toBe(30);
      first.process.kill('SIGKILL');
      await new Promise((resolve) => first.process.once('exit', resolve));

      // No batch size to speak of: only the 300 ms timer can write these.
      second = await startRegistry({ DOWNLOAD_FLUSH_INTERVAL_MS: '300', DOWNLOAD_FLUSH_MAX_PENDING: '1000000' }, { dataDir });
      expect((await api(second.url, 'GET', '/api/v1/plugins/crash/counts/versions/1.0.0')).json.downloads).toBe(30);
      for (let i = 0; i < 7; i++) expect((await api(second.url, 'GET', `/api/v1/blobs/${sha256(module)}`)).status).toBe(200);
      const timed = await waitFor(() => api(second!.url, 'GET', '/api/v1/plugins/crash/counts/versions/1.0.0'), (r) => r.json.downloads >= 37);
      expect(timed.json.downloads).toBe(37);
      second.process.kill('SIGKILL');
      await new Promise((resolve) => second!.process.once('exit', resolve));

      third = await startRegistry({}, { dataDir });
      expect((await api(third.url, 'GET', '/api/v1/plugins/crash/counts/versions/1.0.0')).json.downloads).toBe(37);
    } finally {
      // Whatever an early failure left running.
      for (const registry of [first, second]) if (registry !== null && registry.process.exitCode === null && registry.process.signalCode === null) registry.process.kill('SIGKILL');
      await third?.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
    // Three API starts, one of them after a kill: more than the default minute on a loaded machine.
  }, 180_000);
});

describe('pinned versions across API processes (PostgreSQL + S3)', () => {
  let postgres: PostgresServer;
  let s3: TestS3Server;
  let env: Record<string, string>;
  let a: RunningRegistry;
  let b: RunningRegistry;
  let presigning: RunningRegistry;

  beforeAll(async () => {
    [postgres, s3] = await Promise.all([startPostgres(), startTestS3Server({ bucket: 'pinning', keepPrefixes: ['uploads/', 'blobs/sha256/'] })]);
    env = { DATABASE_URL: postgres.url, ...registryS3Env(s3), ...NOTHING_FLUSHED, ...CACHE_TTL };
    [a, b, presigning] = await Promise.all([startRegistry(env), startRegistry(env), startRegistry({ ...env, S3_PRESIGNED_DOWNLOAD_TTL: '60' })]);
  });
  afterAll(async () => {
    await Promise.all([a, b, presigning].map((r) => r?.stop()));
    await Promise.all([postgres?.stop(), s3?.stop()]);
  });

  it('refuses to delete a version that another process served a moment ago, with nothing flushed', async () => {
    const byVersion = await publishReady(a.url, a.adminToken, 'cross/pinned@1.0.0', await proxyWasmFilter('cross-1'));
    expect((await api(b.url, 'GET', '/api/v1/plugins/cross/pinned/versions/1.0.0/module.wasm')).status).toBe(200);
    expectProblem(await api(a.url, 'DELETE', '/api/v1/plugins/cross/pinned/versions/1.0.0', { token: a.adminToken }), 409, 'version_in_use');
    expect(byVersion.firstDownloadedAt).toBeNull();

    await publishReady(a.url, a.adminToken, 'cross/pinned@1.1.0', await proxyWasmFilter('cross-2'));
    expect((await api(b.url, 'GET', '/v2/cross/pinned/manifests/1.1.0')).status).toBe(200);
    expectProblem(await api(a.url, 'DELETE', '/api/v1/plugins/cross/pinned/versions/1.1.0', { token: a.adminToken }), 409, 'version_in_use');

    // A presigned redirect hands the module out too.
    const redirected = await publishReady(a.url, a.adminToken, 'cross/pinned@1.2.0', await proxyWasmFilter('cross-3'));
    expect((await api(presigning.url, 'GET', `/api/v1/blobs/${redirected.digest}`)).status).toBe(307);
    expectProblem(await api(a.url, 'DELETE', '/api/v1/plugins/cross/pinned/versions/1.2.0', { token: a.adminToken }), 409, 'version_in_use');
  });

  it('stops serving a deleted version in every process at once, and keeps its number burned', async () => {
    const module = await proxyWasmFilter('cross-burn');
    // Another version keeps the same bytes, so the object stays in storage: only the caches could still serve 1.0.0.
    const view = await publishReady(a.url, a.adminToken, 'cross/burn@1.0.0', module);
    await publishReady(a.url, a.adminToken, 'cross/burn@1.0.1', module);
    const manifestDigest = view.pinned.oci.manifestDigest as string;
    for (const path of ['/api/v1/plugins/cross/burn/versions/1.0.0/module.wasm', '/v2/cross/burn/manifests/1.0.0', `/v2/cross/burn/manifests/${manifestDigest}`]) {
      expect((await api(b.url, 'HEAD', path)).status, path).toBe(200);
    }
    expect((await api(a.url, 'DELETE', '/api/v1/plugins/cross/burn/versions/1.0.0', { token: a.adminToken })).status).toBe(204);

    // The other process hears of it through PostgreSQL (NOTIFY on commit): far sooner than any cache expires.
    const gone = await waitFor(() => api(b.url, 'HEAD', '/api/v1/plugins/cross/burn/versions/1.0.0/module.wasm'), (r) => r.status === 404, 5_000);
    expect(gone.status).toBe(404);
    expect((await api(b.url, 'HEAD', '/v2/cross/burn/manifests/1.0.0')).status).toBe(404);
    expect((await api(b.url, 'HEAD', `/v2/cross/burn/manifests/${manifestDigest}`)).status).toBe(404);
    expectProblem(await api(b.url, 'GET', '/api/v1/plugins/cross/burn/versions/1.0.0/module.wasm'), 404, 'version_not_found');
    expectOciError(await api(b.url, 'GET', '/v2/cross/burn/manifests/1.0.0'), 404, 'MANIFEST_UNKNOWN');
    // The bytes stay reachable by digest for the version that still has them.
    expect((await api(b.url, 'GET', `/api/v1/blobs/${view.digest}`)).status).toBe(200);

    const again = await api(b.url, 'PUT', '/api/v1/plugins/cross/burn/versions/1.0.0', { token: b.adminToken, body: await proxyWasmFilter('cross-burn-2') });
    expectProblem(again, 409, 'version_deleted');

    // Bytes of their own: the digest URLs go too, in the other process as in this one.
    const lone = await publishReady(a.url, a.adminToken, 'cross/burn@2.0.0', await proxyWasmFilter('cross-burn-lone'));
    for (const path of [`/api/v1/blobs/${lone.digest}`, `/v2/cross/burn/blobs/${lone.digest}`]) expect((await api(b.url, 'HEAD', path)).status, path).toBe(200);
    expect((await api(a.url, 'DELETE', '/api/v1/plugins/cross/burn/versions/2.0.0', { token: a.adminToken })).status).toBe(204);
    for (const registry of [a, b]) {
      expectProblem(await api(registry.url, 'GET', `/api/v1/blobs/${lone.digest}`), 404, 'blob_not_found');
      expect((await api(registry.url, 'HEAD', `/api/v1/blobs/${lone.digest}`)).status).toBe(404);
      expectOciError(await api(registry.url, 'GET', `/v2/cross/burn/blobs/${lone.digest}`), 404, 'BLOB_UNKNOWN');
    }
  });

  it('answers 404, not 500, in every process when S3 lost a module', async () => {
    const view = await publishReady(a.url, a.adminToken, 'cross/lost@1.0.0', await proxyWasmFilter('cross-lost'));
    for (const registry of [a, b]) expect((await api(registry.url, 'GET', `/api/v1/blobs/${view.digest}`)).status).toBe(200);
    const client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
    try {
      await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: `blobs/sha256/${(view.digest as string).slice('sha256:'.length)}` }));
    } finally {
      client.destroy();
    }
    await new Promise((resolve) => setTimeout(resolve, Number(CACHE_TTL.DOWNLOAD_CACHE_TTL_MS) + 200));
    for (const registry of [a, b]) {
      expectProblem(await api(registry.url, 'GET', `/api/v1/blobs/${view.digest}`), 404, 'blob_not_found');
      expectProblem(await api(registry.url, 'GET', '/api/v1/plugins/cross/lost/versions/1.0.0/module.wasm', { headers: { range: 'bytes=0-3' } }), 404, 'blob_not_found');
      expect((await api(registry.url, 'HEAD', `/api/v1/blobs/${view.digest}`)).status).toBe(404);
      expectOciError(await api(registry.url, 'GET', `/v2/cross/lost/blobs/${view.digest}`), 404, 'BLOB_UNKNOWN');
    }
  });
});
