import { Inject, Injectable } from '@nestjs/common';
import { DATABASE } from '../../db/src/database.module.js';
import type { Database } from '../../db/src/database.js';

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
   * Adds the deltas in one statement. The increment happens in the database, so
   * several API processes flushing at once never lose each other's counts.
   */
  async addCounts(deltas: readonly DownloadCountDelta[]): Promise<void> {
    if (deltas.length === 0) return;
    await this.database.prisma.$executeRaw`
      INSERT INTO download_counts (version_id, day, count)
      SELECT version_id, day, count
      FROM unnest(${deltas.map((d) => d.versionId)}::uuid[], ${deltas.map((d) => d.day)}::date[], ${deltas.map((d) => d.count)}::int[])
        AS delta(version_id, day, count)
      WHERE EXISTS (SELECT 1 FROM versions WHERE versions.id = delta.version_id)
      ON CONFLICT (version_id, day) DO UPDATE SET count = download_counts.count + EXCLUDED.count`;
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
