import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database, retryOnConflict } from '../../db/index.js';
import { lockPluginRows } from '../../versions/index.js';

export interface DownloadCountDelta {
  versionId: string;
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  count: number;
}

@Injectable()
export class DownloadsRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  /**
   * Adds the deltas in one statement (after locking the plugin rows). The increment happens in the database, so
   * several API processes flushing at once never lose each other's counts.
   */
  async addCounts(deltas: readonly DownloadCountDelta[]): Promise<void> {
    if (deltas.length === 0) return;
    // Rows in a stable order, so that two processes flushing at once take their row locks alike.
    const sorted = [...deltas].sort((a, b) => (a.versionId === b.versionId ? a.day.localeCompare(b.day) : a.versionId < b.versionId ? -1 : 1));
    const versionIds = [...new Set(sorted.map((d) => d.versionId))];
    await retryOnConflict(() =>
      this.database.prisma.$transaction(async (tx) => {
        // The lock protocol (libs/versions/src/version-locks.ts): plugin rows before version rows.
        const plugins = await tx.version.findMany({ where: { id: { in: versionIds } }, select: { pluginId: true } });
        await lockPluginRows(tx, [...new Set(plugins.map((p) => p.pluginId))]);
        // One statement: the per-day rows and the plugins' totals move together.
        await tx.$executeRaw`
          WITH delta AS (
            SELECT delta.version_id, delta.day, delta.count, v.plugin_id
            FROM unnest(${sorted.map((d) => d.versionId)}::uuid[], ${sorted.map((d) => d.day)}::date[], ${sorted.map((d) => d.count)}::int[])
              AS delta(version_id, day, count)
            JOIN versions v ON v.id = delta.version_id
          ), counted AS (
            INSERT INTO download_counts (version_id, day, count)
            SELECT version_id, day, count FROM delta
            ON CONFLICT (version_id, day) DO UPDATE SET count = download_counts.count + EXCLUDED.count
          )
          UPDATE plugins SET downloads = plugins.downloads + totals.count
          FROM (SELECT plugin_id, sum(count) AS count FROM delta GROUP BY plugin_id) AS totals
          WHERE plugins.id = totals.plugin_id`;
      }),
    );
  }

  /**
   * Marks a version as downloaded (first_downloaded_at) unless it is already.
   * False when the version is gone: a delete that locked its row first has
   * committed, and nothing of it may be served. Once marked, a version cannot be
   * deleted (the delete locks the row and reads the mark), so true stays true.
   */
  async markVersionDownloaded(versionId: string): Promise<boolean> {
    const marked = await this.database.prisma.$queryRaw<{ id: string }[]>`
      UPDATE versions SET first_downloaded_at = now() WHERE id = ${versionId}::uuid AND first_downloaded_at IS NULL RETURNING id`;
    if (marked.length > 0) return true;
    // Not updated: already marked (by another process), or deleted. A new statement sees which.
    return (await this.database.prisma.version.count({ where: { id: versionId } })) > 0;
  }

  /** Marks every version with these bytes, as a download by digest does; false when no version has them any more. */
  async markDigestDownloaded(digest: string): Promise<boolean> {
    const marked = await this.database.prisma.$queryRaw<{ id: string }[]>`
      UPDATE versions SET first_downloaded_at = now() WHERE digest = ${digest} AND first_downloaded_at IS NULL RETURNING id`;
    if (marked.length > 0) return true;
    return (await this.database.prisma.version.count({ where: { digest } })) > 0;
  }

  async totalForVersion(versionId: string): Promise<number> {
    const result = await this.database.prisma.downloadCount.aggregate({ where: { versionId }, _sum: { count: true } });
    return result._sum.count ?? 0;
  }

  async totalsForVersions(versionIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.database.prisma.downloadCount.groupBy({
      by: ['versionId'],
      where: { versionId: { in: [...versionIds] } },
      _sum: { count: true },
    });
    return new Map(rows.map((r) => [r.versionId, r._sum.count ?? 0]));
  }
}
