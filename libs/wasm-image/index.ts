// Reads a pushed OCI image: its manifest checked and bounded, which of the four Wasm image formats it is, and the module streamed out of its layer (tar and gzip checked for tricks and bombs). Plain TypeScript.
export { type AnnotatedMetadata, metadataFromAnnotations } from './src/annotations.js';
export { type ExtractLimits, MAX_LAYER_ENTRIES, extractModule } from './src/extract-module.js';
export { ImageRefusal, type ImageRefusalCode } from './src/image-refusal.js';
export { HIGRESS_TRANSLATED_DOC, IMAGE_MANIFEST_MEDIA_TYPES, MANIFEST_MEDIA_TYPES, MEDIA_TYPES_IN_PUSH } from './src/media-types.js';
export { type Descriptor, MAX_MANIFEST_BYTES, MAX_MANIFEST_DEPTH, MAX_MANIFEST_ENTRIES, type PushedManifest, parsePushedManifest } from './src/pushed-manifest.js';
export { type ModulePackaging, SIDE_LAYER_LIMITS, type WasmImageFormat, type WasmImagePlan, planWasmImage } from './src/wasm-image-plan.js';
