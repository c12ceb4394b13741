import { parse as watToComponent } from '@bytecodealliance/jco-transpile/wasm-tools';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDockerRegistry, type DockerRegistry } from '../testing/docker-registry.js';
import {
  cncfWasmImage,
  compatImage,
  higressImage,
  linuxContainerImage,
  OCI_MEDIA,
  sha256,
  tarLayer,
  tinyPng,
  wasmOciImage,
  writeDockerArchive,
  writeOciLayout,
} from '../testing/oci-push-client.js';
import { skopeo, skopeoOk } from '../testing/skopeo.js';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { HIGRESS_SPEC } from './contract-fixtures.js';
import { api, settledVersion, type Json } from './support.js';

/**
 * Publishing with the tool authors already use: Debian's skopeo copies each Wasm image format into the
 * registry from an OCI layout, from a `docker save` archive and from a Docker Distribution 2.8 registry,
 * then pulls it back; digests must not change, and the version must be what an HTTP publish makes.
 */

describe('OCI push with skopeo: every Wasm image format, from a layout, a docker save archive and Docker Distribution', () => {
  let registry: RunningRegistry;
  let docker: DockerRegistry;
  let work: string;
  let host: string;
  let creds: string;
  const images: Record<string, { image: { manifest: Buffer; blobs: Buffer[] }; mediaType: string; module: Buffer }> = {};

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'oci-push-skopeo-'));
    [registry, docker] = await Promise.all([startRegistry(), startDockerRegistry()]);
    host = `127.0.0.1:${registry.port}`;
    expect((await api(registry.url, 'PUT', '/api/v1/namespaces/acme', { token: registry.adminToken })).status).toBe(201);
    creds = `ci:${(await api(registry.url, 'POST', '/api/v1/tokens', { token: registry.adminToken, json: { name: 'acme-ci', namespaces: ['acme'] } })).json.token}`;
    const [oci, compat, higress] = await Promise.all([proxyWasmFilter('skopeo-oci'), proxyWasmFilter('skopeo-compat'), proxyWasmFilter('skopeo-higress')]);
    const component = Buffer.from(
      await watToComponent(`(component
        (core module $m (func (export "answer") (result i32) (i32.const 42)))
        (core instance $i (instantiate $m))
        (func $answer (result u32) (canon lift (core func $i "answer")))
        (export "answer" (func $answer)))`),
    );
    const compatImg = compatImage(await tarLayer([{ name: 'plugin.wasm', content: compat }], true), true);
    images['wasm-oci'] = { image: wasmOciImage(oci), mediaType: OCI_MEDIA.imageManifest, module: oci };
    images['istio-compat'] = { image: compatImg, mediaType: compatImg.mediaType, module: compat };
    images.higress = {
      image: await higressImage(higress, { specYaml: HIGRESS_SPEC, readme: '# Key Auth\n\nAuthenticates consumers by API key.\n', translations: { 'zh-cn': '# Key 认证\n' }, icon: await tinyPng() }),
      mediaType: OCI_MEDIA.imageManifest,
      module: higress,
    };
    images['cncf-wasm'] = {
      image: cncfWasmImage(component, { 'org.opencontainers.image.description': 'A component pushed with wkg', 'org.opencontainers.image.source': 'https://github.com/acme/answer' }),
      mediaType: OCI_MEDIA.imageManifest,
      module: component,
    };
    for (const [format, { image, mediaType }] of Object.entries(images)) await writeOciLayout(join(work, format), image, '1.0.0', mediaType);
  });

  afterAll(async () => {
    await Promise.all([registry?.stop(), docker?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Pulls `reference` back into a fresh layout and returns the manifest's digest and bytes as skopeo wrote them. */
  async function pullBack(reference: string, name: string): Promise<{ digest: string; bytes: Buffer }> {
    const dir = join(work, `pulled-${name}`);
    await skopeoOk('copy', '--src-tls-verify=false', '--preserve-digests', `docker://${reference}`, `oci:${dir}:pulled`);
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as Json;
    const digest = index.manifests[0].digest as string;
    return { digest, bytes: await readFile(join(dir, 'blobs', 'sha256', digest.slice(7))) };
  }

  it.each(['wasm-oci', 'istio-compat', 'higress', 'cncf-wasm'])('publishes the %s format from an OCI layout, and pulls it back with the same digest', async (format) => {
    const { image, module } = images[format]!;
    const plugin = `skopeo-${format}`;
    await skopeoOk('copy', '--dest-tls-verify=false', '--dest-creds', creds, '--preserve-digests', `oci:${join(work, format)}:1.0.0`, `docker://${host}/acme/${plugin}:1.0.0`);
    const version = await settledVersion(registry.url, 'acme', plugin, '1.0.0');
    expect(version).toMatchObject({ status: 'ready', digest: sha256(module) });
    expect(version.pinned.oci.manifestDigest).toBe(sha256(image.manifest));
    const back = await pullBack(`${host}/acme/${plugin}:1.0.0`, format);
    expect(back.digest).toBe(sha256(image.manifest));
    expect(back.bytes.equals(image.manifest)).toBe(true);
  });

  it('maps a Higress image onto the version: spec.yaml is the contract, README.md the README', async () => {
    const contract = await api(registry.url, 'GET', '/api/v1/plugins/acme/skopeo-higress/versions/1.0.0');
    expect(contract.json.contract).toMatchObject({ source: expect.stringMatching(/higress/i) });
    const readme = await api(registry.url, 'GET', '/api/v1/plugins/acme/skopeo-higress/versions/1.0.0/readme');
    expect(readme.text).toContain('Authenticates consumers by API key.');
    const examples = await api(registry.url, 'GET', '/api/v1/plugins/acme/skopeo-higress/versions/1.0.0/examples');
    expect(JSON.stringify(examples.json)).toContain('x-api-key');
    const plugin = await api(registry.url, 'GET', '/api/v1/plugins/acme/skopeo-higress');
    expect(plugin.json.description).toBe('Authenticates consumers by API key.');
  });

  it('fills a CNCF (wkg) component\'s metadata from its annotations', async () => {
    const plugin = (await api(registry.url, 'GET', '/api/v1/plugins/acme/skopeo-cncf-wasm')).json;
    expect(plugin).toMatchObject({ description: 'A component pushed with wkg', repository: 'https://github.com/acme/answer' });
    expect((await settledVersion(registry.url, 'acme', 'skopeo-cncf-wasm', '1.0.0')).analysis.kind).toBe('component');
  });

  it('publishes the compat variant from a `docker save` archive', async () => {
    const module = await proxyWasmFilter('docker-save');
    const archive = join(work, 'plugin.tar');
    await writeDockerArchive(archive, module, 'acme/docker-save:1.0.0');
    await skopeoOk('copy', '--dest-tls-verify=false', '--dest-creds', creds, `docker-archive:${archive}`, `docker://${host}/acme/docker-save:1.0.0`);
    expect(await settledVersion(registry.url, 'acme', 'docker-save', '1.0.0')).toMatchObject({ status: 'ready', digest: sha256(module) });
    const pushed = await api(registry.url, 'GET', '/v2/acme/docker-save/manifests/1.0.0');
    const back = await pullBack(`${host}/acme/docker-save:1.0.0`, 'docker-save');
    expect(back.digest).toBe(sha256(pushed.bytes));
  });

  it.each(['wasm-oci', 'istio-compat', 'higress', 'cncf-wasm'])('copies the %s format from Docker Distribution 2.8 into the registry with every digest kept', async (format) => {
    const { image, module } = images[format]!;
    await skopeoOk('copy', '--dest-tls-verify=false', '--preserve-digests', `oci:${join(work, format)}:1.0.0`, `docker://${docker.host}/mirror/${format}:2.0.0`);
    const plugin = `from-distribution-${format}`;
    // The layout says 1.0.0 inside Higress's spec.yaml; the mirrored copy is pushed under 1.0.0 too.
    await skopeoOk('copy', '--src-tls-verify=false', '--dest-tls-verify=false', '--dest-creds', creds, '--preserve-digests', `docker://${docker.host}/mirror/${format}:2.0.0`, `docker://${host}/acme/${plugin}:1.0.0`);
    expect(await settledVersion(registry.url, 'acme', plugin, '1.0.0')).toMatchObject({ status: 'ready', digest: sha256(module) });
    const inspected = await skopeoOk('inspect', '--raw', '--tls-verify=false', `docker://${host}/acme/${plugin}:1.0.0`);
    expect(Buffer.from(inspected).equals(image.manifest)).toBe(true);
    const fromDistribution = await skopeoOk('inspect', '--raw', '--tls-verify=false', `docker://${docker.host}/mirror/${format}:2.0.0`);
    expect(sha256(Buffer.from(fromDistribution))).toBe(sha256(image.manifest));
  });

  it('refuses, through skopeo, a Linux container image and a push without rights, saying why', async () => {
    await writeOciLayout(join(work, 'linux'), await linuxContainerImage(), 'latest');
    const linux = await skopeo('copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${join(work, 'linux')}:latest`, `docker://${host}/acme/linux:1.0.0`);
    expect(linux.code).not.toBe(0);
    expect(linux.stderr.toLowerCase()).toContain('webassembly');
    expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/linux/versions/1.0.0')).status).toBe(404);
    const elsewhere = await skopeo('copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${join(work, 'wasm-oci')}:1.0.0`, `docker://${host}/edge/plugin:1.0.0`);
    expect(elsewhere.code).not.toBe(0);
    expect(elsewhere.stderr.toLowerCase()).toMatch(/denied|unauthorized/);
  });
});
