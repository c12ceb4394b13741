import { createConnection } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, compatImage, jwtClaims, linuxContainerImage, tarLayer, OCI_MEDIA, OciPusher, referrerManifest, request, sha256, wasmOciImage, type OciAnswer } from '../testing/oci-push-client.js';
import { startPostgres, type PostgresServer } from '../testing/postgres-server.js';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { registryS3Env, startTestS3Server, type TestS3Server } from '../testing/s3-server.js';
import { paddedModule, proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { api, settledVersion, storedFiles, waitFor } from './support.js';

/**
 * OCI push request by request, as the distribution spec (v1.1) describes it and its conformance suite
 * walks it (push, pull, content discovery, content management), against the embedded registry. The suite
 * itself is Go and cannot be fetched here; these are our own tests of the same checks (README: OCI push).
 */

const MAX_MODULE_SIZE = 4 * 1024 * 1024;

/** The distribution spec's error body: `{"errors":[{code, message, detail}]}`. */
function expectOciError(answer: OciAnswer, status: number, code: string): string {
  expect({ status: answer.status, body: answer.text }).toMatchObject({ status });
  expect(answer.headers.get('content-type')).toContain('application/json');
  expect(Object.keys(answer.json)).toEqual(['errors']);
  expect(answer.json.errors[0]).toMatchObject({ code, message: expect.any(String) });
  expect(answer.text).not.toMatch(/\s+at\s+\S+\s+\(|node_modules/);
  return answer.json.errors[0].message as string;
}

describe('OCI push (/v2), request by request', () => {
  let registry: RunningRegistry;
  let admin: string;
  let acmeToken: string;
  let base: string;
  let host: string;
  const v2 = (method: string, path: string, options: Parameters<typeof request>[3] = {}) => request(base, method, `/v2/${path}`, options);

  beforeAll(async () => {
    registry = await startRegistry({ MAX_MODULE_SIZE: String(MAX_MODULE_SIZE), DOWNLOAD_FLUSH_INTERVAL_MS: '50' });
    base = registry.url;
    admin = registry.adminToken;
    host = `127.0.0.1:${registry.port}`;
    for (const namespace of ['acme', 'edge']) expect((await api(base, 'PUT', `/api/v1/namespaces/${namespace}`, { token: admin })).status).toBe(201);
    acmeToken = (await api(base, 'POST', '/api/v1/tokens', { token: admin, json: { name: 'acme-ci', namespaces: ['acme'] } })).json.token;
  });

  afterAll(async () => {
    await registry?.stop();
  });

  describe('authentication, as OCI clients expect it', () => {
    it('answers the version check with a challenge naming the token endpoint, and 200 with any good credential', async () => {
      const bare = await v2('GET', '');
      expectOciError(bare, 401, 'UNAUTHORIZED');
      expect(bare.headers.get('www-authenticate')).toBe(`Bearer realm="http://${host}/v2/token",service="${host}"`);
      const anonymous = await request(base, 'GET', '/v2/token?service=x&scope=repository:acme/any:pull');
      expect(anonymous.status).toBe(200);
      expect((await v2('GET', '', { authorization: `Bearer ${anonymous.json.token}` })).status).toBe(200);
      expect((await v2('GET', '', { authorization: basic(acmeToken) })).headers.get('docker-distribution-api-version')).toBe('registry/2.0');
      expect((await v2('GET', '', { authorization: `Bearer ${acmeToken}` })).status).toBe(200);
      expectOciError(await v2('GET', '', { authorization: basic('wpr_not-a-token') }), 401, 'UNAUTHORIZED');
    });

    it('grants what was asked as far as the credential allows: pull to anyone, push into the token\'s namespaces', async () => {
      const asked = 'scope=repository:acme/jwt:pull,push&scope=repository:edge/other:pull,push&scope=registry:catalog:*';
      const anonymous = await request(base, 'GET', `/v2/token?service=${host}&${asked}`);
      expect(anonymous.json).toMatchObject({ token: expect.any(String), access_token: anonymous.json.token, expires_in: 300, issued_at: expect.any(String) });
      expect(jwtClaims(anonymous.json.token).access).toEqual([
        { type: 'repository', name: 'acme/jwt', actions: ['pull'] },
        { type: 'repository', name: 'edge/other', actions: ['pull'] },
      ]);
      const acme = await request(base, 'GET', `/v2/token?service=${host}&${asked}`, { authorization: basic(acmeToken) });
      expect(jwtClaims(acme.json.token).access).toEqual([
        { type: 'repository', name: 'acme/jwt', actions: ['pull', 'push'] },
        { type: 'repository', name: 'edge/other', actions: ['pull'] },
      ]);
      expect(jwtClaims(acme.json.token).exp - jwtClaims(acme.json.token).iat).toBe(300);
      expectOciError(await request(base, 'GET', `/v2/token?${asked}`, { authorization: basic('wpr_wrong') }), 401, 'UNAUTHORIZED');
    });

    it('refuses a push without a credential (401 with the push scope), with a pull-only token (401) and into another namespace (403)', async () => {
      const start = (authorization?: string) => v2('POST', 'acme/jwt/blobs/uploads/', authorization === undefined ? {} : { authorization });
      const bare = await start();
      expectOciError(bare, 401, 'UNAUTHORIZED');
      expect(bare.headers.get('www-authenticate')).toBe(`Bearer realm="http://${host}/v2/token",service="${host}",scope="repository:acme/jwt:pull,push"`);
      const pullOnly = (await request(base, 'GET', '/v2/token?scope=repository:acme/jwt:pull,push')).json.token;
      expectOciError(await start(`Bearer ${pullOnly}`), 401, 'UNAUTHORIZED');
      const edge = await v2('POST', 'edge/other/blobs/uploads/', { authorization: basic(acmeToken) });
      expect(expectOciError(edge, 403, 'DENIED')).toContain('edge');
      const scoped = (await request(base, 'GET', '/v2/token?scope=repository:acme/jwt:pull,push', { authorization: basic(acmeToken) })).json.token;
      expect((await start(`Bearer ${scoped}`)).status).toBe(202);
      // A token scoped to one repository pushes nowhere else, even in its namespace.
      expectOciError(await v2('POST', 'acme/other/blobs/uploads/', { authorization: `Bearer ${scoped}` }), 401, 'UNAUTHORIZED');
      expect(expectOciError(await v2('POST', 'nowhere/jwt/blobs/uploads/', { authorization: basic(acmeToken) }), 403, 'DENIED')).toContain('nowhere');
    });
  });

  describe('blob uploads', () => {
    const auth = () => ({ authorization: basic(acmeToken) });

    it('takes a monolithic upload (POST with digest), then answers HEAD and GET for it', async () => {
      const blob = Buffer.from('a monolithic blob');
      const stored = await v2('POST', `acme/blobs-a/blobs/uploads/?digest=${sha256(blob)}`, { ...auth(), body: blob });
      expect(stored.status).toBe(201);
      expect(stored.headers.get('location')).toBe(`/v2/acme/blobs-a/blobs/${sha256(blob)}`);
      expect(stored.headers.get('docker-content-digest')).toBe(sha256(blob));
      const head = await v2('HEAD', `acme/blobs-a/blobs/${sha256(blob)}`);
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(blob.length));
      expect((await v2('GET', `acme/blobs-a/blobs/${sha256(blob)}`)).bytes.equals(blob)).toBe(true);
    });

    it('takes POST then PUT with the blob as the body', async () => {
      const blob = Buffer.from('posted, then put');
      const session = await v2('POST', 'acme/blobs-a/blobs/uploads/', auth());
      expect(session.status).toBe(202);
      expect(session.headers.get('location')).toMatch(/^\/v2\/acme\/blobs-a\/blobs\/uploads\/[0-9a-f-]{36}$/);
      const done = await request(base, 'PUT', `${session.headers.get('location')}?digest=${sha256(blob)}`, { ...auth(), body: blob });
      expect(done.status).toBe(201);
      expect((await v2('GET', `acme/blobs-a/blobs/${sha256(blob)}`)).bytes.equals(blob)).toBe(true);
    });

    it('takes chunks in order, reports how far it is, refuses a chunk out of order and resumes', async () => {
      const blob = Buffer.from('0123456789'.repeat(5000));
      const [one, two, three] = [blob.subarray(0, 20_000), blob.subarray(20_000, 35_000), blob.subarray(35_000)];
      const session = (await v2('POST', 'acme/blobs-b/blobs/uploads/', auth())).headers.get('location')!;
      const first = await request(base, 'PATCH', session, { ...auth(), body: one, headers: { 'content-range': `0-${one.length - 1}` } });
      expect(first.status).toBe(202);
      expect(first.headers.get('range')).toBe(`0-${one.length - 1}`);
      const status = await request(base, 'GET', session, auth());
      expect(status.status).toBe(204);
      expect(status.headers.get('range')).toBe(`0-${one.length - 1}`);
      expect(status.headers.get('location')).toBe(session);
      // Out of order: the third chunk before the second.
      const skipped = await request(base, 'PATCH', session, { ...auth(), body: three, headers: { 'content-range': `35000-${blob.length - 1}` } });
      expectOciError(skipped, 416, 'BLOB_UPLOAD_INVALID');
      expect(skipped.headers.get('range') ?? '').toBe('');
      expect((await request(base, 'PATCH', session, { ...auth(), body: two, headers: { 'content-range': `20000-34999` } })).headers.get('range')).toBe('0-34999');
      // The last chunk may come with the PUT.
      const done = await request(base, 'PUT', `${session}?digest=${sha256(blob)}`, { ...auth(), body: three });
      expect(done.status).toBe(201);
      expect((await v2('GET', `acme/blobs-b/blobs/${sha256(blob)}`)).bytes.equals(blob)).toBe(true);
      expectOciError(await request(base, 'GET', session, auth()), 404, 'BLOB_UPLOAD_UNKNOWN');
    });

    it('refuses bytes that do not match their digest and keeps nothing of them', async () => {
      const blob = Buffer.from('these bytes');
      const claimed = sha256(Buffer.from('other bytes'));
      const refused = await v2('POST', `acme/blobs-c/blobs/uploads/?digest=${claimed}`, { ...auth(), body: blob });
      expect(expectOciError(refused, 400, 'DIGEST_INVALID')).toContain(sha256(blob));
      expect((await v2('HEAD', `acme/blobs-c/blobs/${claimed}`)).status).toBe(404);
      expect((await v2('HEAD', `acme/blobs-c/blobs/${sha256(blob)}`)).status).toBe(404);
      const session = (await v2('POST', 'acme/blobs-c/blobs/uploads/', auth())).headers.get('location')!;
      await request(base, 'PATCH', session, { ...auth(), body: blob });
      expectOciError(await request(base, 'PUT', `${session}?digest=${claimed}`, auth()), 400, 'DIGEST_INVALID');
      expectOciError(await request(base, 'GET', session, auth()), 404, 'BLOB_UPLOAD_UNKNOWN');
      expectOciError(await v2('POST', `acme/blobs-c/blobs/uploads/?digest=md5:abc`, { ...auth(), body: blob }), 400, 'DIGEST_INVALID');
      expect((await storedFiles(join(registry.dataDir, 'storage'))).filter((f) => f.includes('uploads'))).toEqual([]);
    });

    it('bounds a blob by the publishing limit, announced or streamed', async () => {
      const big = Buffer.alloc(MAX_MODULE_SIZE + 1, 1);
      const announced = await v2('POST', `acme/blobs-d/blobs/uploads/?digest=${sha256(big)}`, { ...auth(), body: big });
      expect(expectOciError(announced, 413, 'SIZE_INVALID')).toContain(String(MAX_MODULE_SIZE));
      const session = (await v2('POST', 'acme/blobs-d/blobs/uploads/', auth())).headers.get('location')!;
      expect((await request(base, 'PATCH', session, { ...auth(), body: big.subarray(0, MAX_MODULE_SIZE - 10) })).status).toBe(202);
      expectOciError(await request(base, 'PATCH', session, { ...auth(), body: big.subarray(0, 11) }), 413, 'SIZE_INVALID');
      // Streamed without a length: cut off once past the limit.
      const streamed = (await v2('POST', 'acme/blobs-d/blobs/uploads/', auth())).headers.get('location')!;
      const chunks = async function* () {
        for (let i = 0; i < 5; i++) yield Buffer.alloc(1024 * 1024, i);
      };
      const response = await fetch(`${base}${streamed}`, {
        method: 'PATCH',
        headers: { authorization: basic(acmeToken), 'content-type': 'application/octet-stream' },
        body: ReadableStreamFrom(chunks()),
        duplex: 'half',
      } as RequestInit);
      expect(response.status).toBe(413);
    });

    it('mounts a blob from another repository, and starts a session when the source has none', async () => {
      const blob = Buffer.from('shared between repositories');
      expect((await v2('POST', `acme/source/blobs/uploads/?digest=${sha256(blob)}`, { ...auth(), body: blob })).status).toBe(201);
      const mounted = await v2('POST', `acme/target/blobs/uploads/?mount=${sha256(blob)}&from=acme/source`, auth());
      expect(mounted.status).toBe(201);
      expect(mounted.headers.get('location')).toBe(`/v2/acme/target/blobs/${sha256(blob)}`);
      expect((await v2('GET', `acme/target/blobs/${sha256(blob)}`)).bytes.equals(blob)).toBe(true);
      const unknown = sha256(Buffer.from('never uploaded'));
      const fallback = await v2('POST', `acme/target/blobs/uploads/?mount=${unknown}&from=acme/source`, auth());
      expect(fallback.status).toBe(202);
      expect((await v2('HEAD', `acme/target/blobs/${unknown}`)).status).toBe(404);
    });

    it('cancels a session: its chunks are gone and it answers no more', async () => {
      const session = (await v2('POST', 'acme/blobs-e/blobs/uploads/', auth())).headers.get('location')!;
      const id = session.split('/').at(-1)!;
      await request(base, 'PATCH', session, { ...auth(), body: Buffer.from('a chunk to cancel') });
      expect((await storedFiles(join(registry.dataDir, 'storage'))).some((f) => f.includes(id))).toBe(true);
      expect((await request(base, 'DELETE', session, auth())).status).toBe(204);
      expectOciError(await request(base, 'PATCH', session, { ...auth(), body: Buffer.from('more') }), 404, 'BLOB_UPLOAD_UNKNOWN');
      expect((await storedFiles(join(registry.dataDir, 'storage'))).some((f) => f.includes(id))).toBe(false);
    });

    it('keeps a session as it was when a chunk is cut off mid-body, so the client resumes', async () => {
      const session = (await v2('POST', 'acme/blobs-f/blobs/uploads/', auth())).headers.get('location')!;
      const first = Buffer.alloc(10_000, 7);
      expect((await request(base, 'PATCH', session, { ...auth(), body: first })).status).toBe(202);
      // A PATCH that announces 1 MiB, sends 64 KiB and hangs up.
      await new Promise<void>((resolve, reject) => {
        const socket = createConnection(registry.port, '127.0.0.1', () => {
          socket.write(
            `PATCH ${session} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: ${basic(acmeToken)}\r\nContent-Type: application/octet-stream\r\nContent-Length: 1048576\r\n\r\n`,
          );
          socket.write(Buffer.alloc(65_536, 9), () => setTimeout(() => socket.destroy(), 200));
        });
        socket.on('close', () => resolve());
        socket.on('error', reject);
      });
      const status = await waitFor(() => request(base, 'GET', session, auth()), (r) => r.status === 204);
      expect(status.headers.get('range')).toBe('0-9999');
      const id = session.split('/').at(-1)!;
      await waitFor(() => storedFiles(join(registry.dataDir, 'storage')), (files) => files.filter((f) => f.includes(id)).length === 1);
      expect((await storedFiles(join(registry.dataDir, 'storage'))).filter((f) => f.includes(id))).toHaveLength(1);
      const rest = Buffer.alloc(5000, 8);
      expect((await request(base, 'PATCH', session, { ...auth(), body: rest, headers: { 'content-range': '10000-14999' } })).status).toBe(202);
      const whole = Buffer.concat([first, rest]);
      expect((await request(base, 'PUT', `${session}?digest=${sha256(whole)}`, auth())).status).toBe(201);
      expect((await v2('GET', `acme/blobs-f/blobs/${sha256(whole)}`)).bytes.equals(whole)).toBe(true);
    });

    it('lets only the token that started a session continue it, and never deletes blobs over OCI', async () => {
      const session = (await v2('POST', 'acme/blobs-g/blobs/uploads/', auth())).headers.get('location')!;
      expectOciError(await request(base, 'PATCH', session, { authorization: basic(admin), body: Buffer.from('x') }), 404, 'BLOB_UPLOAD_UNKNOWN');
      const blob = Buffer.from('kept');
      await v2('POST', `acme/blobs-g/blobs/uploads/?digest=${sha256(blob)}`, { ...auth(), body: blob });
      expectOciError(await v2('DELETE', `acme/blobs-g/blobs/${sha256(blob)}`, auth()), 405, 'UNSUPPORTED');
    });
  });

  describe('manifests', () => {
    const pusher = (repository: string) => new OciPusher(base, repository, basic(acmeToken));

    it('creates a version from a Wasm image pushed by tag, serves the manifest byte for byte and pins it, with the registry\'s referrers about it', async () => {
      const module = await proxyWasmFilter('pushed-1');
      const image = wasmOciImage(module, { 'org.opencontainers.image.description': 'A pushed filter', 'org.opencontainers.image.licenses': 'Apache-2.0' });
      const pushed = await pusher('acme/pushed').image('1.0.0', image);
      expect(pushed.status).toBe(201);
      expect(pushed.headers.get('docker-content-digest')).toBe(sha256(image.manifest));
      expect(pushed.headers.get('location')).toBe(`/v2/acme/pushed/manifests/${sha256(image.manifest)}`);
      const version = await settledVersion(base, 'acme', 'pushed', '1.0.0');
      expect(version).toMatchObject({ status: 'ready', digest: sha256(module), size: module.length });
      expect(version.pinned.oci).toMatchObject({ manifestDigest: sha256(image.manifest), sha256: sha256(image.manifest).slice(7) });
      for (const reference of ['1.0.0', 'v1.0.0', sha256(image.manifest), 'latest']) {
        const pulled = await v2('GET', `acme/pushed/manifests/${reference}`);
        expect(pulled.status).toBe(200);
        expect(pulled.bytes.equals(image.manifest)).toBe(true);
        expect(pulled.headers.get('content-type')).toBe(OCI_MEDIA.imageManifest);
      }
      expect((await v2('GET', `acme/pushed/blobs/${sha256(image.config)}`)).bytes.equals(image.config)).toBe(true);
      expect((await v2('GET', `acme/pushed/blobs/${sha256(module)}`)).bytes.equals(module)).toBe(true);
      const referrers = (await v2('GET', `acme/pushed/referrers/${sha256(image.manifest)}`)).json;
      expect(referrers.manifests.map((m: { artifactType: string }) => m.artifactType).sort()).toEqual([
        'application/vnd.cyclonedx+json',
        'application/vnd.dev.sigstore.bundle.v0.3+json',
        'application/vnd.dev.sigstore.bundle.v0.3+json',
      ]);
      for (const entry of referrers.manifests) {
        expect(entry.annotations['io.wasm-plugin-registry.supplied-by']).toBe('registry');
        expect((await v2('GET', `acme/pushed/manifests/${entry.digest}`)).json.subject).toEqual({ mediaType: OCI_MEDIA.imageManifest, digest: sha256(image.manifest), size: image.manifest.length });
      }
      const plugin = (await api(base, 'GET', '/api/v1/plugins/acme/pushed')).json;
      expect(plugin).toMatchObject({ description: 'A pushed filter', license: 'Apache-2.0' });
    });

    it('analyses a pushed module exactly as an HTTP publish of the same bytes', async () => {
      const module = await proxyWasmFilter('same-both-ways');
      expect((await pusher('acme/via-oci').image('1.0.0', wasmOciImage(module))).status).toBe(201);
      expect((await api(base, 'PUT', '/api/v1/plugins/acme/via-http/versions/1.0.0', { token: admin, body: module })).status).toBe(202);
      const [oci, http] = await Promise.all([settledVersion(base, 'acme', 'via-oci', '1.0.0'), settledVersion(base, 'acme', 'via-http', '1.0.0')]);
      expect(oci.status).toBe('ready');
      expect(oci.digest).toBe(http.digest);
      const report = async (plugin: string) => (await api(base, 'GET', `/api/v1/plugins/acme/${plugin}/versions/1.0.0/analysis`)).json.report;
      expect(await report('via-oci')).toEqual(await report('via-http'));
    });

    it('keeps versions immutable: the same manifest again is 201, another is 409 DENIED naming both digests', async () => {
      const first = wasmOciImage(await proxyWasmFilter('immutable-1'));
      const second = wasmOciImage(await proxyWasmFilter('immutable-2'));
      expect((await pusher('acme/immutable').image('2.0.0', first)).status).toBe(201);
      expect((await pusher('acme/immutable').manifest('2.0.0', first.manifest)).status).toBe(201);
      const denied = await pusher('acme/immutable').image('2.0.0', second);
      const message = expectOciError(denied, 409, 'DENIED');
      expect(message).toContain(sha256(first.manifest));
      expect(message).toContain(sha256(second.manifest));
      expect((await settledVersion(base, 'acme', 'immutable', '2.0.0')).digest).toBe(sha256(first.blobs[1]!));
      // A version published over HTTP has the registry's image: another manifest for it is refused too.
      const module = await proxyWasmFilter('http-first');
      expect((await api(base, 'PUT', '/api/v1/plugins/acme/immutable/versions/3.0.0', { token: admin, body: module })).status).toBe(202);
      expectOciError(await pusher('acme/immutable').image('3.0.0', wasmOciImage(module)), 409, 'DENIED');
    });

    it('refuses a manifest naming blobs that were never uploaded, a tag that is not a version, and malformed manifests, creating nothing', async () => {
      const module = await proxyWasmFilter('refused');
      const image = wasmOciImage(module);
      const missing = await pusher('acme/refused').manifest('1.0.0', image.manifest);
      expect(expectOciError(missing, 400, 'MANIFEST_BLOB_UNKNOWN')).toContain(sha256(image.config));
      for (const tag of ['latest', 'stable', '1.0', 'v1.0.0-']) {
        expect(expectOciError(await pusher('acme/refused').image(tag, image), 400, 'TAG_INVALID')).toContain('version');
      }
      expectOciError(await pusher('acme/refused').manifest('1.0.0', Buffer.from('{not json')), 400, 'MANIFEST_INVALID');
      for (const blob of image.blobs) expect((await pusher('acme/refused').blob(blob)).status).toBe(201);
      const lying = Buffer.from(image.manifest.toString('utf8').replace(`"size":${module.length}`, `"size":${module.length + 1}`));
      expect(expectOciError(await pusher('acme/refused').manifest('1.0.0', lying), 400, 'MANIFEST_INVALID')).toContain(`has ${module.length}`);
      expectOciError(await pusher('acme/refused').manifest('1.0.0', image.manifest, 'application/json'), 400, 'MANIFEST_INVALID');
      expectOciError(await pusher('acme/refused').manifest(sha256(Buffer.from('x')), image.manifest), 400, 'DIGEST_INVALID');
      expect((await api(base, 'GET', '/api/v1/plugins/acme/refused/versions/1.0.0')).status).toBe(404);
    });

    it('refuses a Linux container image: it holds no WebAssembly', async () => {
      const refused = await pusher('acme/linux').image('1.0.0', await linuxContainerImage());
      expect(expectOciError(refused, 400, 'UNSUPPORTED').toLowerCase()).toContain('webassembly');
      expect((await api(base, 'GET', '/api/v1/plugins/acme/linux/versions/1.0.0')).status).toBe(404);
    });

    it('stores a referrer pushed by digest, lists it as the publisher\'s, and deletes it on request; tags are never deleted', async () => {
      const image = wasmOciImage(await proxyWasmFilter('signed-by-author'));
      expect((await pusher('acme/signed').image('1.0.0', image)).status).toBe(201);
      await settledVersion(base, 'acme', 'signed', '1.0.0');
      const subject = { mediaType: OCI_MEDIA.imageManifest, digest: sha256(image.manifest), size: image.manifest.length };
      const signature = referrerManifest(subject, 'application/vnd.dev.cosign.artifact.sig.v1+json', Buffer.from('{"critical":{}}'));
      const pushed = await pusher('acme/signed').image(sha256(signature.manifest), signature);
      expect(pushed.status).toBe(201);
      expect(pushed.headers.get('oci-subject')).toBe(sha256(image.manifest));
      expect((await v2('GET', `acme/signed/manifests/${sha256(signature.manifest)}`)).bytes.equals(signature.manifest)).toBe(true);
      const listed = (await v2('GET', `acme/signed/referrers/${sha256(image.manifest)}`)).json.manifests;
      const mine = listed.filter((m: { annotations: Record<string, string> }) => m.annotations['io.wasm-plugin-registry.supplied-by'] === 'publisher');
      expect(mine).toEqual([expect.objectContaining({ digest: sha256(signature.manifest), artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json' })]);
      expect(listed.filter((m: { annotations: Record<string, string> }) => m.annotations['io.wasm-plugin-registry.supplied-by'] === 'registry')).toHaveLength(3);
      const filtered = await v2('GET', `acme/signed/referrers/${sha256(image.manifest)}?artifactType=application/vnd.dev.cosign.artifact.sig.v1%2Bjson`);
      expect(filtered.json.manifests).toHaveLength(1);
      expectOciError(await v2('DELETE', 'acme/signed/manifests/1.0.0', { authorization: basic(acmeToken) }), 405, 'UNSUPPORTED');
      expectOciError(await v2('DELETE', `acme/signed/manifests/${sha256(image.manifest)}`, { authorization: basic(acmeToken) }), 405, 'UNSUPPORTED');
      expect((await v2('DELETE', `acme/signed/manifests/${sha256(signature.manifest)}`, { authorization: basic(acmeToken) })).status).toBe(202);
      expectOciError(await v2('GET', `acme/signed/manifests/${sha256(signature.manifest)}`), 404, 'MANIFEST_UNKNOWN');
      expect((await v2('GET', 'acme/signed/manifests/1.0.0')).bytes.equals(image.manifest)).toBe(true);
    });

    it('makes a version of an index pushed by tag from its one Wasm image, serving the index as pushed', async () => {
      const module = await proxyWasmFilter('in-an-index');
      const image = wasmOciImage(module);
      const p = pusher('acme/indexed');
      expect((await p.image(sha256(image.manifest), image)).status).toBe(201);
      const index = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MEDIA.imageIndex,
          manifests: [{ mediaType: OCI_MEDIA.imageManifest, digest: sha256(image.manifest), size: image.manifest.length, platform: { architecture: 'wasm', os: 'wasip1' } }],
        }),
      );
      const pushed = await p.manifest('1.0.0', index, OCI_MEDIA.imageIndex);
      expect(pushed.status).toBe(201);
      const version = await settledVersion(base, 'acme', 'indexed', '1.0.0');
      expect(version).toMatchObject({ status: 'ready', digest: sha256(module) });
      expect(version.pinned.oci.manifestDigest).toBe(sha256(index));
      const pulled = await v2('GET', 'acme/indexed/manifests/1.0.0');
      expect(pulled.bytes.equals(index)).toBe(true);
      expect(pulled.headers.get('content-type')).toBe(OCI_MEDIA.imageIndex);
      expect((await v2('GET', `acme/indexed/manifests/${sha256(image.manifest)}`)).bytes.equals(image.manifest)).toBe(true);
      // An index naming something the repository does not hold is refused.
      const dangling = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MEDIA.imageIndex, manifests: [{ mediaType: OCI_MEDIA.imageManifest, digest: sha256(Buffer.from('nothing')), size: 7 }] }));
      expectOciError(await p.manifest('2.0.0', dangling, OCI_MEDIA.imageIndex), 400, 'MANIFEST_BLOB_UNKNOWN');
    });

    it('reads Istio\'s compat variant: plugin.wasm in a tar or tar+gzip layer, OCI or Docker media types', async () => {
      const cases: [string, boolean, boolean][] = [
        ['compat-tar', false, false],
        ['compat-gzip', true, false],
        ['compat-docker', true, true],
      ];
      for (const [plugin, gzip, docker] of cases) {
        const module = await proxyWasmFilter(plugin);
        const layer = await tarLayer([{ name: 'plugin.wasm', content: module }], gzip);
        const image = compatImage(layer, gzip, docker);
        const pushed = await pusher(`acme/${plugin}`).image('1.0.0', image, image.mediaType);
        expect(pushed.status, pushed.text).toBe(201);
        expect(await settledVersion(base, 'acme', plugin, '1.0.0')).toMatchObject({ status: 'ready', digest: sha256(module) });
        const pulled = await v2('GET', `acme/${plugin}/manifests/1.0.0`);
        expect(pulled.bytes.equals(image.manifest)).toBe(true);
        expect(pulled.headers.get('content-type')).toBe(image.mediaType);
        expect((await v2('GET', `acme/${plugin}/blobs/${sha256(layer)}`)).bytes.equals(layer)).toBe(true);
      }
    });

    it('refuses tars with links or path tricks, several modules, no plugin.wasm, and a layer that inflates past the limit, leaving nothing', async () => {
      const module = await proxyWasmFilter('hostile-tar');
      const wasm = { name: 'plugin.wasm', content: module };
      const cases: [string, Awaited<ReturnType<typeof tarLayer>>, string][] = [
        ['symlink', await tarLayer([wasm, { name: 'etc', type: 'symlink', linkname: '/etc' }], true), 'link'],
        ['hardlink', await tarLayer([wasm, { name: 'copy.wasm', type: 'link', linkname: 'plugin.wasm' }], true), 'link'],
        ['dotdot', await tarLayer([{ name: '../plugin.wasm', content: module }], true), '..'],
        ['absolute', await tarLayer([{ name: '/plugin.wasm', content: module }], false), 'absolute'],
        ['two-modules', await tarLayer([wasm, { name: 'other.wasm', content: module }], true), 'several'],
        ['no-module', await tarLayer([{ name: 'README.md', content: Buffer.from('# hi') }], true), 'plugin.wasm'],
        ['bomb', await tarLayer([wasm, { name: 'zeros.bin', content: Buffer.alloc(64 * 1024 * 1024) }], true), 'inflate'],
      ];
      for (const [plugin, layer, says] of cases) {
        expect(layer.length).toBeLessThan(MAX_MODULE_SIZE);
        const image = compatImage(layer, plugin !== 'absolute');
        const refused = await pusher(`acme/tar-${plugin}`).image('1.0.0', image);
        const message = expectOciError(refused, refused.status, refused.json?.errors?.[0]?.code);
        expect(refused.status, `${plugin}: ${refused.text}`).toBeGreaterThanOrEqual(400);
        expect(refused.status).toBeLessThan(500);
        expect(message.toLowerCase(), plugin).toContain(says);
        expect((await api(base, 'GET', `/api/v1/plugins/acme/tar-${plugin}/versions/1.0.0`)).status).toBe(404);
      }
      const left = await storedFiles(join(registry.dataDir, 'storage'));
      expect(left.filter((f) => f.startsWith('uploads/'))).toEqual([]);
      expect(left).not.toContain(`blobs/sha256/${sha256(module).slice(7)}`);
    });

    it('keeps one version when two clients push the same tag with different manifests at once', async () => {
      const [a, b] = await Promise.all([proxyWasmFilter('race-a'), proxyWasmFilter('race-b')]);
      const images = [wasmOciImage(a), wasmOciImage(b)];
      for (const image of images) for (const blob of image.blobs) expect((await pusher('acme/race').blob(blob)).status).toBe(201);
      const answers = await Promise.all(images.map((image) => pusher('acme/race').manifest('1.0.0', image.manifest)));
      expect(answers.map((r) => r.status).sort()).toEqual([201, 409]);
      const winner = images[answers.findIndex((r) => r.status === 201)]!;
      await settledVersion(base, 'acme', 'race', '1.0.0');
      expect((await v2('GET', 'acme/race/manifests/1.0.0')).bytes.equals(winner.manifest)).toBe(true);
    });

    it('takes a large module image through chunked uploads', async () => {
      const module = await paddedModule(3 * 1024 * 1024, 'chunky');
      const image = wasmOciImage(module);
      const p = pusher('acme/chunky');
      expect((await p.blob(image.config)).status).toBe(201);
      const session = (await v2('POST', 'acme/chunky/blobs/uploads/', { authorization: basic(acmeToken) })).headers.get('location')!;
      const step = 1024 * 1024;
      for (let start = 0; start < module.length; start += step) {
        const chunk = module.subarray(start, start + step);
        const answer = await request(base, 'PATCH', session, { authorization: basic(acmeToken), body: chunk, headers: { 'content-range': `${start}-${start + chunk.length - 1}` } });
        expect(answer.status).toBe(202);
      }
      expect((await request(base, 'PUT', `${session}?digest=${sha256(module)}`, { authorization: basic(acmeToken) })).status).toBe(201);
      expect((await p.manifest('1.0.0', image.manifest)).status).toBe(201);
      expect((await settledVersion(base, 'acme', 'chunky', '1.0.0')).status).toBe('ready');
      const downloaded = await api(base, 'GET', '/api/v1/plugins/acme/chunky/versions/1.0.0/module.wasm');
      expect(downloaded.bytes.equals(module)).toBe(true);
    });
  });
});

describe('OCI push: what is abandoned is swept', () => {
  let registry: RunningRegistry;

  beforeAll(async () => {
    registry = await startRegistry({ OCI_UPLOAD_TTL_MS: '1500', OCI_UNREFERENCED_BLOB_TTL_MS: '1500', OCI_SWEEP_INTERVAL_MS: '300' });
    expect((await api(registry.url, 'PUT', '/api/v1/namespaces/acme', { token: registry.adminToken })).status).toBe(201);
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it('removes an expired session with its chunks, and a pushed blob no manifest names, but keeps what a version uses', async () => {
    const auth = { authorization: basic(registry.adminToken) };
    const session = (await request(registry.url, 'POST', '/v2/acme/swept/blobs/uploads/', auth)).headers.get('location')!;
    const id = session.split('/').at(-1)!;
    expect((await request(registry.url, 'PATCH', session, { ...auth, body: Buffer.from('abandoned') })).status).toBe(202);
    const orphan = Buffer.from('never named by a manifest');
    expect((await request(registry.url, 'POST', `/v2/acme/swept/blobs/uploads/?digest=${sha256(orphan)}`, { ...auth, body: orphan })).status).toBe(201);
    const image = wasmOciImage(await proxyWasmFilter('kept-by-a-version'));
    expect((await new OciPusher(registry.url, 'acme/swept', basic(registry.adminToken)).image('1.0.0', image)).status).toBe(201);
    const files = () => storedFiles(join(registry.dataDir, 'storage'));
    const gone = await waitFor(
      async () => ({ session: (await request(registry.url, 'GET', session, auth)).status, orphan: (await request(registry.url, 'HEAD', `/v2/acme/swept/blobs/${sha256(orphan)}`)).status, files: await files() }),
      (s) => s.session === 404 && s.orphan === 404 && !s.files.some((f) => f.includes(id)),
      15_000,
    );
    expect(gone.session).toBe(404);
    expect(gone.orphan).toBe(404);
    expect(gone.files.some((f) => f.includes(id))).toBe(false);
    expect(gone.files.some((f) => f.endsWith(sha256(orphan).slice(7)))).toBe(false);
    await settledVersion(registry.url, 'acme', 'swept', '1.0.0');
    expect((await request(registry.url, 'GET', `/v2/acme/swept/blobs/${sha256(image.config)}`)).bytes.equals(image.config)).toBe(true);
    expect((await request(registry.url, 'GET', '/v2/acme/swept/manifests/1.0.0')).bytes.equals(image.manifest)).toBe(true);
  });
});

/** A web ReadableStream of an async generator (fetch streams a body of unknown length as chunked). */
function ReadableStreamFrom(source: AsyncGenerator<Buffer>): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async pull(controller) {
      const next = await source.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
  });
}

describe('OCI push in the production shape: PostgreSQL, S3 and two API processes', () => {
  let postgres: PostgresServer;
  let s3: TestS3Server;
  let a: RunningRegistry;
  let b: RunningRegistry;

  beforeAll(async () => {
    // s3rver removes a directory once it is empty, racing a put into it: keep the prefixes uploads write under.
    [postgres, s3] = await Promise.all([startPostgres(), startTestS3Server({ bucket: 'wasm-modules', keepPrefixes: ['uploads/', 'blobs/sha256/', 'oci-uploads/'] })]);
    const env = { DATABASE_URL: postgres.url, ...registryS3Env(s3) };
    [a, b] = await Promise.all([startRegistry(env), startRegistry(env)]);
    expect((await api(a.url, 'PUT', '/api/v1/namespaces/acme', { token: a.adminToken })).status).toBe(201);
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await Promise.all([postgres?.stop(), s3?.stop()]);
  });

  it('continues an upload session in whichever process the next request reaches', async () => {
    const auth = { authorization: basic(a.adminToken) };
    const blob = Buffer.concat([Buffer.alloc(300_000, 1), Buffer.alloc(200_000, 2), Buffer.alloc(100_000, 3)]);
    const path = (await request(a.url, 'POST', '/v2/acme/spread/blobs/uploads/', auth)).headers.get('location')!;
    expect((await request(a.url, 'PATCH', path, { ...auth, body: blob.subarray(0, 300_000), headers: { 'content-range': '0-299999' } })).status).toBe(202);
    expect((await request(b.url, 'PATCH', path, { ...auth, body: blob.subarray(300_000, 500_000), headers: { 'content-range': '300000-499999' } })).status).toBe(202);
    expect((await request(a.url, 'GET', path, auth)).headers.get('range')).toBe('0-499999');
    expect((await request(b.url, 'PUT', `${path}?digest=${sha256(blob)}`, { ...auth, body: blob.subarray(500_000) })).status).toBe(201);
    for (const registry of [a, b]) expect((await request(registry.url, 'GET', `/v2/acme/spread/blobs/${sha256(blob)}`)).bytes.equals(blob)).toBe(true);
  });

  it('publishes an image pushed through one process, as one client does (one PATCH, then PUT), and serves it from the other', async () => {
    const auth = { authorization: basic(a.adminToken) };
    const module = await paddedModule(1024 * 1024, 'spread-module');
    const image = wasmOciImage(module);
    for (const blob of image.blobs) {
      const path = (await request(a.url, 'POST', '/v2/acme/spread/blobs/uploads/', auth)).headers.get('location')!;
      expect((await request(b.url, 'PATCH', path, { ...auth, body: blob })).status).toBe(202);
      expect((await request(a.url, 'PUT', `${path}?digest=${sha256(blob)}`, auth)).status).toBe(201);
    }
    const [one, two] = await Promise.all([
      new OciPusher(a.url, 'acme/spread', basic(a.adminToken)).manifest('1.0.0', image.manifest),
      new OciPusher(b.url, 'acme/spread', basic(b.adminToken)).manifest('1.0.0', image.manifest),
    ]);
    expect([one.status, two.status]).toEqual([201, 201]);
    expect((await settledVersion(b.url, 'acme', 'spread', '1.0.0')).status).toBe('ready');
    expect((await request(b.url, 'GET', '/v2/acme/spread/manifests/1.0.0')).bytes.equals(image.manifest)).toBe(true);
    expect((await api(a.url, 'GET', '/api/v1/plugins/acme/spread/versions/1.0.0/module.wasm')).bytes.equals(module)).toBe(true);
  });
});
