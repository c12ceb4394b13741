import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type { Principal } from '../../auth/index.js';
import { BLOB_STORE, type BlobStore, type ReceivedUpload } from '../../blobs/index.js';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import { CONTRACT_LIMITS, type ContractParts } from '../../contract/index.js';
import { parsePluginMetadata, RegistryError, versionProblem } from '../../domain/index.js';
import { assertRepositoryName, OCI_DIGEST, ociError, sha256Digest, versionOfTag, type OciErrorCode, type OciRepositoryName } from '../../oci/index.js';
import { PublishService, type PublishExtras } from '../../plugins/index.js';
import { formatCoordinates, type VersionCoordinates } from '../../versions/index.js';
import {
  extractModule,
  ImageRefusal,
  MAX_MANIFEST_BYTES,
  metadataFromAnnotations,
  parsePushedManifest,
  planWasmImage,
  type Descriptor,
  type PushedManifest,
  type WasmImagePlan,
} from '../../wasm-image/index.js';
import { assertDigest } from './blob-uploads.service.js';
import type { UploadBody } from './upload-body.js';
import { PushedManifestsRepository } from './pushed-manifests.repository.js';

export interface PushedManifestResult {
  digest: string;
  /** The manifest's `subject`, answered as OCI-Subject (the referrers API knows it). */
  subjectDigest: string | null;
  /** The version a tag push created or found; null for a push by digest. */
  version: string | null;
}

/** Manifests pushed by digest into one repository (signatures, SBOMs, indexes): bounds `/referrers` and storage. */
export const MAX_DIGEST_MANIFESTS = 10_000;

/** An icon is shown, not run; bounded like a README. */
const MAX_TEXT_LAYER_BYTES = CONTRACT_LIMITS.manifestBytes;

/**
 * What a manifest push means. By tag: the tag is a version, and the image is
 * read (format, module, README, spec) and published exactly as an HTTP publish
 * would be (PublishService.record: the same rules, the same pipeline), with the
 * pushed manifest kept byte for byte as the version's image. By digest: the
 * manifest (an index, a signature or SBOM referring to an image) is stored and
 * served as it came. Versions never change: another manifest for a version is
 * DENIED, naming both digests.
 */
@Injectable()
export class ManifestPushService {
  private readonly logger = new Logger('OciPush');

  constructor(
    private readonly manifests: PushedManifestsRepository,
    private readonly publishing: PublishService,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  async push(principal: Principal, repository: OciRepositoryName, reference: string, contentType: string | undefined, body: UploadBody): Promise<PushedManifestResult> {
    assertRepositoryName(repository);
    const byDigest = reference.startsWith('sha256:') || reference.includes(':');
    if (byDigest) assertDigest(reference);
    const version = byDigest ? null : versionForTag(reference);
    const bytes = await readManifest(body);
    const digest = sha256Digest(bytes);
    if (byDigest && reference !== digest) {
      throw ociError(400, 'DIGEST_INVALID', `the manifest's bytes have digest ${digest}, not ${reference} as the URL says`, { expected: reference, computed: digest });
    }
    const manifest = refusalsAsOci(() => parsePushedManifest(bytes, contentType));
    await this.assertReferencesHeld(repository, manifest);
    const subjectDigest = manifest.subject?.digest ?? null;
    if (version === null) {
      await asOci(() => this.publishing.ensurePlugin(principal, repository.namespace, repository.plugin));
      const held = await this.manifests.digestManifests(repository, digest);
      if (!held.has && held.count >= MAX_DIGEST_MANIFESTS) {
        throw ociError(403, 'DENIED', `${repository.namespace}/${repository.plugin} holds ${MAX_DIGEST_MANIFESTS} manifests pushed by digest, the most a repository may: delete some (DELETE …/manifests/<digest>)`);
      }
      await this.manifests.storeDigestManifest(repository, {
        digest,
        mediaType: manifest.mediaType,
        artifactType: manifest.artifactType ?? (manifest.kind === 'image' ? manifest.config.mediaType : null),
        subjectDigest,
        content: bytes,
        tokenId: principal.tokenId,
      });
      return { digest, subjectDigest, version: null };
    }
    const target: VersionCoordinates = { ...repository, version };
    await asOci(() => this.publishing.checkBeforeUpload(principal, target, null));
    if (await this.alreadyThere(target, digest)) return { digest, subjectDigest, version };
    // An index under a version tag: the version is its one Wasm image (pushed before it, by digest).
    const image = manifest.kind === 'image' ? manifest : await this.wasmImageOf(repository, manifest);
    const plan = refusalsAsOci(() => planWasmImage(image));
    const upload = await this.receiveModule(plan);
    try {
      const extras = await this.extras(plan, image, target);
      const pushedManifest = { digest, mediaType: manifest.mediaType, artifactType: image.config.mediaType, content: bytes };
      const result = await asOci(() => this.publishing.record(principal, target, upload, { ...extras, pushedManifest }), (error) => this.versionTaken(target, digest, error));
      if (!result.created && !(await this.alreadyThere(target, digest))) throw await this.versionTaken(target, digest, null);
      if (result.created) this.logger.log(`pushed ${formatCoordinates(target)} as ${plan.format} image ${digest}`);
      return { digest, subjectDigest, version };
    } finally {
      await this.blobs.discard(upload).catch(() => undefined);
    }
  }

  /** Deletes a manifest pushed by digest; a version's image never (versions never change). */
  async delete(repository: OciRepositoryName, reference: string): Promise<void> {
    assertRepositoryName(repository);
    if (!OCI_DIGEST.test(reference)) {
      throw ociError(405, 'UNSUPPORTED', `tags are versions, which never change: ${reference} is not deleted over OCI (an admin deletes a version with DELETE /api/v1/plugins/{namespace}/{name}/versions/{version})`);
    }
    if (await this.manifests.isVersionImage(repository, reference)) {
      throw ociError(405, 'UNSUPPORTED', `${reference} is the image of a version, which never changes; only manifests pushed by digest (indexes, signatures) are deleted over OCI`);
    }
    if (!(await this.manifests.deleteDigestManifest(repository, reference))) {
      throw ociError(404, 'MANIFEST_UNKNOWN', `${repository.namespace}/${repository.plugin} has no manifest ${reference} pushed by digest`);
    }
  }

  /** True when the version exists and is served as exactly this manifest; DENIED when it is another. */
  private async alreadyThere(target: VersionCoordinates, digest: string): Promise<boolean> {
    const existing = await this.manifests.versionImage(target);
    if (existing === null) return false;
    if (existing.manifestDigest === digest) return true;
    throw await this.versionTaken(target, digest, null);
  }

  private async versionTaken(target: VersionCoordinates, digest: string, error: unknown): Promise<Error> {
    if (error !== null && !(error instanceof RegistryError && error.code === 'version_exists')) return error as Error;
    const existing = await this.manifests.versionImage(target);
    const held =
      existing?.manifestDigest != null
        ? `manifest ${existing.manifestDigest}`
        : `module ${existing?.moduleDigest ?? 'unknown'} (published over HTTP; its image is made when it is ready)`;
    return ociError(
      409,
      'DENIED',
      `${formatCoordinates(target)} exists already as ${held}; the pushed manifest is ${digest}. Versions never change: push a new version`,
      { existingManifestDigest: existing?.manifestDigest ?? null, pushedManifestDigest: digest },
    );
  }

  /**
   * The Wasm image an index names: its entries that are images (attestations and other
   * platforms' images left aside), exactly one of which must be a Wasm image.
   */
  private async wasmImageOf(repository: OciRepositoryName, index: PushedManifest & { kind: 'index' }): Promise<PushedManifest & { kind: 'image' }> {
    const images: (PushedManifest & { kind: 'image' })[] = [];
    for (const entry of index.manifests.slice(0, 16)) {
      if (entry.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') continue;
      const held = await this.manifests.heldManifest(repository, entry.digest);
      if (held === null) continue;
      const child = refusalsAsOci(() => parsePushedManifest(held.content, held.mediaType));
      if (child.kind !== 'image') continue;
      try {
        planWasmImage(child);
        images.push(child);
      } catch (error) {
        if (!(error instanceof ImageRefusal)) throw error;
      }
    }
    if (images.length !== 1) {
      throw ociError(
        400,
        'MANIFEST_INVALID',
        images.length === 0
          ? 'the index names no Wasm image: a version tag names a Wasm image, or an index with exactly one'
          : `the index names ${images.length} Wasm images: a version is one module; push each as its own version`,
      );
    }
    return images[0]!;
  }

  /** A manifest may name only what the repository holds, at the sizes it holds them: its blobs (images) or manifests (indexes). */
  private async assertReferencesHeld(repository: OciRepositoryName, manifest: PushedManifest): Promise<void> {
    let missing: string[];
    if (manifest.kind === 'image') {
      const digests = [manifest.config.digest, ...manifest.layers.map((l) => l.digest)];
      const held = await this.manifests.blobSizes(repository, digests);
      missing = digests.filter((d) => !held.has(d));
      // Every size as stored: a client reading the manifest trusts them.
      for (const [i, blob] of [manifest.config, ...manifest.layers].entries()) {
        const stored = held.get(blob.digest);
        if (stored === undefined || stored === blob.size) continue;
        const field = i === 0 ? 'config' : `layers[${i - 1}]`;
        throw ociError(400, 'MANIFEST_INVALID', `${field}.size says ${blob.size} bytes, but blob ${blob.digest} has ${stored}`, { field });
      }
      if (missing.length === 0) await this.manifests.renewBlobs(repository, digests);
    } else {
      const digests = manifest.manifests.map((m) => m.digest);
      const held = await this.manifests.manifestsHeld(repository, digests);
      missing = digests.filter((d) => !held.has(d));
    }
    if (missing.length > 0) {
      const unique = [...new Set(missing)];
      throw ociError(400, 'MANIFEST_BLOB_UNKNOWN', `the manifest names ${unique.length === 1 ? 'a blob' : `${unique.length} blobs`} this repository does not have: ${unique.slice(0, 5).join(', ')}${unique.length > 5 ? ', …' : ''}; upload ${unique.length === 1 ? 'it' : 'them'} first`, {
        missing: unique.slice(0, 20),
      });
    }
  }

  /** Streams the module out of its layer (raw, or plugin.wasm in a tar) through the module checks into a temporary object. */
  private async receiveModule(plan: WasmImagePlan): Promise<ReceivedUpload> {
    if (plan.module.packaging === 'raw') {
      // The layer is the module, stored under its digest already: checked in place, not copied.
      try {
        return await this.blobs.adopt(plan.module.layer.digest, this.config.maxModuleSize);
      } catch (error) {
        throw this.moduleRefusal(plan, error);
      }
    }
    const { body } = await this.blobs.open(plan.module.layer.digest);
    const limits = { maxModuleSize: this.config.maxModuleSize, maxInflatedBytes: this.config.maxModuleSize + 1024 * 1024 };
    const module = extractModule(body as Readable, plan.module.packaging, limits);
    try {
      return await this.blobs.receive(module, this.config.maxModuleSize);
    } catch (error) {
      body.destroy();
      throw this.moduleRefusal(plan, error);
    }
  }

  private moduleRefusal(plan: WasmImagePlan, error: unknown): unknown {
    if (error instanceof ImageRefusal) return ociError(400, error.ociCode as OciErrorCode, error.detail, error.field === undefined ? {} : { field: error.field });
    if (error instanceof RegistryError && error.code === 'invalid_module') {
      return ociError(400, 'MANIFEST_INVALID', `the module layer ${plan.module.layer.digest} is not WebAssembly: ${error.detail}`);
    }
    if (error instanceof RegistryError && error.status === 413) return ociError(413, 'SIZE_INVALID', error.detail, { maxSize: this.config.maxModuleSize });
    return error;
  }

  /** The contract (Higress spec.yaml, README) and metadata (annotations) the image carries, checked as an HTTP publish's. */
  private async extras(plan: WasmImagePlan, manifest: PushedManifest & { kind: 'image' }, target: VersionCoordinates): Promise<PublishExtras> {
    const parts: ContractParts = {};
    if (plan.spec !== null) parts.manifest = { filename: 'spec.yaml', bytes: await this.readText(plan.spec, 'spec.yaml') };
    const readme = plan.docs.find((d) => d.lang === null) ?? plan.docs.find((d) => d.lang === 'en') ?? plan.docs[0];
    if (readme !== undefined) parts.readme = { filename: 'README.md', bytes: await this.readText(readme.layer, 'README.md') };
    const extras = await asOci(() => this.publishing.readExtras({ dependencyFiles: null, contract: parts }, target));
    if (extras.metadata !== null) return extras;
    const annotated = metadataFromAnnotations(manifest.annotations);
    if (Object.keys(annotated).length === 0) return extras;
    return { ...extras, metadata: asOci(() => parsePluginMetadata({ description: '', ...annotated })) };
  }

  private async readText(layer: Descriptor, name: string): Promise<Buffer> {
    if (layer.size > MAX_TEXT_LAYER_BYTES) {
      throw ociError(400, 'MANIFEST_INVALID', `the ${name} layer is ${layer.size} bytes; at most ${MAX_TEXT_LAYER_BYTES} are read`);
    }
    return this.blobs.readAll(layer.digest, layer.size).then((bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
}

/** A tag is a version: `1.2.3`, or `v1.2.3` (the same version). `latest` and other words are refused. */
export function versionForTag(tag: string): string {
  const version = versionOfTag(tag);
  const problem = versionProblem('tag', version);
  if (tag === 'latest' || problem !== null) {
    throw ociError(
      400,
      'TAG_INVALID',
      `${JSON.stringify(tag.slice(0, 130))} is not a version: here a tag is a version, strict semver such as 1.2.0 or 1.2.0-rc.1 ` +
        '(a leading "v" is dropped: v1.2.0 is 1.2.0); `latest` follows the highest ready version by itself',
    );
  }
  return version;
}

async function readManifest(body: UploadBody): Promise<Buffer> {
  if (body.declaredLength !== null && body.declaredLength > MAX_MANIFEST_BYTES) throw manifestTooLarge();
  if (body.stream === null) throw ociError(400, 'MANIFEST_INVALID', 'the manifest is missing: send it as the request body, with its media type as Content-Type');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body.stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_MANIFEST_BYTES) {
      body.stream.destroy();
      throw manifestTooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function manifestTooLarge(): Error {
  return ociError(413, 'SIZE_INVALID', `a manifest is at most ${MAX_MANIFEST_BYTES} bytes (4 MiB), as in Docker Distribution`);
}

function refusalsAsOci<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof ImageRefusal) throw ociError(400, error.ociCode as OciErrorCode, error.detail, error.field === undefined ? {} : { field: error.field });
    throw error;
  }
}

const OCI_CODE_BY_STATUS: Record<number, OciErrorCode> = { 400: 'MANIFEST_INVALID', 403: 'DENIED', 404: 'NAME_UNKNOWN', 409: 'DENIED', 413: 'SIZE_INVALID', 429: 'TOOMANYREQUESTS' };

/**
 * The publishing rules speak problem+json; on /v2 the same refusal is an OCI error whose code a client
 * knows, with the same detail (which field, what was wrong) and members.
 */
function asOci<T>(work: () => T, rethrow?: (error: unknown) => Promise<Error>): T {
  const translate = (error: unknown): never => {
    if (error instanceof RegistryError && error.extensions.ociCode === undefined && OCI_CODE_BY_STATUS[error.status] !== undefined) {
      throw ociError(error.status, OCI_CODE_BY_STATUS[error.status]!, error.detail, { ...error.extensions, problem: error.code });
    }
    throw error;
  };
  try {
    const result = work();
    if (result instanceof Promise) {
      return result.catch(async (error: unknown) => translate(rethrow === undefined ? error : await rethrow(error))) as T;
    }
    return result;
  } catch (error) {
    return translate(error);
  }
}
