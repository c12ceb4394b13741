import { describe, expect, it } from 'vitest';
import { CONTRACT_LIMITS } from '../../contract/index.js';
import { metadataFromAnnotations } from './annotations.js';
import { ImageRefusal } from './image-refusal.js';
import { MEDIA_TYPES_IN_PUSH as M } from './media-types.js';
import type { Descriptor, PushedManifest } from './pushed-manifest.js';
import { SIDE_LAYER_LIMITS, planWasmImage } from './wasm-image-plan.js';

let next = 0;
const layer = (mediaType: string, size = 1000): Descriptor => ({ mediaType, digest: `sha256:${(++next).toString(16).padStart(64, '0')}`, size });
const image = (config: string, layers: Descriptor[]): PushedManifest & { kind: 'image' } => ({
  kind: 'image',
  mediaType: M.ociManifest,
  config: layer(config),
  layers,
  subject: null,
  artifactType: null,
  annotations: {},
});

function refusalOf(manifest: PushedManifest & { kind: 'image' }): ImageRefusal {
  try {
    planWasmImage(manifest);
  } catch (error) {
    if (error instanceof ImageRefusal) return error;
    throw error;
  }
  throw new Error('the image was planned');
}

describe('planWasmImage', () => {
  it('wasm-oci (solo.io/Istio "oci"): the one raw content layer', () => {
    const module = layer(M.wasmLayer);
    expect(planWasmImage(image(M.wasmConfig, [module]))).toEqual({ format: 'wasm-oci', module: { layer: module, packaging: 'raw' }, spec: null, docs: [], icon: null });
  });

  it('istio-compat: one tar or tar+gzip layer, OCI or Docker media types, under any config', () => {
    const cases = [
      [M.ociConfig, M.ociLayerTar, 'tar'],
      [M.ociConfig, M.ociLayerTarGzip, 'tar+gzip'],
      [M.dockerConfig, M.dockerLayerTarGzip, 'tar+gzip'],
      [M.dockerConfig, M.dockerLayerTar, 'tar'],
    ] as const;
    for (const [config, mediaType, packaging] of cases) {
      const module = layer(mediaType);
      expect(planWasmImage(image(config, [module])), mediaType).toEqual({ format: 'istio-compat', module: { layer: module, packaging }, spec: null, docs: [], icon: null });
    }
  });

  it('higress: spec.yaml, READMEs with their languages, the icon and plugin.tar.gz', () => {
    const spec = layer(M.higressSpec);
    const readme = layer(M.higressDoc);
    const readmeEn = layer('application/vnd.module.wasm.doc.v1.en+markdown');
    const readmeZh = layer('application/vnd.module.wasm.doc.v1.zh-CN+markdown');
    const icon = layer(M.higressIcon);
    const module = layer(M.ociLayerTarGzip);
    expect(planWasmImage(image(M.ociEmpty, [spec, readme, readmeEn, readmeZh, icon, module]))).toEqual({
      format: 'higress',
      module: { layer: module, packaging: 'tar+gzip' },
      spec,
      docs: [
        { lang: null, layer: readme },
        { lang: 'en', layer: readmeEn },
        { lang: 'zh-CN', layer: readmeZh },
      ],
      icon,
    });
  });

  it('higress: a raw content layer as the module, any config', () => {
    const module = layer(M.wasmLayer);
    const readme = layer(M.higressDoc);
    expect(planWasmImage(image('application/vnd.unknown.config.v1+json', [module, readme]))).toMatchObject({ format: 'higress', module: { layer: module, packaging: 'raw' }, spec: null, icon: null });
  });

  it('cncf-wasm (wkg, runwasi): the one application/wasm layer', () => {
    const module = layer(M.cncfWasmLayer);
    expect(planWasmImage(image(M.cncfWasmConfig, [module]))).toEqual({ format: 'cncf-wasm', module: { layer: module, packaging: 'raw' }, spec: null, docs: [], icon: null });
  });

  it('refuses a Linux container image (a container config and 3 tar layers): it holds no WebAssembly', () => {
    const refusal = refusalOf(image(M.dockerConfig, [layer(M.dockerLayerTarGzip), layer(M.dockerLayerTarGzip), layer(M.dockerLayerTarGzip)]));
    expect(refusal).toMatchObject({ ociCode: 'UNSUPPORTED', field: 'layers' });
    expect(refusal.detail).toContain('holds no WebAssembly');
    expect(refusal.detail).toContain('3 filesystem layers (a Linux container image?)');
  });

  it('refuses an image without layers', () => {
    expect(refusalOf(image(M.ociConfig, [])).detail).toContain('holds no WebAssembly');
    expect(refusalOf(image(M.wasmConfig, [])).detail).toContain('holds no WebAssembly');
  });

  it('refuses two wasm layers: several candidate modules, naming their digests', () => {
    const [a, b] = [layer(M.wasmLayer), layer(M.wasmLayer)];
    const refusal = refusalOf(image(M.wasmConfig, [a, b]));
    expect(refusal).toMatchObject({ ociCode: 'MANIFEST_INVALID', field: 'layers' });
    expect(refusal.detail).toContain('several candidate modules');
    expect(refusal.detail).toContain(a.digest);
    expect(refusal.detail).toContain(b.digest);
    expect(refusalOf(image(M.cncfWasmConfig, [layer(M.cncfWasmLayer), layer(M.cncfWasmLayer)])).detail).toContain('several candidate modules');
    expect(refusalOf(image(M.ociEmpty, [layer(M.higressSpec), layer(M.ociLayerTarGzip), layer(M.wasmLayer)])).detail).toContain('several candidate modules');
  });

  it('refuses a layer of unknown media type in a wasm-oci image, listing the allowed ones', () => {
    const refusal = refusalOf(image(M.wasmConfig, [layer(M.wasmLayer), layer('application/vnd.example.extra')]));
    expect(refusal).toMatchObject({ ociCode: 'UNSUPPORTED', field: 'layers[1].mediaType' });
    expect(refusal.detail).toContain('application/vnd.example.extra');
    expect(refusal.detail).toContain(M.wasmLayer);
    expect(refusalOf(image(M.cncfWasmConfig, [layer(M.wasmLayer)])).field).toBe('layers[0].mediaType');
    expect(refusalOf(image(M.ociEmpty, [layer(M.higressSpec), layer(M.ociLayerTarGzip), layer('text/plain')])).field).toBe('layers[2].mediaType');
  });

  it('refuses zstd layers and raw modules under a container config, saying what would be accepted', () => {
    expect(refusalOf(image(M.ociConfig, [layer('application/vnd.oci.image.layer.v1.tar+zstd')])).detail).toContain(M.ociLayerTarGzip);
    const raw = refusalOf(image(M.ociConfig, [layer(M.cncfWasmLayer)]));
    expect(raw.detail).toContain(M.cncfWasmConfig);
  });

  it('refuses Higress side layers that are too big or repeated', () => {
    const module = layer(M.ociLayerTarGzip);
    expect(refusalOf(image(M.ociEmpty, [module, layer(M.higressIcon, SIDE_LAYER_LIMITS.iconBytes + 1)]))).toMatchObject({ ociCode: 'SIZE_INVALID', field: 'layers[1].size' });
    expect(refusalOf(image(M.ociEmpty, [module, layer(M.higressSpec, SIDE_LAYER_LIMITS.specBytes + 1)])).ociCode).toBe('SIZE_INVALID');
    expect(refusalOf(image(M.ociEmpty, [module, layer(M.higressDoc, SIDE_LAYER_LIMITS.docBytes + 1)])).ociCode).toBe('SIZE_INVALID');
    expect(planWasmImage(image(M.ociEmpty, [module, layer(M.higressIcon, SIDE_LAYER_LIMITS.iconBytes)])).icon).not.toBeNull();
    expect(refusalOf(image(M.ociEmpty, [module, layer(M.higressSpec), layer(M.higressSpec)])).field).toBe('layers[2].mediaType');
    expect(refusalOf(image(M.ociEmpty, [module, layer(M.higressDoc), layer(M.higressDoc)])).detail).toContain('second README');
  });

  it('refuses a Higress image without a module layer', () => {
    expect(refusalOf(image(M.ociEmpty, [layer(M.higressSpec), layer(M.higressDoc)])).detail).toContain('holds no WebAssembly');
  });

  it('bounds spec.yaml and README layers as the contract bounds the parts they become', () => {
    expect(SIDE_LAYER_LIMITS.specBytes).toBe(CONTRACT_LIMITS.manifestBytes);
    expect(SIDE_LAYER_LIMITS.docBytes).toBe(CONTRACT_LIMITS.readmeBytes);
  });
});

describe('metadataFromAnnotations', () => {
  it('maps the OCI description, licenses, url and source annotations onto plugin metadata', () => {
    expect(
      metadataFromAnnotations({
        'org.opencontainers.image.description': ' A JWT filter ',
        'org.opencontainers.image.licenses': 'Apache-2.0',
        'org.opencontainers.image.url': 'https://example.com/jwt',
        'org.opencontainers.image.source': 'https://github.com/example/jwt',
        'org.opencontainers.image.title': 'jwt',
      }),
    ).toEqual({ description: 'A JWT filter', license: 'Apache-2.0', homepage: 'https://example.com/jwt', repository: 'https://github.com/example/jwt' });
  });

  it('leaves out annotations that are absent or empty', () => {
    expect(metadataFromAnnotations({ 'org.opencontainers.image.licenses': '  ' })).toEqual({});
    expect(metadataFromAnnotations(undefined)).toEqual({});
  });
});
