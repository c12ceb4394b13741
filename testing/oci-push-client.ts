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
