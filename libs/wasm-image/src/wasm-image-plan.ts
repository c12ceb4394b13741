import { ImageRefusal, quoted } from './image-refusal.js';
import { HIGRESS_TRANSLATED_DOC, MEDIA_TYPES_IN_PUSH as M } from './media-types.js';
import type { Descriptor, PushedManifest } from './pushed-manifest.js';

/** The image formats a push may use; each maps onto one version (README "Pushing with OCI clients"). */
export type WasmImageFormat = 'wasm-oci' | 'istio-compat' | 'higress' | 'cncf-wasm';

/** How the module layer holds the module: its bytes, or `plugin.wasm` inside a tar (maybe gzipped). */
export type ModulePackaging = 'raw' | 'tar' | 'tar+gzip';

/** What a pushed image holds and where, decided from media types alone (no blob is read). */
export interface WasmImagePlan {
  format: WasmImageFormat;
  /** The layer holding the module, and how: raw bytes, or plugin.wasm inside a tar (maybe gzipped). */
  module: { layer: Descriptor; packaging: ModulePackaging };
  /** Higress: spec.yaml layer; null otherwise. */
  spec: Descriptor | null;
  /** README layers: default (lang null) and translations. */
  docs: { lang: string | null; layer: Descriptor }[];
  icon: Descriptor | null;
}

/**
 * Bounds on the layers beside the module, read whole into memory. The spec and README bounds are the contract's
 * (CONTRACT_LIMITS.manifestBytes and readmeBytes, which a test keeps equal): a bigger layer would be refused there.
 */
export const SIDE_LAYER_LIMITS = {
  specBytes: 256 * 1024,
  docBytes: 256 * 1024,
  iconBytes: 1024 * 1024,
} as const;

const PACKAGING_OF_LAYER: Readonly<Record<string, ModulePackaging>> = {
  [M.ociLayerTar]: 'tar',
  [M.dockerLayerTar]: 'tar',
  [M.ociLayerTarGzip]: 'tar+gzip',
  [M.dockerLayerTarGzip]: 'tar+gzip',
};
const FILESYSTEM_LAYERS = Object.keys(PACKAGING_OF_LAYER);
const RAW_WASM_LAYERS: readonly string[] = [M.wasmLayer, M.cncfWasmLayer];

type ImageManifest = PushedManifest & { kind: 'image' };
interface Layer {
  descriptor: Descriptor;
  index: number;
}

/**
 * Decides which of the four formats a pushed image is in and which layer holds the module, or refuses it
 * (ImageRefusal) with what was found and what is allowed: no module layer, several candidate modules, layers a
 * Wasm format does not know, side layers (spec, README, icon) too big or repeated.
 */
export function planWasmImage(manifest: ImageManifest): WasmImagePlan {
  const layers: Layer[] = manifest.layers.map((descriptor, index) => ({ descriptor, index }));
  const isHigressLayer = ({ descriptor: { mediaType } }: Layer): boolean =>
    mediaType === M.higressSpec || mediaType === M.higressDoc || mediaType === M.higressIcon || HIGRESS_TRANSLATED_DOC.test(mediaType);

  if (layers.some(isHigressLayer)) return planHigress(layers);
  switch (manifest.config.mediaType) {
    case M.wasmConfig:
      return { ...NOTHING_BESIDE, format: 'wasm-oci', module: { layer: onlyModuleLayer(layers, [M.wasmLayer], 'wasm-oci', manifest), packaging: 'raw' } };
    case M.cncfWasmConfig:
      return { ...NOTHING_BESIDE, format: 'cncf-wasm', module: { layer: onlyModuleLayer(layers, [M.cncfWasmLayer], 'cncf-wasm', manifest), packaging: 'raw' } };
    default: {
      const layer = onlyModuleLayer(layers, FILESYSTEM_LAYERS, 'istio-compat', manifest);
      return { ...NOTHING_BESIDE, format: 'istio-compat', module: { layer, packaging: PACKAGING_OF_LAYER[layer.mediaType]! } };
    }
  }
}

const NOTHING_BESIDE = { spec: null, docs: [], icon: null } as const satisfies Partial<WasmImagePlan>;

/** The one layer of `allowed` media types in an image of `format`; any other layer is refused. */
function onlyModuleLayer(layers: readonly Layer[], allowed: readonly string[], format: WasmImageFormat, manifest: ImageManifest): Descriptor {
  const stranger = layers.find(({ descriptor }) => !allowed.includes(descriptor.mediaType));
  if (stranger !== undefined) {
    const rawUnderOtherConfig = format === 'istio-compat' && RAW_WASM_LAYERS.includes(stranger.descriptor.mediaType);
    throw new ImageRefusal(
      'UNSUPPORTED',
      rawUnderOtherConfig
        ? `is ${quoted(stranger.descriptor.mediaType)}, a raw module, but the config is ${quoted(manifest.config.mediaType)}: ` +
            `a ${M.wasmLayer} layer goes with the config ${M.wasmConfig}, an ${M.cncfWasmLayer} layer with ${M.cncfWasmConfig}`
        : `is ${quoted(stranger.descriptor.mediaType)}, which a ${format} image does not hold; its layers are ${allowed.join(' or ')}` +
            (format === 'istio-compat' ? ` (one, holding plugin.wasm) — for a Higress image, ${higressLayerList()}` : ''),
      `layers[${stranger.index}].mediaType`,
    );
  }
  if (layers.length === 0) {
    throw new ImageRefusal('UNSUPPORTED', `holds no WebAssembly: the image has no layers; a ${format} image has one layer, ${allowed.join(' or ')}`, 'layers');
  }
  if (layers.length > 1) {
    if (format === 'istio-compat') {
      throw new ImageRefusal(
        'UNSUPPORTED',
        `holds no WebAssembly: not a Wasm image but ${layers.length} filesystem layers (a Linux container image?); ` +
          'a Wasm image built FROM scratch has one layer holding plugin.wasm',
        'layers',
      );
    }
    throw severalCandidates(layers);
  }
  return layers[0]!.descriptor;
}

function planHigress(layers: readonly Layer[]): WasmImagePlan {
  const modules: Layer[] = [];
  let spec: Descriptor | null = null;
  let icon: Descriptor | null = null;
  const docs: WasmImagePlan['docs'] = [];
  const bounded = (layer: Layer, limit: number, what: string): Descriptor => {
    if (layer.descriptor.size > limit) {
      throw new ImageRefusal('SIZE_INVALID', `the ${what} layer is ${layer.descriptor.size} bytes; at most ${limit} are accepted`, `layers[${layer.index}].size`);
    }
    return layer.descriptor;
  };
  const repeated = (layer: Layer, what: string): never => {
    throw new ImageRefusal('MANIFEST_INVALID', `is a second ${what} layer; a Higress image holds one`, `layers[${layer.index}].mediaType`);
  };
  for (const layer of layers) {
    const { mediaType } = layer.descriptor;
    const translation = HIGRESS_TRANSLATED_DOC.exec(mediaType);
    if (FILESYSTEM_LAYERS.includes(mediaType) || mediaType === M.wasmLayer) modules.push(layer);
    else if (mediaType === M.higressSpec) spec = spec === null ? bounded(layer, SIDE_LAYER_LIMITS.specBytes, 'spec.yaml') : repeated(layer, 'spec.yaml');
    else if (mediaType === M.higressIcon) icon = icon === null ? bounded(layer, SIDE_LAYER_LIMITS.iconBytes, 'icon') : repeated(layer, 'icon');
    else if (mediaType === M.higressDoc || translation !== null) {
      const lang = translation?.[1] ?? null;
      if (docs.some((doc) => doc.lang === lang)) repeated(layer, lang === null ? 'README' : `README (${lang})`);
      docs.push({ lang, layer: bounded(layer, SIDE_LAYER_LIMITS.docBytes, 'README') });
    } else {
      throw new ImageRefusal('UNSUPPORTED', `is ${quoted(mediaType)}, which a Higress image does not hold; ${higressLayerList()}`, `layers[${layer.index}].mediaType`);
    }
  }
  if (modules.length === 0) {
    throw new ImageRefusal('UNSUPPORTED', `holds no WebAssembly: a Higress image has its module in plugin.tar.gz (${FILESYSTEM_LAYERS.join(' or ')}) or a ${M.wasmLayer} layer`, 'layers');
  }
  if (modules.length > 1) throw severalCandidates(modules);
  const [module] = modules as [Layer];
  const packaging = module.descriptor.mediaType === M.wasmLayer ? 'raw' : PACKAGING_OF_LAYER[module.descriptor.mediaType]!;
  return { format: 'higress', module: { layer: module.descriptor, packaging }, spec, docs, icon };
}

const severalCandidates = (layers: readonly Layer[]): ImageRefusal =>
  new ImageRefusal(
    'MANIFEST_INVALID',
    `several candidate modules: layers ${layers.map(({ index, descriptor }) => `${index} (${descriptor.digest})`).join(', ')}; a Wasm image holds one module`,
    'layers',
  );

const higressLayerList = (): string =>
  `its layers are ${M.higressSpec}, ${M.higressDoc}, application/vnd.module.wasm.doc.v1.<lang>+markdown, ${M.higressIcon} and one module layer (${[...FILESYSTEM_LAYERS, M.wasmLayer].join(', ')})`;
