import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database, type Prisma, type VersionStatus } from '../../db/index.js';

/** A version this registry holds, as a scan needs it. */
export interface KnownVersion {
  id: string;
  pluginId: string;
  namespace: string;
  plugin: string;
  version: string;
  /** "sha256:<hex>" of the module bytes. */
  digest: string;
  /** "sha256:<hex>" of its module image manifest; null when it is not served over OCI. */
  manifestDigest: string | null;
  status: VersionStatus;
  statusReason: string | null;
  yankedAt: Date | null;
  yankReason: string | null;
  yankAdvisoryId: string | null;
  deprecationMessage: string | null;
  compatibility: { host: string; versions: string }[];
  signatureKinds: string[];
}

export interface VersionLookup {
  moduleDigests: string[];
  manifestDigests: string[];
  coordinates: { namespace: string; plugin: string; version: string }[];
}

const select = {
  id: true,
  pluginId: true,
  version: true,
  digest: true,
  status: true,
  statusReason: true,
  yankedAt: true,
  yankReason: true,
  yankAdvisoryId: true,
  analysisSummary: true,
  plugin: { select: { name: true, deprecationMessage: true, deprecatedAt: true, namespace: { select: { name: true } } } },
  ociManifests: { where: { subjectDigest: null }, select: { digest: true } },
  signatures: { select: { kind: true } },
} satisfies Prisma.VersionSelect;

/** What a scan reads: versions by module digest, image manifest digest or coordinates, and a plugin's ready versions. */
@Injectable()
export class ScansRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  async lookup(query: VersionLookup): Promise<KnownVersion[]> {
    const or: Prisma.VersionWhereInput[] = [];
    if (query.moduleDigests.length > 0) or.push({ digest: { in: query.moduleDigests } });
    if (query.manifestDigests.length > 0) or.push({ ociManifests: { some: { digest: { in: query.manifestDigests }, subjectDigest: null } } });
    for (const c of query.coordinates) or.push({ version: c.version, plugin: { name: c.plugin, namespace: { name: c.namespace } } });
    if (or.length === 0) return [];
    const rows = await this.database.prisma.version.findMany({ where: { OR: or }, select, orderBy: { createdAt: 'asc' } });
    return rows.map((row) => ({
      id: row.id,
      pluginId: row.pluginId,
      namespace: row.plugin.namespace.name,
      plugin: row.plugin.name,
      version: row.version,
      digest: row.digest,
      manifestDigest: row.ociManifests[0]?.digest ?? null,
      status: row.status,
      statusReason: row.statusReason,
      yankedAt: row.yankedAt,
      yankReason: row.yankReason,
      yankAdvisoryId: row.yankAdvisoryId,
      deprecationMessage: row.plugin.deprecatedAt === null ? null : (row.plugin.deprecationMessage ?? ''),
      compatibility: ((row.analysisSummary as { compatibility?: { host: string; versions: string }[] } | null)?.compatibility ?? []).map(({ host, versions }) => ({ host, versions })),
      signatureKinds: row.signatures.map((s) => s.kind),
    }));
  }

  /** The ready, not yanked version numbers of each plugin. */
  async readyVersions(pluginIds: readonly string[]): Promise<Map<string, string[]>> {
    const rows = await this.database.prisma.version.findMany({ where: { pluginId: { in: [...pluginIds] }, status: 'ready', yankedAt: null }, select: { pluginId: true, version: true } });
    const byPlugin = new Map<string, string[]>();
    for (const row of rows) byPlugin.set(row.pluginId, [...(byPlugin.get(row.pluginId) ?? []), row.version]);
    return byPlugin;
  }
}
