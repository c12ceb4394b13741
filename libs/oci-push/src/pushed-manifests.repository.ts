import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database } from '../../db/index.js';
import type { VersionCoordinates } from '../../versions/index.js';
import type { OciRepositoryName } from '../../oci/index.js';

export interface ExistingVersionImage {
  versionId: string;
  moduleDigest: string;
  /** The version's module image: the manifest it was pushed with, or the one the registry made when it became ready. */
  manifestDigest: string | null;
}

export interface DigestManifest {
  digest: string;
  mediaType: string;
  artifactType: string | null;
  subjectDigest: string | null;
  content: Buffer;
  tokenId: string;
}

/**
 * What a manifest push reads and writes (all database I/O): manifests pushed by
 * digest, what a repository already holds (blobs, manifests), and the image an
 * existing version is served as.
 */
@Injectable()
export class PushedManifestsRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  private get prisma() {
    return this.database.prisma;
  }

  /** The version behind a tag (in any state; deleted ones have no row), with the manifest it is served as; null when there is none. */
  async versionImage(target: VersionCoordinates): Promise<ExistingVersionImage | null> {
    const version = await this.prisma.version.findFirst({
      where: { version: target.version, plugin: { name: target.plugin, namespace: { name: target.namespace } } },
      select: { id: true, digest: true },
    });
    if (version === null) return null;
    const manifest = await this.prisma.ociManifest.findFirst({ where: { versionId: version.id, subjectDigest: null }, select: { digest: true } });
    return { versionId: version.id, moduleDigest: version.digest, manifestDigest: manifest?.digest ?? null };
  }

  /**
   * The sizes of the blobs among `digests` that the repository holds with bytes in storage: pushed into it,
   * or modules of its versions. A manifest may name only these.
   */
  async blobSizes(repository: OciRepositoryName, digests: readonly string[]): Promise<Map<string, number>> {
    const pushed = await this.prisma.ociPushedBlob.findMany({ where: { ...repository, digest: { in: [...digests] } }, select: { digest: true, size: true } });
    const modules = await this.prisma.version.findMany({
      where: { digest: { in: [...digests] }, status: 'ready', plugin: { name: repository.plugin, namespace: { name: repository.namespace } } },
      select: { digest: true, size: true },
    });
    return new Map([...modules, ...pushed].map((b) => [b.digest, b.size]));
  }

  /** Restarts the sweep's clock of pushed blobs a manifest is about to name, so none is swept while the push reads it. */
  async renewBlobs(repository: OciRepositoryName, digests: readonly string[]): Promise<void> {
    await this.prisma.ociPushedBlob.updateMany({ where: { ...repository, digest: { in: [...digests] } }, data: { createdAt: new Date() } });
  }

  /** The manifests among `digests` the repository holds: pushed by digest, or the images of its ready versions. */
  async manifestsHeld(repository: OciRepositoryName, digests: readonly string[]): Promise<Set<string>> {
    const pushed = await this.prisma.ociPushedManifest.findMany({ where: { ...repository, digest: { in: [...digests] } }, select: { digest: true } });
    const versions = await this.prisma.ociManifest.findMany({
      where: { digest: { in: [...digests] }, version: { status: 'ready', plugin: { name: repository.plugin, namespace: { name: repository.namespace } } } },
      select: { digest: true },
    });
    return new Set([...pushed, ...versions].map((m) => m.digest));
  }

  /** A manifest the repository holds (pushed by digest, or a ready version's image), with its media type. */
  async heldManifest(repository: OciRepositoryName, digest: string): Promise<{ mediaType: string; content: Buffer } | null> {
    const pushed = await this.prisma.ociPushedManifest.findUnique({ where: { namespace_plugin_digest: { ...repository, digest } }, select: { mediaType: true, content: true } });
    const found =
      pushed ??
      (await this.prisma.ociManifest.findFirst({
        where: { digest, version: { status: 'ready', plugin: { name: repository.plugin, namespace: { name: repository.namespace } } } },
        select: { mediaType: true, content: true },
      }));
    return found === null ? null : { mediaType: found.mediaType, content: Buffer.from(found.content) };
  }

  /** How many manifests were pushed by digest into the repository, and whether `digest` is one of them. */
  async digestManifests(repository: OciRepositoryName, digest: string): Promise<{ count: number; has: boolean }> {
    const [count, has] = await Promise.all([
      this.prisma.ociPushedManifest.count({ where: repository }),
      this.prisma.ociPushedManifest.count({ where: { ...repository, digest } }),
    ]);
    return { count, has: has > 0 };
  }

  /** Stores a manifest pushed by digest; pushing the same bytes again changes nothing. */
  async storeDigestManifest(repository: OciRepositoryName, manifest: DigestManifest): Promise<void> {
    await this.prisma.ociPushedManifest.createMany({
      data: [{ ...repository, ...manifest, content: new Uint8Array(manifest.content) }],
      skipDuplicates: true,
    });
  }

  /** Deletes a manifest pushed by digest (never a version's image); false when there was none. */
  async deleteDigestManifest(repository: OciRepositoryName, digest: string): Promise<boolean> {
    const { count } = await this.prisma.ociPushedManifest.deleteMany({ where: { ...repository, digest } });
    return count > 0;
  }

  /** Whether `digest` is the image of a version of the repository (which never changes, so is never deleted over OCI). */
  async isVersionImage(repository: OciRepositoryName, digest: string): Promise<boolean> {
    const found = await this.prisma.ociManifest.count({
      where: { digest, subjectDigest: null, version: { plugin: { name: repository.plugin, namespace: { name: repository.namespace } } } },
    });
    return found > 0;
  }
}
