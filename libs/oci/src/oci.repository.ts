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
