import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repeatChunks, sendChunked } from '../testing/http-client.js';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { MALFORMED_MODULES, paddedModule, proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { api, expectProblem, storedFiles, waitFor } from './support.js';

const MAX_MODULE_SIZE = 256 * 1024;
const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('the embedded registry (PGlite + local disk), as `npm start` runs it', () => {
  let registry: RunningRegistry;
  let admin: string;
  let storageRoot: string;
  let filterV1: Buffer;
  let filterV2: Buffer;

  beforeAll(async () => {
    registry = await startRegistry({ MAX_MODULE_SIZE: String(MAX_MODULE_SIZE), DOWNLOAD_FLUSH_INTERVAL_MS: '60000' });
    admin = registry.adminToken;
    storageRoot = join(registry.dataDir, 'storage');
    filterV1 = await proxyWasmFilter('v1');
    filterV2 = await proxyWasmFilter('v2');
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('answers liveness and readiness, naming its database and storage', async () => {
    expect((await api(registry.url, 'GET', '/health/live')).json).toEqual({ status: 'ok' });
    const ready = await api(registry.url, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.json.checks).toEqual({ database: { status: 'ok', kind: 'pglite' }, storage: { status: 'ok', kind: 'filesystem' }, queue: { status: 'ok', kind: 'in-process' } });
  });

  it('serves the OpenAPI document that openapi.yaml holds', async () => {
    const served = (await api(registry.url, 'GET', '/api/openapi.json')).json;
    const file = parse(await readFile(new URL('../openapi.yaml', import.meta.url), 'utf8')) as unknown;
    expect(served).toEqual(file);
  });

  it('refuses to publish without a token (401), with an unknown token (401)', async () => {
    const none = await api(registry.url, 'PUT', '/api/v1/plugins/acme/jwt-auth/versions/1.0.0', { body: filterV1 });
    expectProblem(none, 401, 'unauthenticated');
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    const unknown = await api(registry.url, 'PUT', '/api/v1/plugins/acme/jwt-auth/versions/1.0.0', { body: filterV1, token: 'wpr_not-a-real-token' });
    expectProblem(unknown, 401, 'unauthenticated');
    expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/jwt-auth')).status).toBe(404);
  });

  it('publishes a module: 202, pending, then ready; the admin creates the namespace', async () => {
    const published = await api(registry.url, 'PUT', '/api/v1/plugins/acme/jwt-auth/versions/1.0.0', { body: filterV1, token: admin });
    expect(published.status).toBe(202);
    expect(published.json).toMatchObject({
      namespace: 'acme',
      plugin: 'jwt-auth',
      version: '1.0.0',
      digest: sha256(filterV1),
      size: filterV1.length,
      status: 'pending',
      links: {
        self: `${registry.url}/api/v1/plugins/acme/jwt-auth/versions/1.0.0`,
        blob: `${registry.url}/api/v1/blobs/${sha256(filterV1)}`,
      },
    });
    expect(published.headers.get('location')).toBe(published.json.links.self);
    const ready = await waitFor(
      () => api(registry.url, 'GET', '/api/v1/plugins/acme/jwt-auth/versions/1.0.0'),
      (r) => r.json.status === 'ready',
    );
    expect(ready.json.status).toBe('ready');
    expect(published.json.pinned).toBeNull();
    expect(Date.parse(ready.json.readyAt)).toBeGreaterThanOrEqual(Date.parse(ready.json.createdAt));
    // Pinned: the module's digest for https, the manifest's for oci://, each checkable against what is served.
    const host = new URL(registry.url).host;
    const manifest = await api(registry.url, 'GET', '/v2/acme/jwt-auth/manifests/1.0.0');
    expect(manifest.status).toBe(200);
    const manifestDigest = manifest.headers.get('docker-content-digest')!;
    expect(manifestDigest).toBe(sha256(manifest.bytes));
    expect(ready.json.pinned).toEqual({
      url: `${registry.url}/api/v1/blobs/${sha256(filterV1)}`,
      sha256: sha256(filterV1).slice('sha256:'.length),
      oci: {
        reference: `${host}/acme/jwt-auth:1.0.0`,
        pinnedReference: `${host}/acme/jwt-auth@${manifestDigest}`,
        url: `oci://${host}/acme/jwt-auth:1.0.0`,
        manifestDigest,
        sha256: manifestDigest.slice('sha256:'.length),
      },
    });
    expect(sha256((await api(registry.url, 'GET', new URL(ready.json.pinned.url).pathname)).bytes)).toBe(`sha256:${ready.json.pinned.sha256}`);
    expect((await api(registry.url, 'GET', '/api/v1/namespaces/acme')).json.plugins.map((p: { name: string }) => p.name)).toEqual(['jwt-auth']);
  });

  it('returns the existing version when identical bytes are published again (200)', async () => {
    const again = await api(registry.url, 'PUT', '/api/v1/plugins/acme/jwt-auth/versions/1.0.0', { body: filterV1, token: admin });
    expect(again.status).toBe(200);
    expect(again.json.digest).toBe(sha256(filterV1));
  });

  it('refuses different bytes for an existing version (409), naming both digests, and keeps the original', async () => {
    const conflict = await api(registry.url, 'PUT', '/api/v1/plugins/acme/jwt-auth/versions/1.0.0', { body: filterV2, token: admin });
    expectProblem(conflict, 409, 'version_exists');
    expect(conflict.json.detail).toContain(sha256(filterV1));
    expect(conflict.json.detail).toContain(sha256(filterV2));
    const download = await api(registry.url, 'GET', '/api/v1/plugins/acme/jwt-auth/versions/1.0.0/module.wasm');
    expect(download.bytes.equals(filterV1)).toBe(true);
    // The rejected bytes were not kept anywhere.
    expect(await storedFiles(storageRoot)).toEqual([`blobs/sha256/${sha256(filterV1).slice(7)}`]);
  });

  it('refuses bad names and versions (400) before reading the body, naming each field', async () => {
    const bad = await api(registry.url, 'PUT', '/api/v1/plugins/Acme/jwt_auth/versions/v1.0', { body: filterV1, token: admin });
    expectProblem(bad, 400, 'invalid_input');
    expect(bad.json.errors.map((e: { field: string }) => e.field)).toEqual(['path.namespace', 'path.name', 'path.version']);
    expect(bad.json.errors[2].message).toContain('semantic version');
  });

  it.each(Object.entries(MALFORMED_MODULES))('refuses %s with 400 and stores nothing', async (_label, body) => {
    const response = await api(registry.url, 'PUT', '/api/v1/plugins/acme/broken/versions/1.0.0', { body, token: admin });
    expectProblem(response, 400, 'invalid_module');
    expect(response.json.detail).toMatch(/WebAssembly|bytes long|header/);
    expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/broken/versions/1.0.0')).status).toBe(404);
    expect(await storedFiles(storageRoot)).toEqual([`blobs/sha256/${sha256(filterV1).slice(7)}`]);
  });

  it('refuses a body sent with another Content-Type (415)', async () => {
    const response = await api(registry.url, 'PUT', '/api/v1/plugins/acme/jwt-auth/versions/2.0.0', {
      body: filterV1,
      contentType: 'application/octet-stream',
      token: admin,
    });
    expectProblem(response, 415, 'unsupported_media_type');
    expect(response.json.detail).toContain('application/wasm');
  });

  it('refuses a module over the limit with 413 when Content-Length says so, before reading it', async () => {
    const big = await paddedModule(MAX_MODULE_SIZE + 1);
    const response = await api(registry.url, 'PUT', '/api/v1/plugins/acme/big/versions/1.0.0', { body: big, token: admin });
    expectProblem(response, 413, 'module_too_large');
    expect(response.json.maxSize).toBe(MAX_MODULE_SIZE);
  });

  it('refuses a module over the limit with 413 when no Content-Length is sent (chunked)', async () => {
    const header = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const chunks = (async function* () {
      yield header;
      yield* repeatChunks(Buffer.alloc(16 * 1024), 64); // 1 MiB in all, 4x the limit
    })();
    const response = await sendChunked(`${registry.url}/api/v1/plugins/acme/big/versions/1.0.0`, {
      headers: { 'content-type': 'application/wasm', authorization: `Bearer ${admin}` },
      chunks,
    });
    expect(response).not.toBe('connection-reset');
    if (response === 'connection-reset') return;
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body.toString()).code).toBe('module_too_large');
    expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/big/versions/1.0.0')).status).toBe(404);
    expect(await storedFiles(storageRoot)).toEqual([`blobs/sha256/${sha256(filterV1).slice(7)}`]);
  });

  it('accepts a module of exactly the limit', async () => {
    const exact = await paddedModule(MAX_MODULE_SIZE, 'exact');
    const response = await api(registry.url, 'PUT', '/api/v1/plugins/acme/big/versions/1.0.0', { body: exact, token: admin });
    expect(response.status).toBe(202);
    expect(response.json.size).toBe(MAX_MODULE_SIZE);
  });

  it('leaves no version and no stray object when the client disconnects midway', async () => {
    const before = await storedFiles(storageRoot);
    const module = await paddedModule(200 * 1024, 'aborted');
    const chunks = Array.from({ length: 20 }, (_, i) => module.subarray(i * 10240, (i + 1) * 10240));
    const result = await sendChunked(`${registry.url}/api/v1/plugins/acme/aborted/versions/1.0.0`, {
      headers: { 'content-type': 'application/wasm', authorization: `Bearer ${admin}` },
      chunks: (async function* () {
        for (const chunk of chunks) {
          yield chunk;
          await new Promise((r) => setTimeout(r, 5));
        }
      })(),
      abortAfterChunks: 10,
    });
    expect(result).toBe('connection-reset');
    const after = await waitFor(() => storedFiles(storageRoot), (files) => files.length === before.length);
    expect(after).toEqual(before);
    expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/aborted/versions/1.0.0')).status).toBe(404);
  });

  describe('downloads', () => {
    it('serves a version\'s module and the same bytes by digest, with strong ETags', async () => {
      const byVersion = await api(registry.url, 'GET', '/api/v1/plugins/acme/jwt-auth/versions/1.0.0/module.wasm');
      expect(byVersion.status).toBe(200);
      expect(byVersion.headers.get('content-type')).toBe('application/wasm');
      expect(byVersion.headers.get('etag')).toBe(`"${sha256(filterV1)}"`);
      expect(byVersion.bytes.equals(filterV1)).toBe(true);

      const byDigest = await api(registry.url, 'GET', `/api/v1/blobs/${sha256(filterV1)}`);
      expect(byDigest.status).toBe(200);
      expect(byDigest.bytes.equals(filterV1)).toBe(true);
      expect(byDigest.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(byDigest.headers.get('content-length')).toBe(String(filterV1.length));
      expect(byDigest.headers.get('repr-digest')).toBe(`sha-256=:${createHash('sha256').update(filterV1).digest('base64')}:`);
    });

    it('answers If-None-Match with 304 and Range with 206', async () => {
      const path = `/api/v1/blobs/${sha256(filterV1)}`;
      const notModified = await api(registry.url, 'GET', path, { headers: { 'if-none-match': `"${sha256(filterV1)}"` } });
      expect(notModified.status).toBe(304);
      expect(notModified.bytes.length).toBe(0);
      const changed = await api(registry.url, 'GET', path, { headers: { 'if-none-match': '"sha256:other"' } });
      expect(changed.status).toBe(200);

      const partial = await api(registry.url, 'GET', path, { headers: { range: 'bytes=4-11' } });
      expect(partial.status).toBe(206);
      expect(partial.headers.get('content-range')).toBe(`bytes 4-11/${filterV1.length}`);
      expect(partial.bytes.equals(filterV1.subarray(4, 12))).toBe(true);

      const tail = await api(registry.url, 'GET', path, { headers: { range: 'bytes=-5' } });
      expect(tail.bytes.equals(filterV1.subarray(-5))).toBe(true);

      const outside = await api(registry.url, 'GET', path, { headers: { range: `bytes=${filterV1.length}-` } });
      expectProblem(outside, 416, 'range_not_satisfiable');
      expect(outside.headers.get('content-range')).toBe(`bytes */${filterV1.length}`);
    });

    it('answers HEAD with the headers and no body', async () => {
      const head = await api(registry.url, 'HEAD', `/api/v1/blobs/${sha256(filterV1)}`);
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(filterV1.length));
      expect(head.headers.get('etag')).toBe(`"${sha256(filterV1)}"`);
      expect(head.bytes.length).toBe(0);
    });

    it('answers unknown digests, versions and malformed digests with problems', async () => {
      expectProblem(await api(registry.url, 'GET', `/api/v1/blobs/sha256:${'0'.repeat(64)}`), 404, 'blob_not_found');
      expectProblem(await api(registry.url, 'GET', '/api/v1/blobs/sha256:xyz'), 400, 'invalid_input');
      expectProblem(await api(registry.url, 'GET', '/api/v1/plugins/acme/jwt-auth/versions/9.9.9/module.wasm'), 404, 'version_not_found');
      expectProblem(await api(registry.url, 'GET', '/api/v1/plugins/acme/nope'), 404, 'plugin_not_found');
      expectProblem(await api(registry.url, 'GET', '/api/v1/no/such/route'), 404, 'not_found');
    });
  });

  describe('tokens and namespaces', () => {
    let teamToken: string;
    let teamTokenId: string;

    it('lets an admin create a namespace and issue a token scoped to it; only its hash is stored', async () => {
      expect((await api(registry.url, 'PUT', '/api/v1/namespaces/team', { token: admin })).status).toBe(201);
      expect((await api(registry.url, 'PUT', '/api/v1/namespaces/team', { token: admin })).status).toBe(200);
      const issued = await api(registry.url, 'POST', '/api/v1/tokens', { token: admin, json: { name: 'team CI', namespaces: ['team'] } });
      expect(issued.status).toBe(201);
      expect(issued.json).toMatchObject({ name: 'team CI', namespaces: ['team'], admin: false, revokedAt: null });
      teamToken = issued.json.token;
      teamTokenId = issued.json.id;
      expect(teamToken).toMatch(/^wpr_[A-Za-z0-9_-]{43}$/);
      expect(teamToken.startsWith(issued.json.tokenPrefix)).toBe(true);
      const listed = await api(registry.url, 'GET', '/api/v1/tokens', { token: admin });
      expect(listed.text).not.toContain(teamToken);
      expect(listed.json.map((t: { id: string }) => t.id)).toContain(teamTokenId);
    });

    it('lets a scoped token publish into its namespace only (403 elsewhere) and not administer', async () => {
      const own = await api(registry.url, 'PUT', '/api/v1/plugins/team/rate-limit/versions/0.1.0', { body: filterV2, token: teamToken });
      expect(own.status).toBe(202);
      const other = await api(registry.url, 'PUT', '/api/v1/plugins/acme/rate-limit/versions/0.1.0', { body: filterV2, token: teamToken });
      expectProblem(other, 403, 'forbidden');
      expectProblem(await api(registry.url, 'GET', '/api/v1/tokens', { token: teamToken }), 403, 'forbidden');
      expectProblem(await api(registry.url, 'PUT', '/api/v1/namespaces/mine', { token: teamToken }), 403, 'forbidden');
    });

    it('refuses tokens for namespaces that do not exist, and bad token requests', async () => {
      const missing = await api(registry.url, 'POST', '/api/v1/tokens', { token: admin, json: { name: 'x', namespaces: ['ghost'] } });
      expectProblem(missing, 404, 'namespace_not_found');
      const bad = await api(registry.url, 'POST', '/api/v1/tokens', { token: admin, json: { name: '', admin: 'yes', expiresAt: 'soon' } });
      expectProblem(bad, 400, 'invalid_input');
      expect(bad.json.errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.admin', 'body.expiresAt', 'body.name']);
    });

    it('stops accepting a revoked token', async () => {
      const revoked = await api(registry.url, 'DELETE', `/api/v1/tokens/${teamTokenId}`, { token: admin });
      expect(revoked.status).toBe(200);
      expect(revoked.json.revokedAt).not.toBeNull();
      const refused = await api(registry.url, 'PUT', '/api/v1/plugins/team/rate-limit/versions/0.2.0', { body: filterV1, token: teamToken });
      expectProblem(refused, 401, 'unauthenticated');
      expect(refused.json.detail).toContain('revoked');
    });
  });

  describe('plugin metadata', () => {
    it('creates and replaces metadata, and lists the plugin', async () => {
      const metadata = {
        description: 'Verifies JWTs at the edge',
        license: 'Apache-2.0',
        homepage: 'https://example.com/jwt',
        repository: 'https://github.com/acme/jwt-auth',
        keywords: ['jwt', 'oidc'],
        categories: ['authentication-authorization', 'security'],
      };
      const created = await api(registry.url, 'PUT', '/api/v1/plugins/acme/new-plugin', { token: admin, json: metadata });
      expect(created.status).toBe(201);
      const replaced = await api(registry.url, 'PUT', '/api/v1/plugins/acme/jwt-auth', { token: admin, json: metadata });
      expect(replaced.status).toBe(200);
      expect(replaced.json).toMatchObject({ ...metadata, namespace: 'acme', name: 'jwt-auth', latestVersion: '1.0.0' });
      const detail = await api(registry.url, 'GET', '/api/v1/plugins/acme/jwt-auth');
      expect(detail.json.versions.map((v: { version: string }) => v.version)).toEqual(['1.0.0']);
      // team/rate-limit 0.1.0, published by an earlier test, is listed once its pipeline is done (slower on a busy machine).
      await waitFor(() => api(registry.url, 'GET', '/api/v1/plugins/team/rate-limit/versions/0.1.0'), (r) => r.json.status !== 'pending', 30_000);
      const page = await api(registry.url, 'GET', '/api/v1/plugins?sort=name&limit=2');
      expect(page.json.items.map((p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`)).toEqual(['acme/big', 'acme/jwt-auth']);
      const next = await api(registry.url, 'GET', `/api/v1/plugins?sort=name&limit=2&cursor=${page.json.nextCursor}`);
      // acme/new-plugin has no ready version: hidden from the catalog, reachable by name.
      expect(next.json.items.map((p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`)).toEqual(['team/rate-limit']);
      expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/new-plugin')).json).toMatchObject({ latestVersion: null, versions: [] });
      expect(next.json.nextCursor).toBeNull();
    });

    it('refuses an unknown category, listing the valid ones', async () => {
      const response = await api(registry.url, 'PUT', '/api/v1/plugins/acme/jwt-auth', { token: admin, json: { categories: ['waf'] } });
      expectProblem(response, 400, 'invalid_input');
      expect(response.json.errors[0]).toMatchObject({ field: 'body.categories[0]', message: expect.stringContaining('traffic-management') });
      expectProblem(await api(registry.url, 'GET', '/api/v1/plugins?limit=500'), 400, 'invalid_input');
      expectProblem(await api(registry.url, 'GET', '/api/v1/plugins?cursor=garbage'), 400, 'invalid_input');
    });

    it('answers malformed JSON with a problem', async () => {
      const response = await fetch(`${registry.url}/api/v1/plugins/acme/jwt-auth`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
        body: '{"description": ',
      });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(((await response.json()) as { code: string }).code).toBe('invalid_json');
    });
  });
});
