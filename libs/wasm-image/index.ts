// TEMPORARY STUB (not committed): replaced by the helper's library.
import type { Readable } from 'node:stream';
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
export interface Descriptor { mediaType: string; digest: string; size: number; annotations?: Record<string, string>; artifactType?: string }
export type PushedManifest =
  | { kind: 'image'; mediaType: string; config: Descriptor; layers: Descriptor[]; subject: Descriptor | null; artifactType: string | null; annotations: Record<string, string> }
  | { kind: 'index'; mediaType: string; manifests: Descriptor[]; subject: Descriptor | null; artifactType: string | null; annotations: Record<string, string> };
export class ImageRefusal extends Error { constructor(readonly ociCode: string, readonly detail: string, readonly field?: string) { super(detail); } }
export type WasmImageFormat = 'wasm-oci' | 'istio-compat' | 'higress' | 'cncf-wasm';
export interface WasmImagePlan { format: WasmImageFormat; module: { layer: Descriptor; packaging: 'raw' | 'tar' | 'tar+gzip' }; spec: Descriptor | null; docs: { lang: string | null; layer: Descriptor }[]; icon: Descriptor | null }
const TYPES = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'];
export function parsePushedManifest(bytes: Buffer, contentType: string | undefined): PushedManifest {
  let json: any;
  try { json = JSON.parse(bytes.toString('utf8')); } catch { throw new ImageRefusal('MANIFEST_INVALID', 'not JSON'); }
  const type = (contentType ?? '').split(';')[0]!.trim();
  if (!TYPES.includes(type)) throw new ImageRefusal('MANIFEST_INVALID', `content type ${type}`);
  if (json.manifests) return { kind: 'index', mediaType: type, manifests: json.manifests, subject: json.subject ?? null, artifactType: json.artifactType ?? null, annotations: json.annotations ?? {} };
  return { kind: 'image', mediaType: type, config: json.config, layers: json.layers, subject: json.subject ?? null, artifactType: json.artifactType ?? null, annotations: json.annotations ?? {} };
}
export function planWasmImage(m: PushedManifest & { kind: 'image' }): WasmImagePlan {
  const layer = m.layers.find((l) => l.mediaType.includes('wasm'));
  if (!layer) throw new ImageRefusal('MANIFEST_INVALID', 'the image holds no WebAssembly');
  return { format: 'wasm-oci', module: { layer, packaging: 'raw' }, spec: null, docs: [], icon: null };
}
export function extractModule(layer: Readable, _p: string, _l: unknown): Readable { return layer; }
export function metadataFromAnnotations(a: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  if (a['org.opencontainers.image.description']) out.description = a['org.opencontainers.image.description'];
  if (a['org.opencontainers.image.licenses']) out.license = a['org.opencontainers.image.licenses'];
  return out;
}
