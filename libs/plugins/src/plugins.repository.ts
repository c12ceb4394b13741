import semver from 'semver';
import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database, type Prisma } from '../../db/index.js';
import type { StoredAnalysis } from '../../analysis/index.js';
import type { PluginMetadata } from '../../domain/index.js';
import { type AuditActor, writeAuditEvent } from '../../audit/index.js';
import { refreshCatalogEntry } from '../../catalog/index.js';
import {
  type DeletedVersionRecord,
  type VersionCoordinates,
  type VersionRecord,
  lockNamespacePluginCount,
  lockPluginName,
  lockPluginRow,
  toVersionRecord,
  versionRecordQuery,
  VersionsRepository,
  type VersionTransaction,
} from '../../versions/index.js';

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

/** Reads and writes of namespaces and plugins; versions are read and changed through their owner, VersionsRepository. */
@Injectable()
export class PluginsRepository {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    private readonly versions: VersionsRepository,
  ) {}

  /**
   * Runs `work` in one database transaction; nothing it wrote survives a throw.
   * Run again from the start when it loses a deadlock, so `work` must be safe to repeat.
   */
  transaction<T>(work: (tx: PublishTransaction) => Promise<T>): Promise<T> {
    return this.versions.transaction((versions) => work(new PublishTransaction(versions)));
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
      include: { ...pluginInclude, latestVersion: versionRecordQuery },
      orderBy: { name: 'asc' },
    });
    return rows.map((row) => ({ plugin: toPluginRecord(row), latest: row.latestVersion === null ? null : toVersionRecord(row.latestVersion) }));
  }

  async findPlugin(namespace: string, name: string): Promise<PluginRecord | null> {
    const row = await this.database.prisma.plugin.findFirst({ where: { name, namespace: { name: namespace } }, include: pluginInclude });
    return row === null ? null : toPluginRecord(row);
  }

  listVersions(pluginId: string): Promise<VersionRecord[]> {
    return this.versions.listVersions(pluginId);
  }

  /** Every version number of a plugin, whatever its status. */
  async listVersionNumbers(namespace: string, plugin: string): Promise<string[]> {
    const rows = await this.database.prisma.version.findMany({ where: { plugin: { name: plugin, namespace: { name: namespace } } }, select: { version: true } });
    return rows.map((row) => row.version);
  }

  /** The numbers of a plugin's ready versions, yanked included. */
  async listReadyVersionNumbers(namespace: string, plugin: string): Promise<string[]> {
    const rows = await this.database.prisma.version.findMany({ where: { status: 'ready', plugin: { name: plugin, namespace: { name: namespace } } }, select: { version: true } });
    return rows.map((row) => row.version);
  }

  findVersion(namespace: string, plugin: string, version: string): Promise<VersionRecord | null> {
    return this.versions.findVersion({ namespace, plugin, version });
  }

  /** The first version published with these bytes: downloads by digest are counted for it. */
  findFirstVersionWithDigest(digest: string): Promise<VersionRecord | null> {
    return this.versions.findFirstVersionWithDigest(digest);
  }

  /** When this version number was deleted (it is never published again), or null. */
  findDeletedVersion(namespace: string, plugin: string, version: string): Promise<DeletedVersionRecord | null> {
    return this.versions.findDeletedVersion({ namespace, plugin, version });
  }

  /** A version's stored analysis, report and all; null until analysed. */
  findAnalysis(versionId: string): Promise<StoredAnalysis | null> {
    return this.versions.findAnalysis(versionId);
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
      const tx = publish.client;
      await lockPluginName(tx, namespace, name);
      const ns = (await publish.findNamespace(namespace)) ?? (await publish.createNamespace(namespace, actor));
      const existing = await tx.plugin.findUnique({ where: { namespaceId_name: { namespaceId: ns.id, name } } });
      if (existing === null && !(await publish.mayAddPlugin(ns, maxPluginsPerNamespace))) return 'plugin_quota_exceeded';
      if (existing !== null) await lockPluginRow(tx, existing.id);
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

/**
 * The writes of one publish, all in one transaction: the namespace and plugin
 * here, the version through its owner (`versions`), locks in the protocol's
 * order (libs/versions/src/version-locks.ts).
 */
export class PublishTransaction {
  constructor(readonly versions: VersionTransaction) {}

  get client(): Prisma.TransactionClient {
    return this.versions.client;
  }

  async findNamespace(name: string): Promise<NamespaceRecord | null> {
    return this.client.namespace.findUnique({ where: { name } });
  }

  async createNamespace(name: string, actor: AuditActor): Promise<NamespaceRecord> {
    const [created] = await this.client.namespace.createManyAndReturn({ data: [{ name }], skipDuplicates: true });
    if (created !== undefined) await writeAuditEvent(this.client, { action: 'namespace.created', actor, namespace: name });
    return created ?? (await this.client.namespace.findUnique({ where: { name } }))!;
  }

  /** The plugin, created unless it exists, and locked (its row, before any version row is written). */
  async ensurePlugin(namespace: NamespaceRecord, name: string, actor: AuditActor): Promise<{ id: string }> {
    const [created] = await this.client.plugin.createManyAndReturn({ data: [{ namespaceId: namespace.id, name }], skipDuplicates: true, select: { id: true } });
    if (created !== undefined) await writeAuditEvent(this.client, { action: 'plugin.created', actor, namespace: namespace.name, plugin: name });
    const plugin = created ?? (await this.client.plugin.findUnique({ where: { namespaceId_name: { namespaceId: namespace.id, name } }, select: { id: true } }))!;
    await this.versions.lockPlugin(plugin.id);
    return plugin;
  }

  /**
   * Whether the namespace may get one more plugin. Holds the namespace's plugin-count lock to the end of the
   * transaction, so concurrent creations count one after another.
   */
  async mayAddPlugin(namespace: NamespaceRecord, max: number): Promise<boolean> {
    await lockNamespacePluginCount(this.client, namespace.name);
    return (await this.client.plugin.count({ where: { namespaceId: namespace.id } })) < max;
  }

  /**
   * Replaces the plugin's metadata fields a publish's manifest gives, unless
   * a higher version exists (a backport does not roll the description back).
   * Returns whether it did. Call with the plugin row locked.
   */
  async applyManifestMetadata(plugin: { id: string; namespace: string; name: string }, version: string, metadata: PluginMetadata, actor: AuditActor): Promise<boolean> {
    const others = await this.client.version.findMany({ where: { pluginId: plugin.id, version: { not: version } }, select: { version: true } });
    if (others.some((other) => semver.valid(other.version) !== null && semver.gt(other.version, version))) return false;
    // Only what the manifest says: a Higress spec names a description and a category, not a license.
    const given = Object.fromEntries(Object.entries(metadata).filter(([, value]) => value !== null && value !== '' && !(Array.isArray(value) && value.length === 0)));
    if (Object.keys(given).length === 0) return false;
    await this.client.plugin.update({ where: { id: plugin.id }, data: given });
    await refreshCatalogEntry(this.client, plugin.id);
    await writeAuditEvent(this.client, {
      action: 'plugin.metadata_updated',
      actor,
      namespace: plugin.namespace,
      plugin: plugin.name,
      details: { ...given, fromManifestOf: version },
    });
    return true;
  }

  /**
   * An existing plugin, its row locked (the protocol's step 4) in the statement that finds it; null when there
   * is none yet. One statement where finding, creating-unless-it-exists and locking took four.
   */
  async lockExistingPlugin(namespace: NamespaceRecord, name: string): Promise<{ id: string } | null> {
    const [row] = await this.client.$queryRaw<{ id: string }[]>`
      SELECT id::text AS id FROM plugins WHERE namespace_id = ${namespace.id}::uuid AND name = ${name} FOR UPDATE`;
    return row ?? null;
  }
}

export type { DeletedVersionRecord, VersionCoordinates, VersionRecord };
