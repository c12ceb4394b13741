import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchangeRaw, getAndReset, repeatChunks, sendChunked, type RawResponse } from '../testing/http-client.js';
import { startPostgres, type PostgresServer } from '../testing/postgres-server.js';
import { startRedis, type RedisServer } from '../testing/redis-server.js';
import { startRegistry, type RunningRegistry, errorLogLines } from '../testing/registry-process.js';
import { PADDING_BYTE, paddedModule, paddedModuleLayout, proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { api, expectProblem, PROBLEM_JSON, settledVersion, storedFiles, waitFor, type Json } from './support.js';

const MiB = 1024 * 1024;
const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const BOUNDARY = 'slow-clients-boundary';
const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;
const filePartHead = (name: string): string =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"; filename="${name}.wasm"\r\nContent-Type: application/wasm\r\n\r\n`;
const fieldPart = (name: string, value: string): string => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;

function expectRawProblem(response: RawResponse | null, status: number, code: string): Json {
  expect(response, 'the server answered before closing').not.toBeNull();
  expect({ status: response!.status, type: response!.headers['content-type'] }).toEqual({ status, type: expect.stringContaining(PROBLEM_JSON) });
  // Written straight to the socket, past Fastify's hooks: the security headers must still be there.
  expect({ nosniff: response!.headers['x-content-type-options'], csp: response!.headers['content-security-policy'] }).toEqual({
    nosniff: 'nosniff',
    csp: expect.stringContaining("default-src 'none'"),
  });
  const body = JSON.parse(response!.body.toString('utf8')) as Json;
  expect(body).toMatchObject({ status, code, type: expect.stringContaining(code), title: expect.any(String), detail: expect.any(String) });
  return body;
}

/** The distribution spec's error body, whatever produced the answer. */
function expectOciError(contentType: string | null | undefined, text: string, code: string): void {
  expect(contentType).toMatch(/^application\/json/);
  const body = JSON.parse(text) as Json;
  expect(Object.keys(body)).toEqual(['errors']);
  expect(body.errors).toEqual([{ code, message: expect.any(String), detail: expect.any(Object) }]);
}

/** The API process's resident memory, and its peak since the last reset (Linux /proc). */
const memory = {
  rss: (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024,
  peak: (pid: number): number => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024,
  resetPeak: (pid: number): void => writeFileSync(`/proc/${pid}/clear_refs`, '5'),
};

/** Lines the API logged at ERROR since `from` (an offset into its output). */
const errorLines = (registry: RunningRegistry, from: number): string[] => errorLogLines(registry.output().slice(from));

describe('slow and hostile clients of the embedded registry (short timeouts)', () => {
  let registry: RunningRegistry;
  let admin: string;
  let storageRoot: string;
  const uploadsLeft = async (): Promise<string[]> => (await storedFiles(storageRoot)).filter((file) => file.startsWith('uploads/'));
  // Verify is limited per client address; TRUST_PROXY=loopback lets each test be its own client.
  let nextClient = 1;
  const asClient = (): Record<string, string> => ({ 'x-forwarded-for': `198.51.100.${nextClient++}` });

  beforeAll(async () => {
    registry = await startRegistry({
      HTTP_IDLE_TIMEOUT_MS: '1000',
      HTTP_HEADERS_TIMEOUT_MS: '1000',
      TRUST_PROXY: 'loopback',
      VERIFY_RATE_LIMIT_MAX: '3',
      LOG_LEVEL: 'debug',
    });
    admin = registry.adminToken;
    storageRoot = join(registry.dataDir, 'storage');
    const published = await api(registry.url, 'PUT', '/api/v1/plugins/acme/signed/versions/1.0.0', { body: await proxyWasmFilter('signed'), token: admin });
    expect(published.status).toBe(202);
    expect((await settledVersion(registry.url, 'acme', 'signed', '1.0.0')).status).toBe('ready');
  });
  afterAll(async () => {
    await registry?.stop();
  });

  describe('lengths: what the validators accept, the router routes', () => {
    it('publishes and serves a version of 128 characters, over the API and as an OCI tag', async () => {
      const version = `1.0.0-${'a'.repeat(122)}`;
      expect(version).toHaveLength(128);
      const published = await api(registry.url, 'PUT', `/api/v1/plugins/acme/long/versions/${version}`, { body: await proxyWasmFilter('long'), token: admin });
      expect(published.status).toBe(202);
      expect((await settledVersion(registry.url, 'acme', 'long', version)).status).toBe('ready');
      expect((await api(registry.url, 'GET', `/v2/acme/long/manifests/${version}`)).status).toBe(200);
      expect((await api(registry.url, 'GET', '/v2/acme/long/tags/list')).json.tags).toContain(version);
    });

    it('refuses a version of 129 characters with a 400 that names the field and the limit', async () => {
      const version = `1.0.0-${'a'.repeat(123)}`;
      const refused = await api(registry.url, 'PUT', `/api/v1/plugins/acme/long/versions/${version}`, { body: await proxyWasmFilter('longer'), token: admin });
      expectProblem(refused, 400, 'invalid_input');
      expect(refused.json.errors).toEqual([{ field: 'path.version', message: expect.stringContaining('at most 128 characters') }]);
    });

    it('publishes a plugin name of 64 characters and refuses 65 by its validator', async () => {
      const name = `p${'x'.repeat(63)}`;
      expect((await api(registry.url, 'PUT', `/api/v1/plugins/acme/${name}/versions/1.0.0`, { body: await proxyWasmFilter('name-64'), token: admin })).status).toBe(202);
      const refused = await api(registry.url, 'PUT', `/api/v1/plugins/acme/${name}x/versions/1.0.0`, { body: await proxyWasmFilter('name-65'), token: admin });
      expectProblem(refused, 400, 'invalid_input');
      expect(refused.json.errors[0].field).toBe('path.name');
    });

    it('states the same limits in the OpenAPI document', async () => {
      const document = (await api(registry.url, 'GET', '/api/openapi.json')).json;
      const parameters = document.paths['/api/v1/plugins/{namespace}/{name}/versions/{version}'].put.parameters as Json[];
      const schemaOf = (name: string) => parameters.find((p) => p.name === name)!.schema;
      expect(schemaOf('version')).toMatchObject({ maxLength: 128 });
      expect(schemaOf('name')).toMatchObject({ maxLength: 64, pattern: '^[a-z0-9][a-z0-9-]{0,63}$' });
    });
  });

  describe('framework errors answer in the format of their surface', () => {
    const tooLong = '9'.repeat(300);

    it('answers a path segment longer than any name, version or digest with 414: problem+json, OCI error, HTML page', async () => {
      const onApi = await api(registry.url, 'GET', `/api/v1/plugins/acme/long/versions/${tooLong}`);
      expectProblem(onApi, 414, 'uri_too_long');
      // The router answers before any hook runs; the error path adds the security headers itself.
      expect([onApi.headers.get('x-frame-options'), onApi.headers.get('x-content-type-options')]).toEqual(['DENY', 'nosniff']);
      expect(onApi.json.detail).toContain('versions and OCI tags at most 128');
      const onOci = await api(registry.url, 'GET', `/v2/acme/long/manifests/${tooLong}`);
      expect(onOci.status).toBe(414);
      expectOciError(onOci.headers.get('content-type'), onOci.text, 'NAME_INVALID');
      const onPage = await api(registry.url, 'GET', `/plugins/acme/long/${tooLong}`, { headers: { accept: 'text/html' } });
      expect([onPage.status, onPage.headers.get('content-type')]).toEqual([414, 'text/html; charset=utf-8']);
      expect(onPage.text).toContain('<html');
    });

    it('answers a path that is not a valid URL with 400 in each format', async () => {
      expectProblem(await api(registry.url, 'GET', '/api/v1/plugins/acme/%zz'), 400, 'invalid_url');
      const onOci = await api(registry.url, 'GET', '/v2/acme/%zz/tags/list');
      expect(onOci.status).toBe(400);
      expectOciError(onOci.headers.get('content-type'), onOci.text, 'NAME_INVALID');
      const onPage = await api(registry.url, 'GET', '/plugins/acme/%zz', { headers: { accept: 'text/html' } });
      expect([onPage.status, onPage.headers.get('content-type')]).toEqual([400, 'text/html; charset=utf-8']);
    });

    it('answers a JSON body over the limit with 413 in each format, before reading it', async () => {
      // Only the head and a few bytes: the declared length alone is refused, so no answer waits for the rest.
      const declaring = (path: string, token = '') =>
        exchangeRaw(registry.url, (socket) =>
          socket.write(`PUT ${path} HTTP/1.1\r\nHost: x\r\n${token && `Authorization: Bearer ${token}\r\n`}Content-Type: application/json\r\nContent-Length: ${2 * MiB}\r\n\r\n{"description": "`),
        );
      expectRawProblem((await declaring('/api/v1/plugins/acme/signed', admin)).response, 413, 'body_too_large');
      const onOci = (await declaring('/v2/acme/signed/manifests/9.9.9')).response!;
      expect(onOci.status).toBe(413);
      expectOciError(onOci.headers['content-type'] as string, onOci.body.toString(), 'UNKNOWN');
    });

    it('answers a request that is not valid HTTP with 400: problem+json, or an OCI error on /v2', async () => {
      const malformed = (path: string) => exchangeRaw(registry.url, (socket) => socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nNot a header\r\n\r\n`));
      const onApi = await malformed('/api/v1/plugins');
      expect(onApi.connection).toBe('closed');
      expect(expectRawProblem(onApi.response, 400, 'bad_request').detail).toContain('not valid HTTP/1.1');
      const onOci = (await malformed('/v2/acme/signed/tags/list')).response!;
      expect(onOci.status).toBe(400);
      expectOciError(onOci.headers['content-type'] as string, onOci.body.toString(), 'UNKNOWN');
    });

    it('answers headers over the size limit with 431: problem+json, or an OCI error on /v2', async () => {
      const oversized = (path: string) =>
        exchangeRaw(registry.url, (socket) => socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`));
      const onApi = await oversized('/api/v1/plugins');
      expect(expectRawProblem(onApi.response, 431, 'headers_too_large').detail).toContain('16384 bytes');
      const onOci = (await oversized('/v2/acme/signed/tags/list')).response!;
      expect(onOci.status).toBe(431);
      expectOciError(onOci.headers['content-type'] as string, onOci.body.toString(), 'UNKNOWN');
    });
  });

  describe('timeouts', () => {
    it('cuts a publish whose body stops arriving: 408 problem+json, no version, no temporary upload left', async () => {
      const module = await paddedModule(512 * 1024, 'stalled');
      const result = await exchangeRaw(registry.url, (socket) => {
        socket.write(
          `PUT /api/v1/plugins/acme/stalled/versions/1.0.0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}\r\n` +
            `Content-Type: application/wasm\r\nContent-Length: ${module.length}\r\n\r\n`,
        );
        socket.write(module.subarray(0, 128 * 1024)); // and then nothing
      });
      expect(result.connection).toBe('closed');
      expect(expectRawProblem(result.response, 408, 'request_timeout').detail).toContain('no byte of the request body arrived for 1000 ms');
      expect(await waitFor(uploadsLeft, (files) => files.length === 0)).toEqual([]);
      expectProblem(await api(registry.url, 'GET', '/api/v1/plugins/acme/stalled/versions/1.0.0'), 404, 'plugin_not_found');
    });

    it('cuts a multipart publish whose module part stops arriving, and cleans up', async () => {
      const module = await paddedModule(512 * 1024, 'stalled-multipart');
      const result = await exchangeRaw(registry.url, (socket) => {
        socket.write(`PUT /api/v1/plugins/acme/stalled/versions/1.0.0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}\r\nContent-Type: ${MULTIPART}\r\nContent-Length: ${module.length + 1000}\r\n\r\n`);
        socket.write(filePartHead('module'));
        socket.write(module.subarray(0, 128 * 1024));
      });
      expectRawProblem(result.response, 408, 'request_timeout');
      expect(await waitFor(uploadsLeft, (files) => files.length === 0)).toEqual([]);
      expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/stalled/versions/1.0.0')).status).toBe(404);
    });

    it('cuts an anonymous verify whose module stops arriving', async () => {
      const result = await exchangeRaw(registry.url, (socket) => {
        socket.write(`POST /api/v1/verify HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: ${asClient()['x-forwarded-for']}\r\nContent-Type: ${MULTIPART}\r\nContent-Length: ${50 * MiB}\r\n\r\n`);
        socket.write(filePartHead('module'));
        socket.write(Buffer.alloc(256 * 1024, PADDING_BYTE));
      });
      expect(result.connection).toBe('closed');
      expectRawProblem(result.response, 408, 'request_timeout');
    });

    it('cuts a client that trickles its headers (slowloris) with 408', async () => {
      let trickle: NodeJS.Timeout | undefined;
      const result = await exchangeRaw(registry.url, (socket) => {
        socket.write('GET /api/v1/plugins HTTP/1.1\r\nHost: x\r\n');
        // A header line well within the idle timeout each time: only the headers deadline stops this.
        let n = 0;
        trickle = setInterval(() => socket.writable && socket.write(`X-Slow-${n++}: a\r\n`), 200);
      });
      clearInterval(trickle);
      expect(result.connection).toBe('closed');
      expect(expectRawProblem(result.response, 408, 'request_timeout').detail).toContain('headers were not received within 1000 ms');
    });

    let unreadDigest: string;

    it('closes a download whose client stops reading', async () => {
      const module = await paddedModule(24 * MiB, 'unread');
      unreadDigest = sha256(module);
      expect((await api(registry.url, 'PUT', '/api/v1/plugins/acme/unread/versions/1.0.0', { body: module, token: admin })).status).toBe(202);
      const { hostname, port } = new URL(registry.url);
      const socket = connect(Number(port), hostname);
      socket.write(`GET /api/v1/blobs/${sha256(module)} HTTP/1.1\r\nHost: x\r\n\r\n`);
      socket.pause(); // reads nothing: the server's writes stall once the socket buffers are full
      await new Promise((r) => setTimeout(r, 5000));
      let received = 0;
      const ended = await new Promise<string>((resolve) => {
        socket.on('data', (chunk: Buffer) => (received += chunk.length));
        socket.on('close', () => resolve('closed'));
        setTimeout(() => resolve('open'), 20_000);
        socket.resume();
      });
      socket.destroy();
      expect(ended).toBe('closed');
      expect(received).toBeLessThan(module.length);
    });

    it('logs a client that went away (aborted uploads and downloads) without an ERROR line', async () => {
      const from = registry.output().length;
      const module = await paddedModule(512 * 1024, 'aborted');
      const pieces = Array.from({ length: 16 }, (_, i) => module.subarray(i * 32 * 1024, (i + 1) * 32 * 1024));
      const slowly = async function* (parts: Buffer[]) {
        for (const part of parts) {
          yield part;
          await new Promise((r) => setTimeout(r, 10));
        }
      };
      const aborted = await Promise.all([
        sendChunked(`${registry.url}/api/v1/plugins/acme/aborted/versions/1.0.0`, {
          headers: { 'content-type': 'application/wasm', authorization: `Bearer ${admin}`, 'content-length': String(module.length) },
          chunks: slowly(pieces),
          abortAfterChunks: 6,
        }),
        sendChunked(`${registry.url}/api/v1/plugins/acme/aborted/versions/1.0.0`, {
          headers: { 'content-type': MULTIPART, authorization: `Bearer ${admin}` },
          chunks: slowly([Buffer.from(filePartHead('module')), ...pieces]),
          abortAfterChunks: 6,
        }),
        sendChunked(`${registry.url}/api/v1/verify`, {
          method: 'POST',
          headers: { 'content-type': MULTIPART, ...asClient() },
          chunks: slowly([Buffer.from(filePartHead('module')), ...pieces]),
          abortAfterChunks: 6,
        }),
      ]);
      expect(aborted).toEqual(['connection-reset', 'connection-reset', 'connection-reset']);
      const download = await getAndReset(registry.url, `/api/v1/blobs/${unreadDigest}`, 1024 * 1024);
      expect(download.status).toBe(200);
      // The aborts were seen (at debug level), and none of them was an error.
      const seen = await waitFor(
        async () => registry.output().slice(from),
        (output) => (output.match(/the client went away/g) ?? []).length >= 3,
      );
      expect((seen.match(/the client went away/g) ?? []).length).toBeGreaterThanOrEqual(3);
      expect(errorLines(registry, from)).toEqual([]);
      expect(await waitFor(uploadsLeft, (files) => files.length === 0)).toEqual([]);
    });
  });

  describe('verify uploads', () => {
    it('refuses a bundle part over 1 MiB without reading it whole', async () => {
      const response = await sendChunked(`${registry.url}/api/v1/verify`, {
        method: 'POST',
        headers: { 'content-type': MULTIPART, ...asClient() },
        chunks: (async function* () {
          yield Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="bundle"; filename="bundle.json"\r\n\r\n`);
          yield* repeatChunks(Buffer.alloc(MiB, 0x20), 8);
        })(),
      });
      expect(response).not.toBe('connection-reset');
      const problem = JSON.parse((response as RawResponse).body.toString()) as Json;
      expect(problem).toMatchObject({ status: 400, code: 'invalid_input', errors: [{ field: 'body.bundle', message: `is larger than ${MiB} bytes` }] });
    });
  });

  describe('the verify rate limit', () => {
    it('answers 429 problem+json with Retry-After once an address has used its requests, per address', async () => {
      const client = asClient();
      for (let i = 0; i < 3; i++) expectProblem(await api(registry.url, 'POST', '/api/v1/verify', { json: {}, headers: client }), 400, 'invalid_input');
      const limited = await api(registry.url, 'POST', '/api/v1/verify', { json: {}, headers: client });
      expectProblem(limited, 429, 'too_many_requests');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect([limited.headers.get('x-ratelimit-limit'), limited.headers.get('x-ratelimit-remaining')]).toEqual(['3', '0']);
      expect(limited.json.detail).toContain('POST /api/v1/verify');
      // Refused as the request arrives: the 429 comes at once, not the 408 a body that never comes would earn.
      const upload = await exchangeRaw(registry.url, (socket) => {
        socket.write(`POST /api/v1/verify HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: ${client['x-forwarded-for']}\r\nContent-Type: ${MULTIPART}\r\nContent-Length: ${50 * MiB}\r\n\r\n`);
        socket.write(filePartHead('module'));
      });
      expect(upload.connection).toBe('closed');
      expectRawProblem(upload.response, 429, 'too_many_requests');
      // Another address has its own count.
      expectProblem(await api(registry.url, 'POST', '/api/v1/verify', { json: {}, headers: asClient() }), 400, 'invalid_input');
    });

    it("does not count the web pages' own verifications: a page still verifies when its visitor's address is limited", async () => {
      // Without X-Forwarded-For the client is 127.0.0.1, the address in-process requests also carry.
      for (let i = 0; i < 4; i++) await api(registry.url, 'POST', '/api/v1/verify', { json: {} });
      expect((await api(registry.url, 'POST', '/api/v1/verify', { json: {} })).status).toBe(429);
      const page = await api(registry.url, 'GET', '/plugins/acme/signed/1.0.0', { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(page.text).toContain('<strong>Verified</strong>: the signature covers exactly the module');
    });
  });
});

describe('verification streams the module (an 80 MiB module, each check in a fresh API process)', () => {
  const SIZE = 80 * MiB;
  // Holding the module would add at least SIZE (with 40 MiB, the buffering code added 63-80 MiB). Streaming adds
  // socket, parser and read buffers that V8 frees late, and its young generation grows by up to ~30 MiB whatever
  // the request (29.6 MiB was seen verifying by digest, which reads nothing from the client). A module twice that
  // growth keeps the two apart: three quarters of it is 60 MiB.
  const BUFFERED_BOUND = (SIZE * 3) / 4;
  let dataDir: string;
  let postgres: PostgresServer;
  let env: Record<string, string>;
  let digest: string;
  let smallDigest: string;
  let smallBundle: Json;
  let bundle: Json;
  const moduleChunks = async function* (): AsyncGenerator<Buffer> {
    const { head, fillerLength } = await paddedModuleLayout(SIZE, 'verified');
    yield head;
    for (let left = fillerLength; left > 0; left -= MiB) yield Buffer.alloc(Math.min(MiB, left), PADDING_BYTE);
  };
  /** Runs `verify` against a newly started API on the same data, and the growth of its peak RSS meanwhile. */
  const inFreshProcess = async <T>(verify: (registry: RunningRegistry) => Promise<T>): Promise<{ result: T; growth: number }> => {
    const registry = await startRegistry(env, { dataDir });
    try {
      // Warm up what the first verification loads lazily (code, keys, trusted root, pools).
      expect((await api(registry.url, 'POST', '/api/v1/verify', { json: { bundle: smallBundle, digest: smallDigest } })).json.verified).toBe(true);
      const pid = registry.process.pid!;
      const before = memory.rss(pid);
      memory.resetPeak(pid);
      const result = await verify(registry);
      return { result, growth: memory.peak(pid) - before };
    } finally {
      await registry.stop();
    }
  };

  beforeAll(async () => {
    // PostgreSQL rather than PGlite, whose in-process database would blur the API's own memory.
    [dataDir, postgres] = await Promise.all([mkdtemp(join(tmpdir(), 'verify-stream-')), startPostgres()]);
    env = { DATABASE_URL: postgres.url, MAX_MODULE_SIZE: String(SIZE + MiB) };
    // Published, analysed and signed by the registry's own pipeline; that process's memory is not measured.
    const registry = await startRegistry(env, { dataDir });
    try {
      const small = await api(registry.url, 'PUT', '/api/v1/plugins/acme/small/versions/1.0.0', { body: await proxyWasmFilter('small'), token: registry.adminToken });
      smallDigest = small.json.digest;
      const published = await sendChunked(`${registry.url}/api/v1/plugins/acme/verified/versions/1.0.0`, {
        headers: { 'content-type': 'application/wasm', authorization: `Bearer ${registry.adminToken}`, 'content-length': String(SIZE) },
        chunks: moduleChunks(),
      });
      expect(published).not.toBe('connection-reset');
      digest = JSON.parse((published as RawResponse).body.toString()).digest;
      expect((await settledVersion(registry.url, 'acme', 'verified', '1.0.0')).status).toBe('ready');
      bundle = (await api(registry.url, 'GET', '/api/v1/plugins/acme/verified/versions/1.0.0/signature')).json;
      expect((await settledVersion(registry.url, 'acme', 'small', '1.0.0')).status).toBe('ready');
      smallBundle = (await api(registry.url, 'GET', '/api/v1/plugins/acme/small/versions/1.0.0/signature')).json;
    } finally {
      await registry.stop();
    }
  });
  afterAll(async () => {
    await postgres?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('verifies an uploaded module without the API growing by anything like its size', async () => {
    const { result, growth } = await inFreshProcess((registry) =>
      sendChunked(`${registry.url}/api/v1/verify`, {
        method: 'POST',
        headers: { 'content-type': MULTIPART },
        chunks: (async function* () {
          // The module first, then the bundle: the signature check runs as the module goes by.
          yield Buffer.from(filePartHead('module'));
          yield* moduleChunks();
          yield Buffer.from(`\r\n${fieldPart('bundle', JSON.stringify(bundle))}--${BOUNDARY}--\r\n`);
        })(),
      }),
    );
    expect(result).not.toBe('connection-reset');
    expect(JSON.parse((result as RawResponse).body.toString())).toMatchObject({ verified: true, kind: 'message_signature', digest });
    expect(growth, `peak RSS grew by ${(growth / MiB).toFixed(1)} MiB`).toBeLessThan(BUFFERED_BOUND);
  });

  it('verifies the stored module by digest without reading it into memory', async () => {
    const { result, growth } = await inFreshProcess((registry) => api(registry.url, 'POST', '/api/v1/verify', { json: { bundle, digest } }));
    expect(result.json).toMatchObject({ verified: true, kind: 'message_signature', digest });
    expect(growth, `peak RSS grew by ${(growth / MiB).toFixed(1)} MiB`).toBeLessThan(BUFFERED_BOUND);
  });
});

describe('a registry with a short whole-request deadline', () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ HTTP_REQUEST_TIMEOUT_MS: '2000', HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_IDLE_TIMEOUT_MS: '1000' });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('cuts a publish that trickles its body (never idle long enough to be cut for that) with 408, leaving no upload', async () => {
    const module = await paddedModule(256 * 1024, 'trickled');
    let trickle: NodeJS.Timeout | undefined;
    const result = await exchangeRaw(registry.url, (socket) => {
      socket.write(
        `PUT /api/v1/plugins/acme/trickled/versions/1.0.0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${registry.adminToken}\r\n` +
          `Content-Type: application/wasm\r\nContent-Length: ${module.length}\r\n\r\n`,
      );
      let at = 0;
      trickle = setInterval(() => {
        if (socket.writable && at < module.length) socket.write(module.subarray(at, (at += 1024)));
      }, 200);
    });
    clearInterval(trickle);
    expect(result.connection).toBe('closed');
    expect(expectRawProblem(result.response, 408, 'request_timeout').detail).toBe('the request was not received within 2000 ms');
    const files = await waitFor(
      () => storedFiles(join(registry.dataDir, 'storage')),
      (found) => found.length === 0,
    );
    expect(files).toEqual([]);
  });
});

describe('API processes sharing Redis', () => {
  let redis: RedisServer;
  let registries: RunningRegistry[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    // No worker: published versions stay pending, which gives the long poll something to wait for.
    const env = { REDIS_URL: redis.url, VERIFY_RATE_LIMIT_MAX: '4', HTTP_IDLE_TIMEOUT_MS: '500' };
    registries = await Promise.all([startRegistry(env), startRegistry(env)]);
  });
  afterAll(async () => {
    await Promise.all(registries.map((r) => r.stop()));
    await redis?.stop();
  });

  it('count verify requests together, so two processes allow the limit once; X-Forwarded-For is not believed by default', async () => {
    const [a, b] = registries as [RunningRegistry, RunningRegistry];
    const verify = (registry: RunningRegistry, spoofed: string) => api(registry.url, 'POST', '/api/v1/verify', { json: {}, headers: { 'x-forwarded-for': spoofed } });
    for (const [registry, spoofed] of [[a, '203.0.113.1'], [b, '203.0.113.2'], [a, '203.0.113.3'], [b, '203.0.113.4']] as const) {
      expectProblem(await verify(registry, spoofed), 400, 'invalid_input');
    }
    expectProblem(await verify(a, '203.0.113.5'), 429, 'too_many_requests');
    expectProblem(await verify(b, '203.0.113.6'), 429, 'too_many_requests');
  });

  it('answer a long poll that is silent for longer than the idle timeout', async () => {
    const [a] = registries as [RunningRegistry];
    expect((await api(a.url, 'PUT', '/api/v1/plugins/acme/waiting/versions/1.0.0', { body: await proxyWasmFilter('waiting'), token: a.adminToken })).status).toBe(202);
    const waited = await api(a.url, 'GET', '/api/v1/plugins/acme/waiting/versions/1.0.0?wait=2');
    expect([waited.status, waited.json.status]).toEqual([200, 'pending']);
  });
});
