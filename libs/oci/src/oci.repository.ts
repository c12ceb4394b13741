import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database } from '../../db/index.js';
import type { OciRepositoryName } from './oci-names.js';
import { storeOciArtifacts } from './oci-store.js';

/** Who made a manifest: the registry (generated) or the publisher (pushed over OCI, served byte for byte). */
export type OciManifestSource = 'registry' | 'publisher';

export interface OciManifestRecord {
  /** The version the manifest belongs to; null for a manifest pushed by digest (an index, a referrer). */
  versionId: string | null;
  source: OciManifestSource;
  /** The module manifest a referrer (SBOM, signature) is about; null for the module manifest itself. */
  subjectDigest: string | null;
  digest: string;
  mediaType: string;
  artifactType: string;
  content: Buffer;
  annotations: Record<string, string>;
}

/**
 * A blob of a repository: a module (in storage), a small blob the registry made (in the database), or a
 * blob pushed over OCI (a config or layer, in storage under its digest).
 */
export type OciBlobRecord =
  | { kind: 'module'; digest: string; size: number; versionId: string }
  | { kind: 'small'; digest: string; mediaType: string; content: Buffer }
  | { kind: 'pushed'; digest: string; size: number };

/** Reads of the OCI view of the catalog; a repository is a plugin, `namespace/name`. */
@Injectable()
export class OciRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  private get prisma() {
    return this.database.prisma;
  }

  async findPlugin(namespace: string, name: string): Promise<{ id: string; latestVersionId: string | null } | null> {
    return this.prisma.plugin.findFirst({ where: { name, namespace: { name: namespace } }, select: { id: true, latestVersionId: true } });
  }

  /** The module manifest of a ready version, stored on first use for versions made ready before OCI serving. */
  async moduleManifest(versionId: string): Promise<OciManifestRecord | null> {
    const find = () => this.prisma.ociManifest.findFirst({ where: { versionId, subjectDigest: null } });
    let row = await find();
    if (row === null) {
      await this.prisma.$transaction((tx) => storeOciArtifacts(tx, versionId));
      row = await find();
    }
    return row === null ? null : toRecord(row);
  }

  /** A manifest of this plugin's ready versions, or one pushed into the repository by digest. */
  async manifestByDigest(pluginId: string, repository: OciRepositoryName, digest: string): Promise<OciManifestRecord | null> {
    const row = await this.prisma.ociManifest.findFirst({ where: { digest, version: { pluginId, status: 'ready' } } });
    if (row !== null) return toRecord(row);
    const pushed = await this.prisma.ociPushedManifest.findUnique({ where: { namespace_plugin_digest: { ...repository, digest } } });
    return pushed === null ? null : pushedToRecord(pushed);
  }

  /** A blob pushed into the repository (config or layer); its bytes are the object under its digest. */
  async pushedBlob(repository: OciRepositoryName, digest: string): Promise<OciBlobRecord | null> {
    const row = await this.prisma.ociPushedBlob.findUnique({ where: { namespace_plugin_digest: { ...repository, digest } }, select: { size: true } });
    return row === null ? null : { kind: 'pushed', digest, size: row.size };
  }

  /** A small blob one of this plugin's manifests names (modules are the versions' own, in storage). */
  async smallBlob(pluginId: string, digest: string): Promise<OciBlobRecord | null> {
    // As base64 text: PGlite decodes bytea in JavaScript a byte at a time, about 1 s per 5 MiB on the event loop.
    const [small] = await this.prisma.$queryRaw<{ digest: string; mediaType: string; content: string }[]>`
      SELECT b.digest, b.media_type AS "mediaType", encode(b.content, 'base64') AS content
      FROM oci_blobs b
      WHERE b.digest = ${digest}
        AND EXISTS (SELECT 1 FROM oci_manifests m JOIN versions v ON v.id = m.version_id
                    WHERE v.plugin_id = ${pluginId}::uuid AND v.status = 'ready'
                      AND position(convert_to(${digest}, 'UTF8') IN m.content) > 0)`;
    return small === undefined ? null : { kind: 'small', digest: small.digest, mediaType: small.mediaType, content: Buffer.from(small.content, 'base64') };
  }

  /** Manifests whose subject is `digest`, in this plugin: the registry's (of ready versions) and the publisher's. */
  async referrers(pluginId: string, repository: OciRepositoryName, digest: string): Promise<OciManifestRecord[]> {
    const rows = await this.prisma.ociManifest.findMany({
      where: { subjectDigest: digest, version: { pluginId, status: 'ready' } },
      orderBy: { digest: 'asc' },
    });
    const pushed = await this.prisma.ociPushedManifest.findMany({ where: { ...repository, subjectDigest: digest }, orderBy: { digest: 'asc' } });
    return [...rows.map(toRecord), ...pushed.map(pushedToRecord)];
  }

  /** Module manifest digests of versions, for version views. */
  async moduleManifestDigests(versionIds: readonly string[]): Promise<Map<string, string>> {
    const rows = await this.prisma.ociManifest.findMany({
      where: { versionId: { in: [...versionIds] }, subjectDigest: null },
      select: { versionId: true, digest: true },
    });
    return new Map(rows.map((r) => [r.versionId, r.digest]));
  }
}

function toRecord(row: { versionId: string; subjectDigest: string | null; digest: string; mediaType: string; artifactType: string; content: Uint8Array; source: string }): OciManifestRecord {
  const content = Buffer.from(row.content);
  const parsed = JSON.parse(content.toString('utf8')) as { annotations?: Record<string, string> };
  return {
    versionId: row.versionId,
    source: row.source === 'publisher' ? 'publisher' : 'registry',
    subjectDigest: row.subjectDigest,
    digest: row.digest,
    mediaType: row.mediaType,
    artifactType: row.artifactType,
    content,
    annotations: parsed.annotations ?? {},
  };
}

function pushedToRecord(row: { subjectDigest: string | null; digest: string; mediaType: string; artifactType: string | null; content: Uint8Array }): OciManifestRecord {
  const content = Buffer.from(row.content);
  // Checked as JSON when it was pushed; annotations are only listed, so anything odd is left out.
  const parsed = JSON.parse(content.toString('utf8')) as { annotations?: unknown };
  const annotations = typeof parsed.annotations === 'object' && parsed.annotations !== null && !Array.isArray(parsed.annotations) ? (parsed.annotations as Record<string, string>) : {};
  return { versionId: null, source: 'publisher', subjectDigest: row.subjectDigest, digest: row.digest, mediaType: row.mediaType, artifactType: row.artifactType ?? '', content, annotations };
}
