import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDockerRegistry, type DockerRegistry } from '../testing/docker-registry.js';
import { startPostgres, type PostgresServer } from '../testing/postgres-server.js';
import { skopeo, skopeoOk } from '../testing/skopeo.js';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { registryS3Env, startTestS3Server, type TestS3Server } from '../testing/s3-server.js';
import { paddedModule, proxyWasmFilter, rejectedFilter } from '../testing/wasm-fixtures.js';
import { api, settledVersion, waitFor, type Json } from './support.js';

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

const IMAGE_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const IMAGE_INDEX = 'application/vnd.oci.image.index.v1+json';
const WASM_CONFIG = 'application/vnd.module.wasm.config.v1+json';
const WASM_LAYER = 'application/vnd.module.wasm.content.layer.v1+wasm';
const EMPTY_CONFIG = 'application/vnd.oci.empty.v1+json';
const CYCLONEDX = 'application/vnd.cyclonedx+json';
const SIGSTORE_BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

/** An OCI image layout written by `skopeo copy … oci:<dir>:<tag>`, read back through its index. */
async function readLayout(dir: string, tag: string): Promise<{ manifestDigest: string; manifestBytes: Buffer; manifest: Json; blob(digest: string): Promise<Buffer> }> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as Json;
  const entry = index.manifests.find((m: Json) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  expect(entry, `index.json of ${dir} names ${tag}`).toBeDefined();
  const blob = (digest: string): Promise<Buffer> => readFile(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)));
  const manifestBytes = await blob(entry.digest);
  return { manifestDigest: entry.digest, manifestBytes, manifest: JSON.parse(manifestBytes.toString('utf8')) as Json, blob };
}

/** The distribution spec's error body: `{"errors":[{code, message, detail}]}` and nothing else. */
function expectOciError(response: { status: number; headers: Headers; text: string }, status: number, code: string): void {
  expect({ status: response.status, body: response.text }).toMatchObject({ status });
  expect(response.headers.get('content-type')).toContain('application/json');
  const body = JSON.parse(response.text) as Json;
  expect(Object.keys(body)).toEqual(['errors']);
  expect(body.errors).toHaveLength(1);
  expect(Object.keys(body.errors[0]).sort()).toEqual(['code', 'detail', 'message']);
  expect(body.errors[0]).toMatchObject({ code, message: expect.any(String) });
  expect(response.text).not.toMatch(/\s+at\s+\S+\s+\(|node_modules/);
}

describe('OCI distribution (/v2) of the embedded registry, pulled by skopeo and mirrored through Docker Distribution', () => {
  let dataDir: string;
  let work: string;
  let registry: RunningRegistry;
  let docker: DockerRegistry;
  let admin: string;
  let host: string;
  const modules: Record<string, Buffer> = {};
  const v2 = (path: string, headers: Record<string, string> = {}) => api(registry.url, 'GET', `/v2/${path}`, { headers });
  const manifestDigest = async (repository: string, reference: string): Promise<string> => {
    const response = await api(registry.url, 'HEAD', `/v2/${repository}/manifests/${reference}`);
    expect(response.status).toBe(200);
    return response.headers.get('docker-content-digest')!;
  };
  const layout = (name: string): string => join(work, name);
  const embeddedEnv = { DOWNLOAD_FLUSH_INTERVAL_MS: '50' };

  beforeAll(async () => {
    [dataDir, work] = await Promise.all([mkdtemp(join(tmpdir(), 'oci-e2e-data-')), mkdtemp(join(tmpdir(), 'oci-e2e-layouts-'))]);
    [registry, docker] = await Promise.all([startRegistry(embeddedEnv, { dataDir }), startDockerRegistry()]);
    admin = registry.adminToken;
    host = `127.0.0.1:${registry.port}`;
    const specs: [string, string, Promise<Buffer>][] = [
      ['acme/jwt-auth', '1.0.0', paddedModule(64 * 1024, 'jwt-1.0.0')],
      ['acme/jwt-auth', '1.1.0', proxyWasmFilter('jwt-1.1.0')],
      ['acme/jwt-auth', '2.0.0', proxyWasmFilter('jwt-2.0.0')],
      ['edge/other', '1.0.0', proxyWasmFilter('other-1.0.0')],
      ['acme/counted', '1.0.0', proxyWasmFilter('counted-1.0.0')],
      ['acme/bad', '1.0.0', rejectedFilter('bad')],
    ];
    // One version of a plugin at a time, so that each publish is in order; plugins in parallel.
    const byPlugin = Map.groupBy(specs, ([repository]) => repository);
    await Promise.all(
      [...byPlugin.values()].map(async (versions) => {
        for (const [repository, version, body] of versions) {
          modules[`${repository}:${version}`] = await body;
          const published = await api(registry.url, 'PUT', `/api/v1/plugins/${repository}/versions/${version}`, { token: admin, body: modules[`${repository}:${version}`] });
          expect(published.status).toBe(202);
          const [namespace, name] = repository.split('/') as [string, string];
          expect((await settledVersion(registry.url, namespace, name, version)).status).toBe(repository === 'acme/bad' ? 'rejected' : 'ready');
        }
      }),
    );
  });

  afterAll(async () => {
    await Promise.all([registry?.stop(), docker?.stop()]);
    await Promise.all([dataDir, work].filter(Boolean).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('asks for a token at the API version check, as Docker Distribution behind a token server does; an anonymous one is enough', async () => {
    const base = await v2('');
    expectOciError(base, 401, 'UNAUTHORIZED');
    expect(base.headers.get('www-authenticate')).toBe(`Bearer realm="http://${host}/v2/token",service="${host}"`);
    const anonymous = await api(registry.url, 'GET', '/v2/token?scope=repository:acme/jwt-auth:pull');
    const answered = await v2('', { authorization: `Bearer ${anonymous.json.token}` });
    expect(answered.status).toBe(200);
    expect(answered.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  });

  it('serves a version as a Wasm image manifest, by tag and by digest, with GET, HEAD and If-None-Match', async () => {
    const module = modules['acme/jwt-auth:1.0.0']!;
    const byTag = await v2('acme/jwt-auth/manifests/1.0.0');
    expect(byTag.status).toBe(200);
    const digest = byTag.headers.get('docker-content-digest')!;
    expect(digest).toBe(sha256(byTag.bytes));
    const manifest = byTag.json;
    expect(byTag.headers.get('content-type')).toBe(manifest.mediaType);
    expect(manifest).toMatchObject({
      schemaVersion: 2,
      mediaType: IMAGE_MANIFEST,
      config: { mediaType: WASM_CONFIG, digest: expect.stringMatching(/^sha256:[a-f0-9]{64}$/), size: expect.any(Number) },
      layers: [{ mediaType: WASM_LAYER, digest: sha256(module), size: module.length }],
    });
    expect(manifest.layers).toHaveLength(1);
    expect(manifest.annotations['org.opencontainers.image.version']).toBe('1.0.0');
    expect(byTag.headers.get('etag')).toBe(`"${digest}"`);
    expect(Number(byTag.headers.get('content-length'))).toBe(byTag.bytes.length);

    const byDigest = await v2(`acme/jwt-auth/manifests/${digest}`);
    expect(byDigest.status).toBe(200);
    expect(byDigest.bytes.equals(byTag.bytes)).toBe(true);
    expect(byDigest.headers.get('docker-content-digest')).toBe(digest);
    expect(byDigest.headers.get('content-type')).toBe(IMAGE_MANIFEST);
    expect(byDigest.headers.get('cache-control')).toContain('immutable');

    for (const reference of ['1.0.0', digest]) {
      const head = await api(registry.url, 'HEAD', `/v2/acme/jwt-auth/manifests/${reference}`);
      expect(head.status).toBe(200);
      expect(head.bytes.length).toBe(0);
      expect(head.headers.get('docker-content-digest')).toBe(digest);
      expect(head.headers.get('content-type')).toBe(IMAGE_MANIFEST);
      expect(Number(head.headers.get('content-length'))).toBe(byTag.bytes.length);
      const notModified = await v2(`acme/jwt-auth/manifests/${reference}`, { 'if-none-match': `"${digest}"` });
      expect(notModified.status).toBe(304);
      expect(notModified.bytes.length).toBe(0);
      expect(notModified.headers.get('docker-content-digest')).toBe(digest);
    }
    expect((await v2('acme/jwt-auth/manifests/1.0.0', { 'if-none-match': `"${sha256(Buffer.from('other'))}"` })).status).toBe(200);

    // Another version is another manifest.
    expect(await manifestDigest('acme/jwt-auth', '1.1.0')).not.toBe(digest);
    expectOciError(await v2('acme/jwt-auth/manifests/9.9.9'), 404, 'MANIFEST_UNKNOWN');
    expectOciError(await v2(`acme/jwt-auth/manifests/${sha256(Buffer.from('no such manifest'))}`), 404, 'MANIFEST_UNKNOWN');
    // A manifest of another repository is unknown here.
    expectOciError(await v2(`edge/other/manifests/${digest}`), 404, 'MANIFEST_UNKNOWN');
  });

  it('gives skopeo the same manifest (inspect --raw), and skopeo copy writes the module byte for byte into an OCI layout', async () => {
    const module = modules['acme/jwt-auth:1.0.0']!;
    const served = await v2('acme/jwt-auth/manifests/1.0.0');
    const raw = await skopeoOk('inspect', '--raw', '--tls-verify=false', `docker://${host}/acme/jwt-auth:1.0.0`);
    expect(Buffer.from(raw).equals(served.bytes)).toBe(true);
    expect(sha256(Buffer.from(raw))).toBe(served.headers.get('docker-content-digest'));

    await skopeoOk('copy', '--src-tls-verify=false', `docker://${host}/acme/jwt-auth:1.0.0`, `oci:${layout('pulled')}:1.0.0`);
    const pulled = await readLayout(layout('pulled'), '1.0.0');
    expect(pulled.manifestDigest).toBe(served.headers.get('docker-content-digest'));
    expect(pulled.manifestBytes.equals(served.bytes)).toBe(true);
    expect(pulled.manifest.config.mediaType).toBe(WASM_CONFIG);
    expect(pulled.manifest.layers.map((l: Json) => l.mediaType)).toEqual([WASM_LAYER]);
    const layer = await pulled.blob(pulled.manifest.layers[0].digest);
    expect(sha256(layer)).toBe(sha256(module));
    expect(layer.equals(module)).toBe(true);
    const config = await pulled.blob(pulled.manifest.config.digest);
    expect(sha256(config)).toBe(pulled.manifest.config.digest);
    expect(JSON.parse(config.toString('utf8'))).toMatchObject({ type: 'proxy_wasm', abiVersions: ['0.2.1'] });
  });

  it('round-trips through Docker Distribution 2.8 unchanged: the same manifest bytes and digest, the module as the layer', async () => {
    const module = modules['acme/jwt-auth:1.0.0']!;
    const ours = await v2('acme/jwt-auth/manifests/1.0.0');
    const digest = ours.headers.get('docker-content-digest')!;
    await skopeoOk('copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${host}/acme/jwt-auth:1.0.0`, `docker://${docker.host}/acme/jwt-auth:1.0.0`);

    const mirrored = await api(docker.url, 'GET', '/v2/acme/jwt-auth/manifests/1.0.0', { headers: { accept: IMAGE_MANIFEST } });
    expect(mirrored.status).toBe(200);
    expect(mirrored.bytes.equals(ours.bytes)).toBe(true);
    expect(mirrored.headers.get('docker-content-digest')).toBe(digest);
    expect(mirrored.headers.get('content-type')).toBe(IMAGE_MANIFEST);
    const layer = await api(docker.url, 'GET', `/v2/acme/jwt-auth/blobs/${sha256(module)}`);
    expect(layer.status).toBe(200);
    expect(layer.bytes.equals(module)).toBe(true);
    const config = await api(docker.url, 'GET', `/v2/acme/jwt-auth/blobs/${ours.json.config.digest}`);
    expect(config.bytes.equals((await v2(`acme/jwt-auth/blobs/${ours.json.config.digest}`)).bytes)).toBe(true);

    // And back out of Distribution with skopeo.
    await skopeoOk('copy', '--src-tls-verify=false', `docker://${docker.host}/acme/jwt-auth:1.0.0`, `oci:${layout('from-distribution')}:1.0.0`);
    const back = await readLayout(layout('from-distribution'), '1.0.0');
    expect(back.manifestDigest).toBe(digest);
    expect(back.manifestBytes.equals(ours.bytes)).toBe(true);
    expect((await back.blob(back.manifest.layers[0].digest)).equals(module)).toBe(true);

    // The referrers (artifact manifests with a subject) are accepted unchanged too, copied by digest.
    const referrers = (await v2(`acme/jwt-auth/referrers/${digest}`)).json.manifests as Json[];
    expect(referrers).toHaveLength(3);
    for (const referrer of referrers) {
      await skopeoOk('copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${host}/acme/jwt-auth@${referrer.digest}`, `docker://${docker.host}/acme/jwt-auth@${referrer.digest}`);
      const there = await api(docker.url, 'GET', `/v2/acme/jwt-auth/manifests/${referrer.digest}`, { headers: { accept: IMAGE_MANIFEST } });
      expect(there.status).toBe(200);
      expect(there.bytes.equals((await v2(`acme/jwt-auth/manifests/${referrer.digest}`)).bytes)).toBe(true);
      expect(there.json.subject.digest).toBe(digest);
    }
  });

  it('serves the layer (full, ranged, HEAD) and the config as blobs of the repository, and only of it', async () => {
    const module = modules['acme/jwt-auth:1.0.0']!;
    const path = `acme/jwt-auth/blobs/${sha256(module)}`;
    const full = await v2(path);
    expect(full.status).toBe(200);
    expect(full.bytes.equals(module)).toBe(true);
    expect(full.headers.get('docker-content-digest')).toBe(sha256(module));
    expect(Number(full.headers.get('content-length'))).toBe(module.length);
    const ranged = await v2(path, { range: 'bytes=1000-1999' });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 1000-1999/${module.length}`);
    expect(ranged.bytes.equals(module.subarray(1000, 2000))).toBe(true);
    const head = await api(registry.url, 'HEAD', `/v2/${path}`);
    expect(head.status).toBe(200);
    expect(head.bytes.length).toBe(0);
    expect(Number(head.headers.get('content-length'))).toBe(module.length);
    expect(head.headers.get('docker-content-digest')).toBe(sha256(module));
    // The same object as /api/v1/blobs.
    expect((await api(registry.url, 'GET', `/api/v1/blobs/${sha256(module)}`)).bytes.equals(full.bytes)).toBe(true);

    const manifest = (await v2('acme/jwt-auth/manifests/1.0.0')).json;
    const config = await v2(`acme/jwt-auth/blobs/${manifest.config.digest}`);
    expect(config.status).toBe(200);
    expect(sha256(config.bytes)).toBe(manifest.config.digest);
    expect(config.bytes.length).toBe(manifest.config.size);
    const configHead = await api(registry.url, 'HEAD', `/v2/acme/jwt-auth/blobs/${manifest.config.digest}`);
    expect([configHead.status, configHead.bytes.length, Number(configHead.headers.get('content-length'))]).toEqual([200, 0, manifest.config.size]);

    // Repository scoping: another plugin's module and config are not blobs of this repository, nor is a rejected module of its own.
    expectOciError(await v2(`edge/other/blobs/${sha256(module)}`), 404, 'BLOB_UNKNOWN');
    expectOciError(await v2(`edge/other/blobs/${manifest.config.digest}`), 404, 'BLOB_UNKNOWN');
    expectOciError(await v2(`acme/jwt-auth/blobs/${sha256(modules['edge/other:1.0.0']!)}`), 404, 'BLOB_UNKNOWN');
    expectOciError(await v2(`acme/bad/blobs/${sha256(modules['acme/bad:1.0.0']!)}`), 404, 'BLOB_UNKNOWN');
    expect((await v2(`edge/other/blobs/${sha256(modules['edge/other:1.0.0']!)}`)).status).toBe(200);
    expectOciError(await v2('acme/jwt-auth/blobs/sha256:abc'), 400, 'DIGEST_INVALID');
    expectOciError(await v2(`acme/jwt-auth/blobs/md5:${'0'.repeat(32)}`), 400, 'DIGEST_INVALID');
  });

  it('lists ready versions and latest as tags, in pages of n after last with a Link header; pending and rejected versions are not tags', async () => {
    const all = await v2('acme/jwt-auth/tags/list');
    expect(all.status).toBe(200);
    expect(all.json).toEqual({ name: 'acme/jwt-auth', tags: ['1.0.0', '1.1.0', '2.0.0', 'latest'] });
    expect(all.headers.get('link')).toBeNull();

    const first = await v2('acme/jwt-auth/tags/list?n=2');
    expect(first.json.tags).toEqual(['1.0.0', '1.1.0']);
    const link = first.headers.get('link');
    expect(link).toBe('</v2/acme/jwt-auth/tags/list?n=2&last=1.1.0>; rel="next"');
    const second = await api(registry.url, 'GET', /^<([^>]+)>/.exec(link!)![1]!);
    expect(second.json.tags).toEqual(['2.0.0', 'latest']);
    expect(second.headers.get('link')).toBeNull();
    expect((await v2('acme/jwt-auth/tags/list?n=10&last=1.0.0')).json.tags).toEqual(['1.1.0', '2.0.0', 'latest']);

    // The rejected version is neither a tag nor a manifest, and its plugin has no latest.
    expect((await v2('acme/bad/tags/list')).json).toEqual({ name: 'acme/bad', tags: [] });
    expectOciError(await v2('acme/bad/manifests/1.0.0'), 404, 'MANIFEST_UNKNOWN');
    expectOciError(await v2('acme/bad/manifests/latest'), 404, 'MANIFEST_UNKNOWN');
    expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/bad/versions/1.0.0')).json.status).toBe('rejected');
  });

  it('moves latest with the catalog: yanking the newest version makes latest the previous one, and the yanked tag stays pullable', async () => {
    const [v110, v200] = [await manifestDigest('acme/jwt-auth', '1.1.0'), await manifestDigest('acme/jwt-auth', '2.0.0')];
    expect(await manifestDigest('acme/jwt-auth', 'latest')).toBe(v200);
    const latestBefore = await v2('acme/jwt-auth/manifests/latest');
    expect(latestBefore.bytes.equals((await v2(`acme/jwt-auth/manifests/${v200}`)).bytes)).toBe(true);

    expect((await api(registry.url, 'PUT', '/api/v1/plugins/acme/jwt-auth/versions/2.0.0/yank', { token: admin, json: { reason: 'oci e2e' } })).status).toBe(200);
    expect(await manifestDigest('acme/jwt-auth', 'latest')).toBe(v110);
    expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/jwt-auth')).json.latestVersion).toBe('1.1.0');
    // Pinned pulls keep working: the yanked version is still a tag.
    expect(await manifestDigest('acme/jwt-auth', '2.0.0')).toBe(v200);
    expect((await v2('acme/jwt-auth/tags/list')).json.tags).toEqual(['1.0.0', '1.1.0', '2.0.0', 'latest']);
  });

  it('lists the SBOM and the Sigstore bundles as referrers of the module manifest, filtered by artifactType', async () => {
    const moduleDigest = await manifestDigest('acme/jwt-auth', '1.1.0');
    const moduleManifest = await v2(`acme/jwt-auth/manifests/${moduleDigest}`);
    const referrers = await v2(`acme/jwt-auth/referrers/${moduleDigest}`);
    expect(referrers.status).toBe(200);
    expect(referrers.headers.get('content-type')).toBe(IMAGE_INDEX);
    expect(referrers.headers.get('oci-filters-applied')).toBeNull();
    expect(referrers.json).toMatchObject({ schemaVersion: 2, mediaType: IMAGE_INDEX });
    const descriptors = referrers.json.manifests as Json[];
    expect(descriptors.map((d) => d.artifactType).sort()).toEqual([CYCLONEDX, SIGSTORE_BUNDLE, SIGSTORE_BUNDLE]);

    const byType = new Map<string, { descriptor: Json; manifest: Json }>();
    for (const descriptor of descriptors) {
      const response = await v2(`acme/jwt-auth/manifests/${descriptor.digest}`);
      expect(response.status).toBe(200);
      expect(sha256(response.bytes)).toBe(descriptor.digest);
      expect(response.bytes.length).toBe(descriptor.size);
      expect(descriptor.mediaType).toBe(IMAGE_MANIFEST);
      const manifest = response.json;
      expect(manifest).toMatchObject({
        mediaType: IMAGE_MANIFEST,
        artifactType: descriptor.artifactType,
        config: { mediaType: EMPTY_CONFIG, size: 2 },
        subject: { mediaType: IMAGE_MANIFEST, digest: moduleDigest, size: moduleManifest.bytes.length },
      });
      expect(manifest.layers).toHaveLength(1);
      const kind = descriptor.artifactType === CYCLONEDX ? 'sbom' : descriptor.annotations['dev.sigstore.bundle.content'];
      byType.set(kind, { descriptor, manifest });
    }
    expect([...byType.keys()].sort()).toEqual(['dsse-envelope', 'message-signature', 'sbom']);

    const layerOf = async (kind: string): Promise<Buffer> => {
      const { manifest } = byType.get(kind)!;
      const blob = await v2(`acme/jwt-auth/blobs/${manifest.layers[0].digest}`);
      expect(blob.status).toBe(200);
      expect(sha256(blob.bytes)).toBe(manifest.layers[0].digest);
      return blob.bytes;
    };
    const sbom = await api(registry.url, 'GET', '/api/v1/plugins/acme/jwt-auth/versions/1.1.0/sbom');
    expect(JSON.parse((await layerOf('sbom')).toString('utf8'))).toEqual(sbom.json);
    expect(byType.get('sbom')!.manifest.layers[0].mediaType).toBe(CYCLONEDX);
    const signature = await api(registry.url, 'GET', '/api/v1/plugins/acme/jwt-auth/versions/1.1.0/signature');
    expect(signature.status).toBe(200);
    expect(JSON.parse((await layerOf('message-signature')).toString('utf8'))).toEqual(JSON.parse(signature.text));
    const attestations = await api(registry.url, 'GET', '/api/v1/plugins/acme/jwt-auth/versions/1.1.0/attestations');
    expect(JSON.parse((await layerOf('dsse-envelope')).toString('utf8'))).toEqual(attestations.json.items[0].bundle);
    // The signature is over this version's module, not another's.
    expect(JSON.parse(signature.text).messageSignature.messageDigest.digest).toBe(
      Buffer.from(sha256(modules['acme/jwt-auth:1.1.0']!).slice(7), 'hex').toString('base64'),
    );

    const filtered = await v2(`acme/jwt-auth/referrers/${moduleDigest}?artifactType=${encodeURIComponent(CYCLONEDX)}`);
    expect(filtered.headers.get('oci-filters-applied')).toBe('artifactType');
    expect(filtered.json.manifests).toEqual([byType.get('sbom')!.descriptor]);
    const signatures = await v2(`acme/jwt-auth/referrers/${moduleDigest}?artifactType=${encodeURIComponent(SIGSTORE_BUNDLE)}`);
    expect(signatures.json.manifests.map((d: Json) => d.digest).sort()).toEqual(
      [byType.get('dsse-envelope')!.descriptor.digest, byType.get('message-signature')!.descriptor.digest].sort(),
    );

    // Another version's referrers are its own; an unknown subject has none.
    const other = await v2(`acme/jwt-auth/referrers/${await manifestDigest('acme/jwt-auth', '1.0.0')}`);
    expect(other.json.manifests).toHaveLength(3);
    expect(other.json.manifests.map((d: Json) => d.digest)).not.toContain(byType.get('sbom')!.descriptor.digest);
    expect((await v2(`acme/jwt-auth/referrers/${sha256(Buffer.from('nothing refers to this'))}`)).json.manifests).toEqual([]);
    expectOciError(await v2('acme/jwt-auth/referrers/sha256:abc'), 400, 'DIGEST_INVALID');

    // skopeo 1.9 copies an artifact manifest by digest like any image.
    await skopeoOk('copy', '--src-tls-verify=false', `docker://${host}/acme/jwt-auth@${byType.get('sbom')!.descriptor.digest}`, `oci:${layout('sbom')}:sbom`);
    const copied = await readLayout(layout('sbom'), 'sbom');
    expect(copied.manifestDigest).toBe(byType.get('sbom')!.descriptor.digest);
    expect(copied.manifest.subject.digest).toBe(moduleDigest);
    expect(JSON.parse((await copied.blob(copied.manifest.layers[0].digest)).toString('utf8'))).toEqual(sbom.json);
  });

  it('takes no push without a registry token: skopeo cannot copy into it anonymously, and nothing changes', async () => {
    const upload = await api(registry.url, 'POST', '/v2/acme/jwt-auth/blobs/uploads/');
    expectOciError(upload, 401, 'UNAUTHORIZED');
    expect(upload.headers.get('www-authenticate')).toContain('scope="repository:acme/jwt-auth:pull,push"');
    expectOciError(await api(registry.url, 'DELETE', '/v2/acme/jwt-auth/manifests/1.0.0'), 401, 'UNAUTHORIZED');
    // Versions never change: not even an admin deletes one over OCI.
    expectOciError(await api(registry.url, 'DELETE', '/v2/acme/jwt-auth/manifests/1.0.0', { token: admin }), 405, 'UNSUPPORTED');
    expectOciError(await api(registry.url, 'DELETE', `/v2/acme/jwt-auth/blobs/${sha256(modules['acme/jwt-auth:1.0.0']!)}`), 405, 'UNSUPPORTED');
    const tagsBefore = (await v2('acme/jwt-auth/tags/list')).json;

    // Into a new repository: refused when the upload starts.
    const fresh = await skopeo('copy', '--dest-tls-verify=false', `oci:${layout('pulled')}:1.0.0`, `docker://${host}/acme/pushed:1.0.0`);
    expect(fresh.code).not.toBe(0);
    expect(fresh.stderr.toLowerCase()).toContain('unauthorized');
    expectOciError(await v2('acme/pushed/tags/list'), 404, 'NAME_UNKNOWN');
    // Into an existing repository whose blobs it has already: skopeo skips them and the manifest PUT is refused.
    const existing = await skopeo('copy', '--dest-tls-verify=false', `oci:${layout('pulled')}:1.0.0`, `docker://${host}/acme/jwt-auth:9.9.9`);
    expect(existing.code).not.toBe(0);
    expectOciError(await v2('acme/jwt-auth/manifests/9.9.9'), 404, 'MANIFEST_UNKNOWN');
    expect((await v2('acme/jwt-auth/tags/list')).json).toEqual(tagsBefore);
    const manifest = await v2('acme/jwt-auth/manifests/1.0.0');
    const put = await api(registry.url, 'PUT', '/v2/acme/jwt-auth/manifests/9.9.9', { body: manifest.bytes, contentType: IMAGE_MANIFEST });
    expectOciError(put, 401, 'UNAUTHORIZED');
  });

  it('copies a version to another version of the same plugin with a token: same module, the registry\'s manifest kept byte for byte', async () => {
    const copied = await skopeo('copy', '--dest-tls-verify=false', '--dest-creds', `ci:${admin}`, `oci:${layout('pulled')}:1.0.0`, `docker://${host}/acme/copied:1.0.0`);
    expect(copied.code, copied.stderr).toBe(0);
    const source = await readLayout(layout('pulled'), '1.0.0');
    expect((await settledVersion(registry.url, 'acme', 'copied', '1.0.0')).digest).toBe(sha256(modules['acme/jwt-auth:1.0.0']!));
    expect(await manifestDigest('acme/copied', '1.0.0')).toBe(source.manifestDigest);
  });

  it('answers errors in the distribution spec shape', async () => {
    expectOciError(await v2('acme/nope/tags/list'), 404, 'NAME_UNKNOWN');
    expectOciError(await v2('acme/nope/manifests/1.0.0'), 404, 'NAME_UNKNOWN');
    expectOciError(await v2(`acme/nope/blobs/${sha256(Buffer.from('x'))}`), 404, 'NAME_UNKNOWN');
    expectOciError(await v2('Acme/jwt_auth/tags/list'), 400, 'NAME_INVALID');
    expectOciError(await v2('acme/jwt-auth/manifests/not..a..tag!'), 404, 'MANIFEST_UNKNOWN');
    // HEAD answers the status without a body.
    const missing = await api(registry.url, 'HEAD', '/v2/acme/jwt-auth/manifests/9.9.9');
    expect([missing.status, missing.bytes.length]).toEqual([404, 0]);
    expectOciError(await v2('acme/jwt-auth/tags/list?n=many'), 400, 'UNSUPPORTED');
    // Routes the registry does not have (nested repositories, the catalog) are unknown names.
    expectOciError(await v2('a/b/c/manifests/1.0.0'), 404, 'NAME_UNKNOWN');
    const catalog = await v2('_catalog');
    expect(catalog.status).toBe(404);
    expectOciError(catalog, 404, 'NAME_UNKNOWN');
    // The API outside /v2 keeps its problem documents.
    expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/nope')).headers.get('content-type')).toContain('application/problem+json');
  });

  it('counts a full pull of the layer through /v2 as a download of the version (ranges and HEAD are not)', async () => {
    const module = modules['acme/counted:1.0.0']!;
    const path = `/v2/acme/counted/blobs/${sha256(module)}`;
    expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/counted/versions/1.0.0')).json.downloads).toBe(0);
    for (let i = 0; i < 3; i++) expect((await api(registry.url, 'GET', path)).bytes.equals(module)).toBe(true);
    expect((await api(registry.url, 'HEAD', path)).status).toBe(200);
    expect((await api(registry.url, 'GET', path, { headers: { range: 'bytes=0-9' } })).status).toBe(206);
    const counted = await waitFor(
      () => api(registry.url, 'GET', '/api/v1/plugins/acme/counted/versions/1.0.0'),
      (r) => r.json.downloads >= 3,
    );
    expect(counted.json.downloads).toBe(3);
    // A late flush must not add the HEAD or the range.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/counted/versions/1.0.0')).json.downloads).toBe(3);
    expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/counted')).json.downloads).toBe(3);
  });

  it('keeps every manifest digest across a restart; a version still in its pipeline is not served', async () => {
    const before = new Map<string, Buffer>();
    for (const tag of (await v2('acme/jwt-auth/tags/list')).json.tags as string[]) {
      const response = await v2(`acme/jwt-auth/manifests/${tag}`);
      before.set(tag, response.bytes);
      for (const referrer of (await v2(`acme/jwt-auth/referrers/${sha256(response.bytes)}`)).json.manifests as Json[]) {
        before.set(referrer.digest, (await v2(`acme/jwt-auth/manifests/${referrer.digest}`)).bytes);
      }
    }
    // Four tags (latest is 1.1.0's manifest) and three referrers for each of the three versions.
    expect(before.size).toBe(4 + 3 * 3);
    expect(await registry.stop()).toBe(0);
    // Restarted on the same DATA_DIR with a signing key that does not exist: a new version stays pending
    // (analysis and SBOM done, signing retried much later), which is what this test needs.
    registry = await startRegistry(
      { ...embeddedEnv, SIGNING_KEY_PATH: join(work, 'missing-key.pem'), PIPELINE_ATTEMPTS: '50', PIPELINE_BACKOFF_MS: '600000' },
      { dataDir },
    );
    host = `127.0.0.1:${registry.port}`;
    for (const [reference, bytes] of before) {
      const response = await v2(`acme/jwt-auth/manifests/${reference}`);
      expect(response.status).toBe(200);
      expect(response.bytes.equals(bytes)).toBe(true);
      expect(response.headers.get('docker-content-digest')).toBe(sha256(bytes));
    }

    const module = await proxyWasmFilter('jwt-3.0.0');
    expect((await api(registry.url, 'PUT', '/api/v1/plugins/acme/jwt-auth/versions/3.0.0', { token: admin, body: module })).status).toBe(202);
    const stuck = await waitFor(
      () => api(registry.url, 'GET', '/api/v1/plugins/acme/jwt-auth/versions/3.0.0'),
      (r) => {
        const signing = r.json.pipeline?.find((s: Json) => s.step === 'signature');
        return signing?.attempts >= 1 && signing.state !== 'running';
      },
      20_000,
    );
    expect(stuck.json.status).toBe('pending');
    expect(stuck.json.pipeline.map((s: Json) => s.state)).toEqual(['done', 'done', 'done', 'pending']);
    expect((await v2('acme/jwt-auth/tags/list')).json.tags).toEqual(['1.0.0', '1.1.0', '2.0.0', 'latest']);
    expectOciError(await v2('acme/jwt-auth/manifests/3.0.0'), 404, 'MANIFEST_UNKNOWN');
    expectOciError(await v2(`acme/jwt-auth/blobs/${sha256(module)}`), 404, 'BLOB_UNKNOWN');
    expect((await v2('acme/jwt-auth/manifests/latest')).bytes.equals(before.get('1.1.0')!)).toBe(true);
    // Still pending after all of the above: the checks saw a pending version.
    expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/jwt-auth/versions/3.0.0')).json.status).toBe('pending');
  });
});

describe('OCI distribution (/v2) on PostgreSQL + S3, through two API processes', () => {
  let postgres: PostgresServer;
  let s3: TestS3Server;
  let work: string;
  const registries: RunningRegistry[] = [];

  beforeAll(async () => {
    [postgres, s3, work] = await Promise.all([
      startPostgres(),
      startTestS3Server({ bucket: 'wasm-modules', keepPrefixes: ['uploads/', 'blobs/sha256/'] }),
      mkdtemp(join(tmpdir(), 'oci-e2e-layouts-')),
    ]);
    const env = { DATABASE_URL: postgres.url, ...registryS3Env(s3) };
    registries.push(...(await Promise.all([startRegistry(env), startRegistry(env)])));
  });

  afterAll(async () => {
    await Promise.all(registries.map((r) => r.stop()));
    await Promise.all([postgres?.stop(), s3?.stop(), work && rm(work, { recursive: true, force: true })]);
  });

  it('serves the same manifests, digests and referrers from both processes, and the layer from S3', async () => {
    const [a, b] = registries as [RunningRegistry, RunningRegistry];
    const module = await paddedModule(100 * 1024, 'oci-postgres');
    expect((await api(a.url, 'PUT', '/api/v1/plugins/acme/shared/versions/1.0.0', { token: a.adminToken, body: module })).status).toBe(202);
    expect((await settledVersion(a.url, 'acme', 'shared', '1.0.0')).status).toBe('ready');

    const [fromA, fromB] = await Promise.all([a, b].map((r) => api(r.url, 'GET', '/v2/acme/shared/manifests/1.0.0')));
    expect(fromA!.status).toBe(200);
    expect(fromB!.bytes.equals(fromA!.bytes)).toBe(true);
    const digest = fromA!.headers.get('docker-content-digest')!;
    expect(digest).toBe(sha256(fromA!.bytes));
    expect(fromB!.headers.get('docker-content-digest')).toBe(digest);
    expect((await api(b.url, 'GET', `/v2/acme/shared/manifests/${digest}`)).bytes.equals(fromA!.bytes)).toBe(true);
    expect((await api(b.url, 'HEAD', '/v2/acme/shared/manifests/latest')).headers.get('docker-content-digest')).toBe(digest);

    const [referrersA, referrersB] = await Promise.all([a, b].map((r) => api(r.url, 'GET', `/v2/acme/shared/referrers/${digest}`)));
    expect(referrersA!.json.manifests).toHaveLength(3);
    expect(referrersB!.bytes.equals(referrersA!.bytes)).toBe(true);

    await skopeoOk('copy', '--src-tls-verify=false', `docker://127.0.0.1:${b.port}/acme/shared:1.0.0`, `oci:${join(work, 'shared')}:1.0.0`);
    const pulled = await readLayout(join(work, 'shared'), '1.0.0');
    expect(pulled.manifestDigest).toBe(digest);
    expect((await pulled.blob(pulled.manifest.layers[0].digest)).equals(module)).toBe(true);
  });
});
