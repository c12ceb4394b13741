import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database } from '../../db/index.js';
import { storeOciArtifacts } from './oci-store.js';

export interface OciManifestRecord {
  /** The version the manifest belongs to. */
  versionId: string;
  /** The module manifest a referrer (SBOM, signature) is about; null for the module manifest itself. */
  subjectDigest: string | null;
  digest: string;
  mediaType: string;
  artifactType: string;
  content: Buffer;
  annotations: Record<string, string>;
}

/** A blob of a repository: a module (in storage) or a small blob (in the database). */
export type OciBlobRecord = { kind: 'module'; digest: string; size: number; versionId: string } | { kind: 'small'; digest: string; mediaType: string; content: Buffer };

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

  /** The ready version with this version string (a tag), or null. */
  async findReadyVersion(pluginId: string, version: string): Promise<{ id: string } | null> {
    return this.prisma.version.findFirst({ where: { pluginId, version, status: 'ready' }, select: { id: true } });
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

  /** A manifest of this plugin's ready versions, by digest. */
  async manifestByDigest(pluginId: string, digest: string): Promise<OciManifestRecord | null> {
    const row = await this.prisma.ociManifest.findFirst({ where: { digest, version: { pluginId, status: 'ready' } } });
    return row === null ? null : toRecord(row);
  }

  /** A blob of this plugin: one of its ready modules, or a small blob one of its manifests names. */
  async blob(pluginId: string, digest: string): Promise<OciBlobRecord | null> {
    // Pulls count as downloads of the first version published with these bytes, as downloads by digest do.
    const version = await this.prisma.version.findFirst({
      where: { pluginId, digest, status: 'ready' },
      select: { id: true, size: true },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    if (version !== null) return { kind: 'module', digest, size: version.size, versionId: version.id };
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

  /** Versions of the plugin that are served over OCI (ready ones, yanked included: pinned pulls keep working). */
  async readyVersions(pluginId: string): Promise<string[]> {
    const rows = await this.prisma.version.findMany({ where: { pluginId, status: 'ready' }, select: { version: true } });
    return rows.map((r) => r.version);
  }

  async latestVersion(latestVersionId: string): Promise<string | null> {
    return (await this.prisma.version.findUnique({ where: { id: latestVersionId }, select: { version: true } }))?.version ?? null;
  }

  /** Manifests whose subject is `digest`, in this plugin. */
  async referrers(pluginId: string, digest: string): Promise<OciManifestRecord[]> {
    const rows = await this.prisma.ociManifest.findMany({
      where: { subjectDigest: digest, version: { pluginId, status: 'ready' } },
      orderBy: { digest: 'asc' },
    });
    return rows.map(toRecord);
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

function toRecord(row: { versionId: string; subjectDigest: string | null; digest: string; mediaType: string; artifactType: string; content: Uint8Array }): OciManifestRecord {
  const content = Buffer.from(row.content);
  const parsed = JSON.parse(content.toString('utf8')) as { annotations?: Record<string, string> };
  return {
    versionId: row.versionId,
    subjectDigest: row.subjectDigest,
    digest: row.digest,
    mediaType: row.mediaType,
    artifactType: row.artifactType,
    content,
    annotations: parsed.annotations ?? {},
  };
}
