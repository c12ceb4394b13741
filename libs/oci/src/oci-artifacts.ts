import { createHash } from 'node:crypto';

/**
 * How a version is laid out as OCI artifacts: the module as the image Istio
 * pulls (the solo.io "oci" Wasm layout), and its SBOM and Sigstore bundles as
 * artifacts whose `subject` is that image (OCI 1.1 referrers).
 */
export const MEDIA_TYPES = {
  imageManifest: 'application/vnd.oci.image.manifest.v1+json',
  imageIndex: 'application/vnd.oci.image.index.v1+json',
  wasmConfig: 'application/vnd.module.wasm.config.v1+json',
  wasmLayer: 'application/vnd.module.wasm.content.layer.v1+wasm',
  empty: 'application/vnd.oci.empty.v1+json',
  cyclonedx: 'application/vnd.cyclonedx+json',
  sigstoreBundle: 'application/vnd.dev.sigstore.bundle.v0.3+json',
} as const;

export interface OciDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface StoredOciManifest {
  digest: string;
  mediaType: string;
  artifactType: string;
  subjectDigest: string | null;
  content: Buffer;
}

export interface StoredOciBlob {
  digest: string;
  mediaType: string;
  content: Buffer;
}

export interface OciArtifactsInput {
  namespace: string;
  plugin: string;
  version: string;
  /** The module: stored already, served from storage as the image's one layer. */
  moduleDigest: string;
  moduleSize: number;
  readyAt: Date;
  abiVersion: string | null;
  kind: string | null;
  sbom: unknown | null;
  /** Sigstore bundles by kind ("message_signature", "attestation"). */
  signatures: { kind: string; bundle: unknown }[];
  /** The manifest an OCI push created the version from: then only the referrers are built, about it. */
  pushedManifest: { digest: string; mediaType: string; size: number } | null;
}

export interface OciArtifacts {
  /** The module image first (unless it was pushed), then its referrers. */
  manifests: StoredOciManifest[];
  blobs: StoredOciBlob[];
}

export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

const bytesOf = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');

/** The OCI "empty" config of artifacts that need none: the two bytes `{}`. */
export const EMPTY_CONFIG: StoredOciBlob = { digest: sha256Digest(Buffer.from('{}')), mediaType: MEDIA_TYPES.empty, content: Buffer.from('{}') };

/**
 * Builds the manifests and small blobs of one ready version. The output depends
 * only on the input (no clock): built twice, it is byte-identical. They are
 * stored once anyway, so that a digest never changes if this code does.
 */
export function buildOciArtifacts(input: OciArtifactsInput): OciArtifacts {
  const created = input.readyAt.toISOString();
  // Istio reads only the media types; the fields say what the module is for other tools. Naming the
  // version makes each config its own blob, so a repository never serves another's by coincidence.
  const config = blob(MEDIA_TYPES.wasmConfig, {
    type: 'proxy_wasm',
    name: `${input.namespace}/${input.plugin}`,
    version: input.version,
    kind: input.kind ?? 'module',
    abiVersions: input.abiVersion === null ? [] : [input.abiVersion],
    created,
  });
  const moduleManifest = manifest(MEDIA_TYPES.wasmConfig, null, {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.imageManifest,
    config: descriptor(config),
    layers: [
      {
        mediaType: MEDIA_TYPES.wasmLayer,
        digest: input.moduleDigest,
        size: input.moduleSize,
        annotations: { 'org.opencontainers.image.title': `${input.plugin}.wasm` },
      },
    ],
    annotations: {
      'org.opencontainers.image.created': created,
      'org.opencontainers.image.title': `${input.namespace}/${input.plugin}`,
      'org.opencontainers.image.version': input.version,
    },
  });
  const pushed = input.pushedManifest;
  const subject = pushed ?? { mediaType: MEDIA_TYPES.imageManifest, digest: moduleManifest.digest, size: moduleManifest.content.length };

  const manifests = pushed === null ? [moduleManifest] : [];
  const blobs = pushed === null ? [config] : [];
  const referrer = (artifactType: string, layer: StoredOciBlob, annotations: Record<string, string>) => {
    blobs.push(layer);
    if (!blobs.includes(EMPTY_CONFIG)) blobs.push(EMPTY_CONFIG);
    manifests.push(
      manifest(artifactType, subject.digest, {
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.imageManifest,
        artifactType,
        config: descriptor(EMPTY_CONFIG),
        layers: [descriptor(layer)],
        subject,
        annotations: { 'org.opencontainers.image.created': created, ...annotations },
      }),
    );
  };
  if (input.sbom !== null) referrer(MEDIA_TYPES.cyclonedx, blob(MEDIA_TYPES.cyclonedx, input.sbom), {});
  for (const { kind, bundle } of [...input.signatures].sort((a, b) => a.kind.localeCompare(b.kind))) {
    // cosign names both with one bundle type; the annotation tells a message signature from a DSSE attestation.
    referrer(MEDIA_TYPES.sigstoreBundle, blob(MEDIA_TYPES.sigstoreBundle, bundle), { 'dev.sigstore.bundle.content': kind === 'attestation' ? 'dsse-envelope' : 'message-signature' });
  }
  return { manifests, blobs };
}

function blob(mediaType: string, value: unknown): StoredOciBlob {
  const content = bytesOf(value);
  return { digest: sha256Digest(content), mediaType, content };
}

function manifest(artifactType: string, subjectDigest: string | null, value: object): StoredOciManifest {
  const content = bytesOf(value);
  return { digest: sha256Digest(content), mediaType: MEDIA_TYPES.imageManifest, artifactType, subjectDigest, content };
}

function descriptor(b: StoredOciBlob): OciDescriptor {
  return { mediaType: b.mediaType, digest: b.digest, size: b.content.length };
}

/**
 * The version a tag names: the tag itself, or without its leading `v` (`v1.2.3` is version 1.2.3), as
 * images are often tagged. Versions are stored without the `v`.
 */
export function versionOfTag(tag: string): string {
  return /^v\d/.test(tag) ? tag.slice(1) : tag;
}
