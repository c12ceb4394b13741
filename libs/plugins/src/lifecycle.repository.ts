import { Inject, Injectable } from '@nestjs/common';
import { type AuditActor, writeAuditEvent } from '../../audit/index.js';
import { refreshCatalogEntry } from '../../catalog/index.js';
import { DATABASE, type Database, notifyInvalidation, type Prisma } from '../../db/index.js';

export interface VersionKey {
  namespace: string;
  plugin: string;
  version: string;
}

/** Why a state change did not happen; the service turns each into a problem. */
export type LifecycleRefusal = 'not_found' | 'not_ready' | 'pending' | 'downloaded';

export interface DeletedVersion {
  digest: string;
  /** True when no other version uses the digest: its blob record is gone and the object may be removed. */
  blobOrphaned: boolean;
}

/**
 * The writes of a version's or plugin's lifecycle: yank, deprecate, delete.
 * Each runs in one transaction with its audit event and the catalog refresh.
 */
@Injectable()
export class LifecycleRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  private inTransaction<T>(work: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
    return this.database.prisma.$transaction(work);
  }

  /** Yanks (reason given) or un-yanks (reason null) a ready version. */
  async setYanked(key: VersionKey, yank: { reason: string } | null, actor: AuditActor, at: Date): Promise<LifecycleRefusal | null> {
    return this.inTransaction(async (tx) => {
      const version = await lockedVersion(tx, key);
      if (version === null) return 'not_found';
      if (version.status !== 'ready') return 'not_ready';
      // Yanking twice keeps the first time and reason; un-yanking twice is a no-op.
      if ((yank !== null) === (version.yankedAt !== null)) return null;
      await tx.version.update({
        where: { id: version.id },
        data: yank === null ? { yankedAt: null, yankReason: null } : { yankedAt: at, yankReason: yank.reason },
      });
      await refreshCatalogEntry(tx, version.pluginId);
      await writeAuditEvent(tx, {
        action: yank === null ? 'version.unyanked' : 'version.yanked',
        actor,
        ...key,
        details: { digest: version.digest, ...(yank !== null ? { reason: yank.reason } : {}) },
      });
      return null;
    });
  }

  /** Deprecates (message given) or undeprecates (null) a plugin. False when there is no such plugin. */
  async setDeprecated(namespace: string, plugin: string, deprecation: { message: string } | null, actor: AuditActor, at: Date): Promise<boolean> {
    return this.inTransaction(async (tx) => {
      const row = await tx.plugin.findFirst({ where: { name: plugin, namespace: { name: namespace } }, select: { id: true, deprecatedAt: true, deprecationMessage: true } });
      if (row === null) return false;
      if (deprecation === null && row.deprecatedAt === null) return true;
      if (deprecation !== null && row.deprecationMessage === deprecation.message) return true;
      await tx.plugin.update({
        where: { id: row.id },
        data: deprecation === null ? { deprecatedAt: null, deprecationMessage: null } : { deprecatedAt: row.deprecatedAt ?? at, deprecationMessage: deprecation.message },
      });
      await writeAuditEvent(tx, {
        action: deprecation === null ? 'plugin.undeprecated' : 'plugin.deprecated',
        actor,
        namespace,
        plugin,
        details: deprecation === null ? {} : { message: deprecation.message },
      });
      return true;
    });
  }

  /**
   * Deletes a version nobody can have pinned: never downloaded (by version or
   * by digest, in any process: the mark is written before any byte goes out)
   * and not being processed. Its number is burned (deleted_versions), its counts,
   * steps, signatures and SBOM go with it; the audit event keeps its digest; every
   * API process hears of it on commit and drops what it cached.
   */
  async deleteVersion(key: VersionKey, actor: AuditActor): Promise<DeletedVersion | LifecycleRefusal> {
    return this.inTransaction(async (tx) => {
      const version = await lockedVersion(tx, key);
      if (version === null) return 'not_found';
      if (version.status === 'pending') return 'pending';
      // The row lock makes a concurrent first download wait: it either marked the version before
      // (read here) or finds the row gone after the commit and answers 404.
      const [row] = await tx.$queryRaw<{ firstDownloadedAt: Date | null }[]>`
        SELECT first_downloaded_at AS "firstDownloadedAt" FROM versions WHERE id = ${version.id}::uuid FOR UPDATE`;
      if (row === undefined) return 'not_found';
      if (row.firstDownloadedAt !== null) return 'downloaded';
      const downloads = await tx.downloadCount.aggregate({ where: { versionId: version.id }, _sum: { count: true } });
      if ((downloads._sum.count ?? 0) > 0) return 'downloaded';
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`digest:${version.digest}`}, 0))`;
      await tx.version.delete({ where: { id: version.id } });
      const othersWithDigest = await tx.version.count({ where: { digest: version.digest } });
      if (othersWithDigest === 0) await tx.blob.delete({ where: { digest: version.digest } });
      await tx.deletedVersion.create({ data: { pluginId: version.pluginId, version: version.version, digest: version.digest, actor: actor.name } });
      await refreshCatalogEntry(tx, version.pluginId);
      await writeAuditEvent(tx, {
        action: 'version.deleted',
        actor,
        ...key,
        details: { digest: version.digest, size: version.size, status: version.status, yanked: version.yankedAt !== null },
      });
      await notifyInvalidation(tx, { kind: 'version_deleted', ...key, versionId: version.id, digest: version.digest });
      return { digest: version.digest, blobOrphaned: othersWithDigest === 0 };
    });
  }

  /**
   * Runs `remove` under the digest's lock unless a blob record points at the
   * digest again (a publish of the same bytes may have come in meanwhile).
   */
  async removeObjectIfUnrecorded(digest: string, remove: () => Promise<void>): Promise<void> {
    await this.inTransaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`digest:${digest}`}, 0))`;
      if ((await tx.blob.count({ where: { digest } })) === 0) await remove();
    });
  }
}

/** The version row, locked the way publishing locks it (so a concurrent publish of the same version waits). */
async function lockedVersion(tx: Prisma.TransactionClient, key: VersionKey) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`version:${key.namespace}/${key.plugin}@${key.version}`}, 0))`;
  return tx.version.findFirst({ where: { version: key.version, plugin: { name: key.plugin, namespace: { name: key.namespace } } } });
}
