/** The media types a push may carry, by the image format that uses them (see README "Pushing with OCI clients"). */
export const MEDIA_TYPES_IN_PUSH = {
  // Manifests (the Content-Type of PUT /v2/<name>/manifests/<reference>).
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  // solo.io/Istio "oci" variant (what this registry serves).
  wasmConfig: 'application/vnd.module.wasm.config.v1+json',
  wasmLayer: 'application/vnd.module.wasm.content.layer.v1+wasm',
  // Container configs and filesystem layers: Istio's "compat" variant, Higress's plugin.tar.gz.
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerTarGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerLayerTar: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerTarGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  // Higress plugin images (translated READMEs are `application/vnd.module.wasm.doc.v1.<lang>+markdown`).
  higressSpec: 'application/vnd.module.wasm.spec.v1+yaml',
  higressDoc: 'application/vnd.module.wasm.doc.v1+markdown',
  higressIcon: 'application/vnd.module.wasm.icon.v1+png',
  // CNCF Wasm OCI artifact (wkg / wasm-pkg-tools, runwasi).
  cncfWasmConfig: 'application/vnd.wasm.config.v0+json',
  cncfWasmLayer: 'application/wasm',
  // The empty config oras pushes with artifacts.
  ociEmpty: 'application/vnd.oci.empty.v1+json',
} as const;

const M = MEDIA_TYPES_IN_PUSH;

/** Manifest media types a push may send: image manifests and indexes, OCI and Docker v2 schema 2. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [M.ociManifest, M.ociIndex, M.dockerManifest, M.dockerManifestList];

export const IMAGE_MANIFEST_MEDIA_TYPES: readonly string[] = [M.ociManifest, M.dockerManifest];

/** A translated README's language, from `application/vnd.module.wasm.doc.v1.<lang>+markdown`. */
export const HIGRESS_TRANSLATED_DOC = /^application\/vnd\.module\.wasm\.doc\.v1\.([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,3})\+markdown$/;
