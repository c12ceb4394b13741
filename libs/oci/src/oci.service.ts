import { Inject, Injectable } from '@nestjs/common';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import { NAME_PATTERN } from '../../domain/index.js';
import { InvalidatedCache, Invalidations, type VersionDeleted } from '../../db/index.js';
import { DownloadMarks } from '../../downloads/index.js';
import { VersionsRepository } from '../../versions/index.js';
import { MEDIA_TYPES, versionOfTag } from './oci-artifacts.js';
import { ociError } from './oci-errors.js';
import { assertRepositoryName, OCI_DIGEST } from './oci-names.js';
import { OciRepository, type OciBlobRecord, type OciManifestRecord } from './oci.repository.js';

/** OCI tags as the distribution spec allows them; versions and `latest` are tags. */
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** On each entry of a referrers index: `registry` or `publisher`. */
export const SUPPLIED_BY_ANNOTATION = 'io.wasm-plugin-registry.supplied-by';
export const MAX_TAGS_PAGE = 1000;
const CACHE_ENTRIES = 10_000;
const CACHE_TTL_MS = 60_000;

export interface TagPage {
  name: string;
  tags: string[];
  /** The `last` of the next page, when there is one. */
  next: string | null;
}

/**
 * The registry's catalog as an OCI distribution endpoint (read-only): a plugin
 * is the repository `namespace/name`, its ready versions are tags, and
 * `latest` follows the catalog's latest version. Everything is public, so pulls
 * need no token.
 */
@Injectable()
export class OciService {
  // What a version tag or a digest names never changes (manifests are stored once); only an admin's
  // deletion ends it, and that reaches every process's caches at once. `latest` moves: never cached.
  private readonly manifests: InvalidatedCache<OciManifestRecord>;
  private readonly blobs: InvalidatedCache<OciBlobRecord>;

  constructor(
    private readonly oci: OciRepository,
    private readonly versions: VersionsRepository,
    private readonly marks: DownloadMarks,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    invalidations: Invalidations,
  ) {
    // Keys start with the repository: a deleted version drops everything cached for its plugin.
    const ofPlugin = (key: string, deleted: VersionDeleted): boolean => key.startsWith(`${deleted.namespace}/${deleted.plugin}@`);
    this.manifests = new InvalidatedCache(invalidations, CACHE_ENTRIES, CACHE_TTL_MS, ofPlugin);
    this.blobs = new InvalidatedCache(invalidations, CACHE_ENTRIES, CACHE_TTL_MS, ofPlugin);
  }

  async manifest(namespace: string, name: string, reference: string): Promise<OciManifestRecord> {
    if (reference === 'latest') return this.findManifest(namespace, name, reference);
    // Manifests pushed by digest can be deleted by their publisher at any time: only versions' are cached.
    return this.manifests.getOrLoad(`${namespace}/${name}@${reference}`, () => this.findManifest(namespace, name, reference), (m) => m.versionId !== null);
  }

  private async findManifest(namespace: string, name: string, reference: string): Promise<OciManifestRecord> {
    const plugin = await this.plugin(namespace, name);
    if (OCI_DIGEST.test(reference)) {
      const found = await this.oci.manifestByDigest(plugin.id, { namespace, plugin: name }, reference);
      if (found === null) throw ociError(404, 'MANIFEST_UNKNOWN', `${namespace}/${name} has no manifest ${reference}`);
      return found;
    }
    if (reference.includes(':')) throw ociError(400, 'DIGEST_INVALID', `${reference} is not a digest this registry uses: sha256:<64 lowercase hex>`);
    if (!TAG.test(reference)) throw ociError(404, 'MANIFEST_UNKNOWN', `${JSON.stringify(reference)} is not a valid tag`);
    const versionId = reference === 'latest' ? plugin.latestVersionId : (await this.versions.findReadyVersion(plugin.id, versionOfTag(reference)))?.id ?? null;
    const found = versionId === null ? null : await this.oci.moduleManifest(versionId);
    if (found === null) {
      throw ociError(
        404,
        'MANIFEST_UNKNOWN',
        reference === 'latest'
          ? `${namespace}/${name} has no ready, non-yanked version to call latest`
          : `${namespace}/${name} has no ready version ${reference} (pending, rejected and failed versions are not served)`,
      );
    }
    return found;
  }

  /**
   * Before a manifest GET (or 304) goes out: pulling a version's module manifest
   * marks it as downloaded (see DownloadMarks). A version deleted meanwhile is
   * MANIFEST_UNKNOWN, and forgotten. Referrers (SBOM, signatures) mark nothing.
   */
  async markManifestPulled(namespace: string, name: string, reference: string, manifest: OciManifestRecord): Promise<void> {
    if (manifest.subjectDigest !== null || manifest.versionId === null || (await this.marks.markVersion(manifest.versionId))) return;
    this.manifests.forget(`${namespace}/${name}@${reference}`);
    throw ociError(404, 'MANIFEST_UNKNOWN', `${namespace}/${name} has no manifest ${reference}`);
  }

  async blob(namespace: string, name: string, digest: string): Promise<OciBlobRecord> {
    // A pushed blob no manifest names is swept: only what versions hold is cached.
    return this.blobs.getOrLoad(`${namespace}/${name}@${digest}`, () => this.findBlob(namespace, name, digest), (b) => b.kind !== 'pushed');
  }

  /** Before a module layer goes out: a pull by digest marks every version with the bytes, as /api/v1/blobs does. */
  async markLayerPulled(namespace: string, name: string, digest: string): Promise<void> {
    if (await this.marks.markDigest(digest)) return;
    throw this.layerMissing(namespace, name, digest);
  }

  /** The layer's object is not in storage (or its versions are gone): forget it; BLOB_UNKNOWN rather than a failure. */
  layerMissing(namespace: string, name: string, digest: string): Error {
    this.blobs.forget(`${namespace}/${name}@${digest}`);
    return ociError(404, 'BLOB_UNKNOWN', `${namespace}/${name} has no blob ${digest}`);
  }

  private async findBlob(namespace: string, name: string, digest: string): Promise<OciBlobRecord> {
    assertRepositoryName({ namespace, plugin: name });
    if (!OCI_DIGEST.test(digest)) throw ociError(400, 'DIGEST_INVALID', `${JSON.stringify(digest)} is not a digest this registry uses: sha256:<64 lowercase hex>`);
    // A blob pushed into a repository is there before the repository's plugin is (its first version).
    const plugin = await this.oci.findPlugin(namespace, name);
    // Pulls count as downloads of the first version published with these bytes, as downloads by digest do.
    const module = plugin === null ? null : await this.versions.findFirstReadyVersionWithDigest(plugin.id, digest);
    const found: OciBlobRecord | null =
      module !== null
        ? { kind: 'module', digest, size: module.size, versionId: module.id }
        : ((plugin === null ? null : await this.oci.smallBlob(plugin.id, digest)) ?? (await this.oci.pushedBlob({ namespace, plugin: name }, digest)));
    if (found === null && plugin === null) throw ociError(404, 'NAME_UNKNOWN', `no plugin named ${namespace}/${name}`);
    if (found === null) throw ociError(404, 'BLOB_UNKNOWN', `${namespace}/${name} has no blob ${digest}`);
    return found;
  }

  /** Tags in lexical (byte) order, as the spec's `n` and `last` pagination expects. */
  async tags(namespace: string, name: string, n: string | undefined, last: string | undefined): Promise<TagPage> {
    const plugin = await this.plugin(namespace, name);
    let limit = MAX_TAGS_PAGE;
    if (n !== undefined && n !== '') {
      if (!/^\d+$/.test(n)) throw ociError(400, 'UNSUPPORTED', `n=${JSON.stringify(n)} must be a whole number`);
      limit = Math.min(Number(n), MAX_TAGS_PAGE);
    }
    const tags = await this.versions.readyVersionNumbers(plugin.id);
    if (plugin.latestVersionId !== null) tags.push('latest');
    const sorted = tags.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const after = last === undefined || last === '' ? sorted : sorted.filter((t) => t > last);
    const page = after.slice(0, limit);
    return { name: `${namespace}/${name}`, tags: page, next: after.length > limit && page.length > 0 ? page.at(-1)! : null };
  }

  /** The referrers of a manifest as an image index; an unknown subject has none. */
  async referrers(namespace: string, name: string, digest: string, artifactType: string | undefined): Promise<{ index: Buffer; filtered: boolean }> {
    const plugin = await this.plugin(namespace, name);
    if (!OCI_DIGEST.test(digest)) throw ociError(400, 'DIGEST_INVALID', `${JSON.stringify(digest)} is not a digest this registry uses: sha256:<64 lowercase hex>`);
    const filtered = artifactType !== undefined && artifactType !== '';
    const referrers = (await this.oci.referrers(plugin.id, { namespace, plugin: name }, digest)).filter((m) => !filtered || m.artifactType === artifactType);
    const index = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.imageIndex,
      manifests: referrers.map((m) => ({
        mediaType: m.mediaType,
        digest: m.digest,
        size: m.content.length,
        ...(m.artifactType !== '' ? { artifactType: m.artifactType } : {}),
        // Says whose a signature or SBOM is: the registry's own, or one the publisher pushed beside the image.
        annotations: { ...m.annotations, [SUPPLIED_BY_ANNOTATION]: m.source },
      })),
    };
    return { index: Buffer.from(JSON.stringify(index)), filtered };
  }

  /**
   * Where a ready version is pulled over OCI: the reference (host of PUBLIC_URL,
   * no scheme) and the digest of its manifest, which Istio's `sha256` is
   * compared with for oci:// URLs. Null when the version is not served.
   */
  async pinnedReference(namespace: string, plugin: string, version: string): Promise<{ reference: string; manifestDigest: string } | null> {
    const found = await this.oci.findPlugin(namespace, plugin);
    const ready = found === null ? null : await this.versions.findReadyVersion(found.id, version);
    const manifest = ready === null ? null : await this.oci.moduleManifest(ready.id);
    return manifest === null ? null : { reference: `${this.registryHost()}/${namespace}/${plugin}:${version}`, manifestDigest: manifest.digest };
  }

  /** The repository part of references: PUBLIC_URL's host and port. */
  registryHost(): string {
    return new URL(this.config.publicUrl).host;
  }

  private async plugin(namespace: string, name: string): Promise<{ id: string; latestVersionId: string | null }> {
    assertRepositoryName({ namespace, plugin: name });
    const plugin = await this.oci.findPlugin(namespace, name);
    if (plugin === null) throw ociError(404, 'NAME_UNKNOWN', `no plugin named ${namespace}/${name}`);
    return plugin;
  }
}
