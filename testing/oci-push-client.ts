import { createHash } from 'node:crypto';

/** A small OCI distribution client for tests that drive /v2 pushes request by request. */

export const sha256 = (bytes: Buffer | Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export const OCI_MEDIA = {
  imageManifest: 'application/vnd.oci.image.manifest.v1+json',
  imageIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  wasmConfig: 'application/vnd.module.wasm.config.v1+json',
  wasmLayer: 'application/vnd.module.wasm.content.layer.v1+wasm',
  imageConfig: 'application/vnd.oci.image.config.v1+json',
  tarGzipLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  empty: 'application/vnd.oci.empty.v1+json',
} as const;

export interface OciAnswer {
  status: number;
  headers: Headers;
  text: string;
  bytes: Buffer;
  json: any;
}

/** Basic credentials as OCI clients send them: any user name, a registry token as the password. */
export function basic(token: string, user = 'ci'): string {
  return `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;
}

export async function request(
  base: string,
  method: string,
  path: string,
  options: { authorization?: string; body?: Buffer | Uint8Array; contentType?: string; headers?: Record<string, string> } = {},
): Promise<OciAnswer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/octet-stream';
  const response = await fetch(`${base}${path}`, { method, headers, body: options.body as BodyInit | undefined, redirect: 'manual' });
  const bytes = Buffer.from(await response.arrayBuffer());
  const text = bytes.toString('utf8');
  let json: any = null;
  if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  return { status: response.status, headers: response.headers, text, bytes, json };
}

/** The claims of a JWT, unchecked (the test reads what the registry granted). */
export function jwtClaims(token: string): any {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

/** A Wasm image of the solo.io/Istio "oci" variant, with its blobs. */
export function wasmOciImage(module: Buffer, annotations: Record<string, string> = {}): { manifest: Buffer; config: Buffer; blobs: Buffer[] } {
  const config = Buffer.from(JSON.stringify({ type: 'proxy_wasm', created: '2026-12-01T00:00:00Z' }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MEDIA.imageManifest,
      config: { mediaType: OCI_MEDIA.wasmConfig, digest: sha256(config), size: config.length },
      layers: [{ mediaType: OCI_MEDIA.wasmLayer, digest: sha256(module), size: module.length, annotations: { 'org.opencontainers.image.title': 'plugin.wasm' } }],
      annotations,
    }),
  );
  return { manifest, config, blobs: [config, module] };
}

/** An artifact manifest that refers to `subject` (as cosign or notation push a signature). */
export function referrerManifest(subject: { digest: string; size: number; mediaType: string }, artifactType: string, layer: Buffer): { manifest: Buffer; blobs: Buffer[] } {
  const empty = Buffer.from('{}');
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MEDIA.imageManifest,
      artifactType,
      config: { mediaType: OCI_MEDIA.empty, digest: sha256(empty), size: 2 },
      layers: [{ mediaType: 'application/octet-stream', digest: sha256(layer), size: layer.length }],
      subject,
      annotations: { 'org.opencontainers.image.created': '2026-12-01T00:00:00Z' },
    }),
  );
  return { manifest, blobs: [empty, layer] };
}

/** Pushes as one client does: monolithic blob uploads, then the manifest. */
export class OciPusher {
  constructor(
    readonly base: string,
    readonly repository: string,
    readonly authorization: string,
  ) {}

  async blob(bytes: Buffer): Promise<OciAnswer> {
    return request(this.base, 'POST', `/v2/${this.repository}/blobs/uploads/?digest=${sha256(bytes)}`, { authorization: this.authorization, body: bytes });
  }

  async manifest(reference: string, bytes: Buffer, mediaType: string = OCI_MEDIA.imageManifest): Promise<OciAnswer> {
    return request(this.base, 'PUT', `/v2/${this.repository}/manifests/${reference}`, { authorization: this.authorization, body: bytes, contentType: mediaType });
  }

  /** Every blob, then the manifest under `reference`. */
  async image(reference: string, image: { manifest: Buffer; blobs: Buffer[] }, mediaType?: string): Promise<OciAnswer> {
    for (const blob of image.blobs) {
      const stored = await this.blob(blob);
      if (stored.status !== 201) throw new Error(`blob upload answered ${stored.status}: ${stored.text}`);
    }
    return this.manifest(reference, image.manifest, mediaType);
  }
}

export interface TarEntry {
  name: string;
  content?: Buffer;
  type?: 'file' | 'symlink' | 'link' | 'directory';
  linkname?: string;
}

/** A tar archive (gzipped if asked) built with tar-stream, as an image layer holds it; fixed mtimes, so the bytes are stable. */
export async function tarLayer(entries: TarEntry[], gzip: boolean): Promise<Buffer> {
  const { pack } = await import('tar-stream');
  const { gzipSync } = await import('node:zlib');
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    archive.on('end', resolve);
    archive.on('error', reject);
  });
  for (const entry of entries) {
    const header = { name: entry.name, type: entry.type ?? 'file', mtime: new Date(0), mode: 0o644, ...(entry.linkname ? { linkname: entry.linkname } : {}) };
    await new Promise<void>((resolve, reject) => archive.entry(header, entry.type === undefined || entry.type === 'file' ? (entry.content ?? Buffer.alloc(0)) : undefined, (error) => (error ? reject(error) : resolve())));
  }
  archive.finalize();
  await ended;
  const tar = Buffer.concat(chunks);
  return gzip ? gzipSync(tar) : tar;
}

/** Istio's "compat" variant: an ordinary image whose one layer is a tar (maybe gzipped) holding plugin.wasm. */
export function compatImage(layer: Buffer, gzip: boolean, docker = false): { manifest: Buffer; config: Buffer; blobs: Buffer[]; mediaType: string } {
  const config = Buffer.from(JSON.stringify({ architecture: 'wasm', os: 'wasip1', rootfs: { type: 'layers', diff_ids: [] } }));
  const layerType = docker ? `application/vnd.docker.image.rootfs.diff.tar${gzip ? '.gzip' : ''}` : `application/vnd.oci.image.layer.v1.tar${gzip ? '+gzip' : ''}`;
  const mediaType = docker ? OCI_MEDIA.dockerManifest : OCI_MEDIA.imageManifest;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: { mediaType: docker ? 'application/vnd.docker.container.image.v1+json' : OCI_MEDIA.imageConfig, digest: sha256(config), size: config.length },
      layers: [{ mediaType: layerType, digest: sha256(layer), size: layer.length }],
    }),
  );
  return { manifest, config, blobs: [config, layer], mediaType };
}

/** A Higress plugin image as its build pushes it (oras): spec.yaml, READMEs, the icon and plugin.tar.gz. */
export async function higressImage(module: Buffer, parts: { specYaml: string; readme: string; translations?: Record<string, string>; icon?: Buffer }): Promise<{ manifest: Buffer; blobs: Buffer[] }> {
  const empty = Buffer.from('{}');
  const layer = (mediaType: string, bytes: Buffer, title: string) => ({ bytes, descriptor: { mediaType, digest: sha256(bytes), size: bytes.length, annotations: { 'org.opencontainers.image.title': title } } });
  const layers = [
    layer('application/vnd.module.wasm.spec.v1+yaml', Buffer.from(parts.specYaml), 'spec.yaml'),
    layer('application/vnd.module.wasm.doc.v1+markdown', Buffer.from(parts.readme), 'README.md'),
    ...Object.entries(parts.translations ?? {}).map(([lang, text]) => layer(`application/vnd.module.wasm.doc.v1.${lang}+markdown`, Buffer.from(text), `README_${lang.toUpperCase()}.md`)),
    ...(parts.icon ? [layer('application/vnd.module.wasm.icon.v1+png', parts.icon, 'icon.png')] : []),
    layer(OCI_MEDIA.tarGzipLayer, await tarLayer([{ name: 'plugin.wasm', content: module }], true), 'plugin.tar.gz'),
  ];
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MEDIA.imageManifest,
      artifactType: 'application/vnd.module.wasm.plugin.v1',
      config: { mediaType: OCI_MEDIA.empty, digest: sha256(empty), size: 2, data: 'e30=' },
      layers: layers.map((l) => l.descriptor),
      annotations: { 'org.opencontainers.image.created': '2026-12-01T00:00:00Z' },
    }),
  );
  return { manifest, blobs: [empty, ...layers.map((l) => l.bytes)] };
}

/** The CNCF Wasm OCI artifact layout (wkg, runwasi): config application/vnd.wasm.config.v0+json, one application/wasm layer. */
export function cncfWasmImage(module: Buffer, annotations: Record<string, string> = {}): { manifest: Buffer; blobs: Buffer[] } {
  const config = Buffer.from(
    JSON.stringify({ created: '2026-12-01T00:00:00Z', architecture: 'wasm', os: 'wasip2', layerDigests: [sha256(module)], component: { exports: [], imports: [], target: null } }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MEDIA.imageManifest,
      artifactType: 'application/vnd.wasm.config.v0+json',
      config: { mediaType: 'application/vnd.wasm.config.v0+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/wasm', digest: sha256(module), size: module.length }],
      annotations,
    }),
  );
  return { manifest, blobs: [config, module] };
}

/** Writes an OCI image layout (`skopeo copy oci:<dir>:<tag> …` reads it) holding one image under `tag`. */
export async function writeOciLayout(dir: string, image: { manifest: Buffer; blobs: Buffer[] }, tag: string, mediaType: string = OCI_MEDIA.imageManifest): Promise<string> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const blob of [...image.blobs, image.manifest]) await writeFile(join(dir, 'blobs', 'sha256', sha256(blob).slice(7)), blob);
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const index = {
    schemaVersion: 2,
    mediaType: OCI_MEDIA.imageIndex,
    manifests: [{ mediaType, digest: sha256(image.manifest), size: image.manifest.length, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  };
  await writeFile(join(dir, 'index.json'), JSON.stringify(index));
  return sha256(image.manifest);
}

/**
 * A `docker save` archive of the compat variant, as `docker build` of `FROM scratch` + `COPY plugin.wasm ./`
 * then `docker save` writes it: manifest.json, the config, `<id>/layer.tar` (uncompressed) and `repositories`.
 */
export async function writeDockerArchive(path: string, module: Buffer, repoTag: string): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  const layer = await tarLayer([{ name: 'plugin.wasm', content: module }], false);
  const diffId = sha256(layer);
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [diffId] }, history: [{ created: '2026-12-01T00:00:00Z', created_by: 'COPY plugin.wasm ./ # buildkit' }] }),
  );
  const configName = `${sha256(config).slice(7)}.json`;
  const layerDir = diffId.slice(7);
  const [repository, tag] = [repoTag.slice(0, repoTag.lastIndexOf(':')), repoTag.slice(repoTag.lastIndexOf(':') + 1)];
  const archive = await tarLayer(
    [
      { name: `${layerDir}/`, type: 'directory' },
      { name: `${layerDir}/layer.tar`, content: layer },
      { name: `${layerDir}/VERSION`, content: Buffer.from('1.0') },
      { name: configName, content: config },
      { name: 'manifest.json', content: Buffer.from(JSON.stringify([{ Config: configName, RepoTags: [repoTag], Layers: [`${layerDir}/layer.tar`] }])) },
      { name: 'repositories', content: Buffer.from(JSON.stringify({ [repository]: { [tag]: layerDir } })) },
    ],
    false,
  );
  await writeFile(path, archive);
}

/** A real 1×1 PNG (signature, IHDR, IDAT, IEND with their CRCs), for a Higress icon layer. */
export async function tinyPng(): Promise<Buffer> {
  const { crc32, deflateSync } = await import('node:zlib');
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(1, 0);
  header.writeUInt32BE(1, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.from([0, 0x2a, 0x7f, 0xd4]))), chunk('IEND', Buffer.alloc(0))]);
}

/** An ordinary Linux container image: an OCI image config and two tar+gzip layers of files, no WebAssembly. */
export async function linuxContainerImage(): Promise<{ manifest: Buffer; blobs: Buffer[] }> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const layers = await Promise.all([tarLayer([{ name: 'bin/sh', content: Buffer.from('#!/bin/sh\n') }], true), tarLayer([{ name: 'etc/os-release', content: Buffer.from('ID=debian\n') }], true)]);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MEDIA.imageManifest,
      config: { mediaType: OCI_MEDIA.imageConfig, digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: OCI_MEDIA.tarGzipLayer, digest: sha256(l), size: l.length })),
    }),
  );
  return { manifest, blobs: [config, ...layers] };
}
