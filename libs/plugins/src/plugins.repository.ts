import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database, type Prisma } from '../../db/index.js';
import type { AnalysisSummary, StoredAnalysis } from '../../analysis/index.js';
import type { PluginMetadata } from '../../domain/index.js';
import { jobIdFor, PIPELINE_STEPS } from '../../pipeline/index.js';
import { type AuditActor, writeAuditEvent } from '../../audit/index.js';
import { refreshCatalogEntry } from '../../catalog/index.js';

export type VersionStatus = 'pending' | 'ready' | 'rejected' | 'failed';

export interface NamespaceRecord {
  id: string;
  name: string;
  createdAt: Date;
}

export interface PluginRecord extends PluginMetadata {
  id: string;
  namespace: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
  deprecatedAt: Date | null;
  deprecationMessage: string | null;
  downloads: bigint;
}

export interface VersionRecord {
  id: string;
  namespace: string;
  plugin: string;
  version: string;
  digest: string;
  size: number;
  status: VersionStatus;
  statusReason: string | null;
  createdAt: Date;
  readyAt: Date | null;
  kind: string | null;
  abiVersion: string | null;
  /** The analysis in brief; the report itself is read on its own (findAnalysis), never with lists. */
  analysisSummary: AnalysisSummary | null;
  analyzedAt: Date | null;
  yankedAt: Date | null;
  yankReason: string | null;
  firstDownloadedAt: Date | null;
}

/** A version number an admin deleted: burned, never published again. */
export interface DeletedVersionRecord {
  digest: string;
  deletedAt: Date;
}

const versionInclude = { plugin: { select: { name: true, namespace: { select: { name: true } } } } } as const;
// Neither is part of a VersionRecord, and both may be large: the report (a few hundred KiB; the
// analysis endpoints read it with findAnalysis) and the declared dependencies (20,000 packages, 5 MiB).
const versionOmit = { analysis: true, declaredDependencies: true } as const;
type VersionRow = Prisma.VersionGetPayload<{ include: typeof versionInclude; omit: typeof versionOmit }>;
const toVersionRecord = (row: VersionRow): VersionRecord => ({
  id: row.id,
  namespace: row.plugin.namespace.name,
  plugin: row.plugin.name,
  version: row.version,
  digest: row.digest,
  size: row.size,
  status: row.status,
  statusReason: row.statusReason,
  createdAt: row.createdAt,
  readyAt: row.readyAt,
  kind: row.kind,
  abiVersion: row.abiVersion,
  analysisSummary: row.analysisSummary as AnalysisSummary | null,
  analyzedAt: row.analyzedAt,
  yankedAt: row.yankedAt,
  yankReason: row.yankReason,
  firstDownloadedAt: row.firstDownloadedAt,
});

const pluginInclude = { namespace: { select: { name: true } } } as const;
type PluginRow = Prisma.PluginGetPayload<{ include: typeof pluginInclude }>;
const toPluginRecord = (row: PluginRow): PluginRecord => ({
  id: row.id,
  namespace: row.namespace.name,
  name: row.name,
  description: row.description,
  license: row.license,
  homepage: row.homepage,
  repository: row.repository,
  keywords: row.keywords,
  categories: row.categories,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
  deprecatedAt: row.deprecatedAt,
  deprecationMessage: row.deprecationMessage,
  downloads: row.downloads,
});

/** Reads and writes of namespaces, plugins, versions and blob records. */
@Injectable()
export class PluginsRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  /** Runs `work` in one database transaction; nothing it wrote survives a throw. */
  transaction<T>(work: (tx: PublishTransaction) => Promise<T>): Promise<T> {
    // Publishing may move a large object in storage while the transaction is open.
    return this.database.prisma.$transaction((tx) => work(new PublishTransaction(tx)), { maxWait: 30_000, timeout: 120_000 });
  }

  async findNamespace(name: string): Promise<NamespaceRecord | null> {
    return this.database.prisma.namespace.findUnique({ where: { name } });
  }

  /** Creates the namespace unless it exists; `created` tells which. */
  async ensureNamespace(name: string, actor: AuditActor): Promise<{ namespace: NamespaceRecord; created: boolean }> {
    return this.transaction(async (tx) => {
      const existing = await tx.findNamespace(name);
      if (existing !== null) return { namespace: existing, created: false };
      return { namespace: await tx.createNamespace(name, actor), created: true };
    });
  }

  /** A namespace's plugins, each with its latest version (the catalog's), in one query: never every version. */
  async listNamespacePluginsWithLatest(namespace: string): Promise<{ plugin: PluginRecord; latest: VersionRecord | null }[]> {
    const rows = await this.database.prisma.plugin.findMany({
      where: { namespace: { name: namespace } },
      include: { ...pluginInclude, latestVersion: { include: versionInclude, omit: versionOmit } },
      orderBy: { name: 'asc' },
    });
    return rows.map((row) => ({ plugin: toPluginRecord(row), latest: row.latestVersion === null ? null : toVersionRecord(row.latestVersion) }));
  }

  async findPlugin(namespace: string, name: string): Promise<PluginRecord | null> {
    const row = await this.database.prisma.plugin.findFirst({ where: { name, namespace: { name: namespace } }, include: pluginInclude });
    return row === null ? null : toPluginRecord(row);
  }

  async listVersions(pluginId: string): Promise<VersionRecord[]> {
    const rows = await this.database.prisma.version.findMany({ where: { pluginId }, include: versionInclude, omit: versionOmit });
    return rows.map(toVersionRecord);
  }

  async findVersion(namespace: string, plugin: string, version: string): Promise<VersionRecord | null> {
    const row = await this.database.prisma.version.findFirst({
      where: { version, plugin: { name: plugin, namespace: { name: namespace } } },
      include: versionInclude,
      omit: versionOmit,
    });
    return row === null ? null : toVersionRecord(row);
  }

  /** The first version published with these bytes: downloads by digest are counted for it. */
  async findFirstVersionWithDigest(digest: string): Promise<VersionRecord | null> {
    const row = await this.database.prisma.version.findFirst({
      where: { digest },
      include: versionInclude,
      omit: versionOmit,
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return row === null ? null : toVersionRecord(row);
  }

  /** When this version number was deleted (it is never published again), or null. */
  async findDeletedVersion(namespace: string, plugin: string, version: string): Promise<DeletedVersionRecord | null> {
    return this.database.prisma.deletedVersion.findFirst({
      where: { version, plugin: { name: plugin, namespace: { name: namespace } } },
      select: { digest: true, deletedAt: true },
    });
  }

  /** A version's stored analysis, report and all; null until analysed. */
  async findAnalysis(versionId: string): Promise<StoredAnalysis | null> {
    const row = await this.database.prisma.version.findUnique({ where: { id: versionId }, select: { analysis: true } });
    return (row?.analysis ?? null) as StoredAnalysis | null;
  }

  async findBlob(digest: string): Promise<{ digest: string; size: number } | null> {
    return this.database.prisma.blob.findUnique({ where: { digest }, select: { digest: true, size: true } });
  }

  /**
   * Creates or replaces a plugin's metadata (and its namespace, for an admin's
   * first write into it); `created` is true for a new plugin.
   */
  async savePlugin(
    namespace: string,
    name: string,
    metadata: PluginMetadata,
    actor: AuditActor,
    maxPluginsPerNamespace: number,
  ): Promise<{ plugin: PluginRecord; created: boolean } | 'plugin_quota_exceeded'> {
    return this.transaction(async (publish) => {
      await publish.lock(`plugin:${namespace}/${name}`);
      const tx = publish.client;
      const ns = (await publish.findNamespace(namespace)) ?? (await publish.createNamespace(namespace, actor));
      const existing = await tx.plugin.findUnique({ where: { namespaceId_name: { namespaceId: ns.id, name } } });
      if (existing === null && !(await publish.mayAddPlugin(ns, maxPluginsPerNamespace))) return 'plugin_quota_exceeded';
      const row = existing
        ? await tx.plugin.update({ where: { id: existing.id }, data: metadata, include: pluginInclude })
        : await tx.plugin.create({ data: { namespaceId: ns.id, name, ...metadata }, include: pluginInclude });
      await refreshCatalogEntry(tx, row.id);
      await writeAuditEvent(tx, {
        action: existing ? 'plugin.metadata_updated' : 'plugin.created',
        actor,
        namespace,
        plugin: name,
        details: { ...metadata },
      });
      return { plugin: toPluginRecord(row), created: existing === null };
    });
  }
}

/** The writes of one publish, all in one transaction. */
export class PublishTransaction {
  constructor(private readonly tx: Prisma.TransactionClient) {}

  get client(): Prisma.TransactionClient {
    return this.tx;
  }

  /**
   * Holds a transaction-scoped lock on `key` across every process sharing the
   * database. Publishing locks the version, then the digest, always in that order.
   */
  async lock(key: string): Promise<void> {
    await this.tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`;
  }

  async findNamespace(name: string): Promise<NamespaceRecord | null> {
    return this.tx.namespace.findUnique({ where: { name } });
  }

  async createNamespace(name: string, actor: AuditActor): Promise<NamespaceRecord> {
    const [created] = await this.tx.namespace.createManyAndReturn({ data: [{ name }], skipDuplicates: true });
    if (created !== undefined) await writeAuditEvent(this.tx, { action: 'namespace.created', actor, namespace: name });
    return created ?? (await this.tx.namespace.findUnique({ where: { name } }))!;
  }

  async ensurePlugin(namespace: NamespaceRecord, name: string, actor: AuditActor): Promise<{ id: string }> {
    const [created] = await this.tx.plugin.createManyAndReturn({ data: [{ namespaceId: namespace.id, name }], skipDuplicates: true, select: { id: true } });
    if (created !== undefined) {
      await writeAuditEvent(this.tx, { action: 'plugin.created', actor, namespace: namespace.name, plugin: name });
      return created;
    }
    return (await this.tx.plugin.findUnique({ where: { namespaceId_name: { namespaceId: namespace.id, name } }, select: { id: true } }))!;
  }

  /**
   * Whether the namespace may get one more plugin. Holds the namespace's plugin-count lock to the end of the
   * transaction, so concurrent creations count one after another. Lock order: plugin, version, digest, then this.
   */
  async mayAddPlugin(namespace: NamespaceRecord, max: number): Promise<boolean> {
    await this.lock(`namespace-plugins:${namespace.name}`);
    return (await this.tx.plugin.count({ where: { namespaceId: namespace.id } })) < max;
  }

  async pluginExists(namespace: NamespaceRecord, name: string): Promise<boolean> {
    return (await this.tx.plugin.count({ where: { namespaceId: namespace.id, name } })) > 0;
  }

  /** Whether the plugin may get one more version; like mayAddPlugin, under a lock held to the end (taken last). */
  async mayAddVersion(pluginId: string, max: number): Promise<boolean> {
    await this.lock(`plugin-versions:${pluginId}`);
    return (await this.tx.version.count({ where: { pluginId } })) < max;
  }

  async findVersion(pluginId: string, version: string): Promise<VersionRecord | null> {
    const row = await this.tx.version.findUnique({ where: { pluginId_version: { pluginId, version } }, include: versionInclude, omit: versionOmit });
    return row === null ? null : toVersionRecord(row);
  }

  async findDeletedVersion(pluginId: string, version: string): Promise<DeletedVersionRecord | null> {
    return this.tx.deletedVersion.findUnique({ where: { pluginId_version: { pluginId, version } }, select: { digest: true, deletedAt: true } });
  }

  async blobExists(digest: string): Promise<boolean> {
    return (await this.tx.blob.count({ where: { digest } })) > 0;
  }

  async insertBlob(blob: { digest: string; size: number; storageKey: string }): Promise<void> {
    await this.tx.blob.createMany({ data: [blob], skipDuplicates: true });
  }

  /**
   * Inserts the version with its pipeline steps and an outbox entry, so that
   * the work to do commits with the version or not at all.
   */
  async insertVersion(actor: AuditActor, version: {
    pluginId: string;
    version: string;
    digest: string;
    size: number;
    declaredDependencies: object | null;
  }): Promise<VersionRecord> {
    const row = await this.tx.version.create({
      data: {
        pluginId: version.pluginId,
        version: version.version,
        digest: version.digest,
        size: version.size,
        declaredDependencies: version.declaredDependencies ?? undefined,
        steps: { create: PIPELINE_STEPS.map((step) => ({ step })) },
      },
      include: versionInclude,
      omit: versionOmit,
    });
    await this.tx.outboxEntry.create({ data: { versionId: row.id, jobId: jobIdFor(row.id, 1) } });
    // The catalog entry is refreshed when the version becomes ready: a pending version changes nothing search shows.
    await this.tx.plugin.update({ where: { id: version.pluginId }, data: { updatedAt: new Date() } });
    await writeAuditEvent(this.tx, {
      action: 'version.published',
      actor,
      namespace: row.plugin.namespace.name,
      plugin: row.plugin.name,
      version: row.version,
      details: { digest: row.digest, size: row.size },
    });
    return toVersionRecord(row);
  }
}
