import { describe, expect, it } from 'vitest';
import { ImageRefusal } from './image-refusal.js';
import { MEDIA_TYPES_IN_PUSH as M } from './media-types.js';
import { MAX_MANIFEST_BYTES, MAX_MANIFEST_DEPTH, MAX_MANIFEST_ENTRIES, parsePushedManifest } from './pushed-manifest.js';

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
const descriptor = (mediaType: string, n: number, size = 100) => ({ mediaType, digest: digest(n), size });
const image = (extra: Record<string, unknown> = {}) => ({
  schemaVersion: 2,
  mediaType: M.ociManifest,
  config: descriptor(M.wasmConfig, 1),
  layers: [descriptor(M.wasmLayer, 2)],
  ...extra,
});
const index = (extra: Record<string, unknown> = {}) => ({
  schemaVersion: 2,
  mediaType: M.ociIndex,
  manifests: [{ ...descriptor(M.ociManifest, 3), platform: { os: 'wasip1', architecture: 'wasm' } }],
  ...extra,
});
const bytes = (document: unknown): Buffer => Buffer.from(JSON.stringify(document));

/** The refusal parsePushedManifest throws for these bytes (fails the test if it accepts them). */
function refusalOf(body: Buffer, contentType: string | undefined): ImageRefusal {
  try {
    parsePushedManifest(body, contentType);
  } catch (error) {
    if (error instanceof ImageRefusal) return error;
    throw error;
  }
  throw new Error('the manifest was accepted');
}

describe('parsePushedManifest', () => {
  it('reads an OCI image manifest: config, layers, subject, artifactType and annotations', () => {
    const subject = descriptor(M.ociManifest, 9, 512);
    const manifest = parsePushedManifest(
      bytes(image({ subject, artifactType: 'application/vnd.example+json', annotations: { 'org.opencontainers.image.description': 'A filter' } })),
      `${M.ociManifest}; charset=utf-8`,
    );
    expect(manifest).toEqual({
      kind: 'image',
      mediaType: M.ociManifest,
      config: descriptor(M.wasmConfig, 1),
      layers: [descriptor(M.wasmLayer, 2)],
      subject,
      artifactType: 'application/vnd.example+json',
      annotations: { 'org.opencontainers.image.description': 'A filter' },
    });
  });

  it('reads a Docker v2 schema 2 manifest', () => {
    const docker = { schemaVersion: 2, mediaType: M.dockerManifest, config: descriptor(M.dockerConfig, 1), layers: [descriptor(M.dockerLayerTarGzip, 2)] };
    expect(parsePushedManifest(bytes(docker), M.dockerManifest)).toMatchObject({ kind: 'image', mediaType: M.dockerManifest, subject: null, artifactType: null, annotations: {} });
  });

  it('reads an OCI index and a Docker manifest list, platforms kept', () => {
    expect(parsePushedManifest(bytes(index()), M.ociIndex)).toEqual({
      kind: 'index',
      mediaType: M.ociIndex,
      manifests: [{ ...descriptor(M.ociManifest, 3), platform: { os: 'wasip1', architecture: 'wasm' } }],
      subject: null,
      artifactType: null,
      annotations: {},
    });
    const list = { schemaVersion: 2, mediaType: M.dockerManifestList, manifests: [descriptor(M.dockerManifest, 4)] };
    expect(parsePushedManifest(bytes(list), M.dockerManifestList)).toMatchObject({ kind: 'index', mediaType: M.dockerManifestList });
  });

  it('lets the Content-Type decide when an OCI manifest omits mediaType', () => {
    const { mediaType: _omitted, ...bare } = image();
    expect(parsePushedManifest(bytes(bare), M.ociManifest)).toMatchObject({ kind: 'image', mediaType: M.ociManifest });
    const { mediaType: _alsoOmitted, ...bareIndex } = index();
    expect(parsePushedManifest(bytes(bareIndex), M.ociIndex)).toMatchObject({ kind: 'index', mediaType: M.ociIndex });
  });

  it('refuses a Content-Type that is not a manifest media type, or none', () => {
    const noType = refusalOf(bytes(image()), undefined);
    expect(noType).toMatchObject({ ociCode: 'UNSUPPORTED' });
    expect(noType.detail).toContain('no Content-Type');
    expect(noType.detail).toContain(M.ociManifest);
    expect(refusalOf(bytes(image()), 'application/vnd.docker.distribution.manifest.v1+prettyjws').detail).toContain('prettyjws');
    expect(refusalOf(bytes(image()), 'application/json').ociCode).toBe('UNSUPPORTED');
  });

  it('refuses a mediaType that differs from the Content-Type, naming both', () => {
    const refusal = refusalOf(bytes(image()), M.dockerManifest);
    expect(refusal).toMatchObject({ ociCode: 'MANIFEST_INVALID', field: 'mediaType' });
    expect(refusal.detail).toContain(M.ociManifest);
    expect(refusal.detail).toContain(M.dockerManifest);
    expect(refusalOf(bytes(index()), M.ociManifest).field).toBe('mediaType');
  });

  it('refuses schemaVersion other than 2', () => {
    expect(refusalOf(bytes(image({ schemaVersion: 1 })), M.ociManifest)).toMatchObject({ ociCode: 'MANIFEST_INVALID', field: 'schemaVersion' });
    expect(refusalOf(bytes(image({ schemaVersion: '2' })), M.ociManifest).field).toBe('schemaVersion');
    const { schemaVersion: _missing, ...without } = image();
    expect(refusalOf(bytes(without), M.ociManifest).detail).toContain('got nothing');
  });

  it('refuses an image without config or layers, and an index without manifests', () => {
    const { config: _c, ...noConfig } = image();
    expect(refusalOf(bytes(noConfig), M.ociManifest)).toMatchObject({ ociCode: 'MANIFEST_INVALID', field: 'config', detail: expect.stringContaining('is missing') });
    const { layers: _l, ...noLayers } = image();
    expect(refusalOf(bytes(noLayers), M.ociManifest)).toMatchObject({ ociCode: 'MANIFEST_INVALID', field: 'layers', detail: expect.stringContaining('is missing') });
    const { manifests: _m, ...noManifests } = index();
    expect(refusalOf(bytes(noManifests), M.ociIndex)).toMatchObject({ ociCode: 'MANIFEST_INVALID', field: 'manifests' });
    expect(refusalOf(bytes(image({ layers: {} })), M.ociManifest).field).toBe('layers');
  });

  it('refuses an index sent as an image and an image sent as an index', () => {
    const { mediaType: _a, ...bareIndex } = index();
    expect(refusalOf(bytes(bareIndex), M.ociManifest).field).toBe('manifests');
    const { mediaType: _b, ...bareImage } = image();
    expect(refusalOf(bytes(bareImage), M.ociIndex).field).toBe('layers');
  });

  it('refuses digests that are not sha256, and malformed ones, naming the field', () => {
    const sha512 = refusalOf(bytes(image({ layers: [{ ...descriptor(M.wasmLayer, 2), digest: `sha512:${'ab'.repeat(64)}` }] })), M.ociManifest);
    expect(sha512).toMatchObject({ ociCode: 'DIGEST_INVALID', field: 'layers[0].digest' });
    expect(sha512.detail).toContain('sha256 only');
    const upper = refusalOf(bytes(image({ config: { ...descriptor(M.wasmConfig, 1), digest: digest(1).toUpperCase() } })), M.ociManifest);
    expect(upper).toMatchObject({ ociCode: 'DIGEST_INVALID', field: 'config.digest' });
    expect(refusalOf(bytes(image({ subject: { ...descriptor(M.ociManifest, 1), digest: 'sha256:abc' } })), M.ociManifest).field).toBe('subject.digest');
  });

  it('refuses sizes that are not non-negative safe integers', () => {
    for (const size of [-1, 1.5, '100', 2 ** 53, null]) {
      const refusal = refusalOf(bytes(image({ layers: [descriptor(M.wasmLayer, 2), { ...descriptor(M.wasmLayer, 3), size }] })), M.ociManifest);
      expect(refusal, String(size)).toMatchObject({ ociCode: 'SIZE_INVALID', field: 'layers[1].size' });
    }
  });

  it('refuses malformed media types and annotations that are not strings', () => {
    expect(refusalOf(bytes(image({ layers: [{ ...descriptor('wasm', 2) }] })), M.ociManifest).field).toBe('layers[0].mediaType');
    expect(refusalOf(bytes(image({ annotations: { 'org.example': 1 } })), M.ociManifest).field).toBe('annotations["org.example"]');
  });

  it('keeps an annotation named __proto__ as an annotation', () => {
    const manifest = parsePushedManifest(Buffer.from(JSON.stringify(image()).replace(/}$/, ',"annotations":{"__proto__":"x"}}')), M.ociManifest);
    expect(Object.getPrototypeOf(manifest.annotations)).toBe(Object.prototype);
    expect(Object.keys(manifest.annotations)).toEqual(['__proto__']);
  });

  it(`refuses a manifest over ${MAX_MANIFEST_BYTES} bytes before reading it`, () => {
    const padded = bytes(image({ annotations: { padding: 'x'.repeat(MAX_MANIFEST_BYTES) } }));
    expect(refusalOf(padded, M.ociManifest)).toMatchObject({ ociCode: 'SIZE_INVALID' });
    expect(refusalOf(padded, M.ociManifest).detail).toContain(String(MAX_MANIFEST_BYTES));
  });

  it(`refuses more than ${MAX_MANIFEST_ENTRIES} layers or index entries`, () => {
    const layers = Array.from({ length: MAX_MANIFEST_ENTRIES + 1 }, (_, i) => descriptor(M.ociLayerTar, i));
    expect(refusalOf(bytes(image({ layers })), M.ociManifest)).toMatchObject({ ociCode: 'MANIFEST_INVALID', field: 'layers' });
    expect(parsePushedManifest(bytes(image({ layers: layers.slice(1) })), M.ociManifest).kind).toBe('image');
    expect(refusalOf(bytes(index({ manifests: layers.map((layer) => ({ ...layer, mediaType: M.ociManifest })) })), M.ociIndex).field).toBe('manifests');
  });

  it('refuses JSON nested too deep, counted on the text before JSON.parse (no stack overflow)', () => {
    const nested = (depth: number) => Buffer.from(JSON.stringify(image()).replace(/}$/, `,"x":${'['.repeat(depth)}${']'.repeat(depth)}}`));
    expect(parsePushedManifest(nested(MAX_MANIFEST_DEPTH - 1), M.ociManifest).kind).toBe('image');
    expect(refusalOf(nested(MAX_MANIFEST_DEPTH), M.ociManifest).detail).toContain(`deeper than ${MAX_MANIFEST_DEPTH}`);
    expect(refusalOf(nested(1_000_000), M.ociManifest).ociCode).toBe('MANIFEST_INVALID');
    // Brackets inside strings are text, not nesting.
    expect(parsePushedManifest(bytes(image({ annotations: { brackets: '['.repeat(1000) } })), M.ociManifest).kind).toBe('image');
  });

  it('refuses bytes that are not UTF-8 JSON objects', () => {
    expect(refusalOf(Buffer.from([0x7b, 0xff, 0x7d]), M.ociManifest).detail).toContain('UTF-8');
    expect(refusalOf(Buffer.from('{"schemaVersion": 2,'), M.ociManifest).detail).toContain('not valid JSON');
    expect(refusalOf(Buffer.from('[]'), M.ociManifest).detail).toContain('JSON object');
  });
});
