import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database, Prisma } from '../../db/index.js';
import type { StatsInterval } from './stats-range.js';

export interface StatsPluginRecord {
  id: string;
  namespace: string;
  name: string;
  versions: { id: string; version: string; status: string; yankedAt: Date | null }[];
}

/** Downloads of one version in one bucket, labelled by the bucket's first day. */
export interface BucketCount {
  versionId: string;
  start: string;
  downloads: number;
}

/** A plugin's rank in a popularity list. */
export interface PopularRecord {
  id: string;
  windowDownloads: bigint;
}

export interface SummaryRecord {
  plugins: number;
  versions: number;
  downloads: bigint;
  publishers: number;
  byCategory: Map<string, number>;
  /** Listed plugins by the ABI version of their latest version; null for none. */
  byAbiVersion: Map<string | null, number>;
  computedAt: Date;
}

const sql = Prisma.sql;

/** Reads download statistics; download_counts is written by libs/downloads only. */
@Injectable()
export class StatsRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  async findPlugin(namespace: string, name: string): Promise<StatsPluginRecord | null> {
    const row = await this.database.prisma.plugin.findFirst({
      where: { name, namespace: { name: namespace } },
      select: { id: true, name: true, namespace: { select: { name: true } }, versions: { select: { id: true, version: true, status: true, yankedAt: true } } },
    });
    return row === null ? null : { id: row.id, namespace: row.namespace.name, name: row.name, versions: row.versions };
  }

  /**
   * Sums of download_counts per version and bucket over [from, to], both
   * included; buckets without downloads are absent. Summed in the database so
   * that a long weekly range returns one row per version and week, not per day.
   */
  async bucketCounts(pluginId: string, from: string, to: string, interval: StatsInterval): Promise<BucketCount[]> {
    // date_trunc('week') starts weeks on Monday, as ISO weeks do.
    const bucket = interval === 'week' ? sql`date_trunc('week', dc.day)::date` : sql`dc.day`;
    const rows = await this.database.prisma.$queryRaw<{ versionId: string; start: string; downloads: bigint }[]>`
      SELECT dc.version_id AS "versionId", to_char(${bucket}, 'YYYY-MM-DD') AS start, sum(dc.count)::bigint AS downloads
      FROM download_counts dc
      JOIN versions v ON v.id = dc.version_id
      WHERE v.plugin_id = ${pluginId}::uuid AND dc.day BETWEEN ${from}::date AND ${to}::date
      GROUP BY 1, 2`;
    return rows.map((r) => ({ versionId: r.versionId, start: r.start, downloads: Number(r.downloads) }));
  }

  /**
   * The most downloaded listed plugins over [from, to]; over all time when
   * `from` is null. Only plugins downloaded in the window. Ties go to the more
   * downloaded plugin of all time, then by name and namespace.
   */
  async popular(query: { from: string | null; to: string; category: string | null; limit: number }): Promise<PopularRecord[]> {
    const category = query.category === null ? sql`TRUE` : sql`p.categories @> ARRAY[${query.category}]::text[]`;
    if (query.from === null) {
      // The all-time total is kept on the plugin: no need to read download_counts.
      return this.database.prisma.$queryRaw<PopularRecord[]>`
        SELECT p.id, p.downloads AS "windowDownloads"
        FROM plugins p
        JOIN namespaces n ON n.id = p.namespace_id
        WHERE p.latest_version_id IS NOT NULL AND p.downloads > 0 AND ${category}
        ORDER BY p.downloads DESC, p.name ASC, n.name ASC
        LIMIT ${query.limit}`;
    }
    // The window's rows come by the index on download_counts(day); only then are plugins joined.
    return this.database.prisma.$queryRaw<PopularRecord[]>`
      WITH windowed AS (
        SELECT v.plugin_id, sum(dc.count)::bigint AS downloads
        FROM download_counts dc
        JOIN versions v ON v.id = dc.version_id
        WHERE dc.day BETWEEN ${query.from}::date AND ${query.to}::date
        GROUP BY v.plugin_id
      )
      SELECT p.id, w.downloads AS "windowDownloads"
      FROM windowed w
      JOIN plugins p ON p.id = w.plugin_id
      JOIN namespaces n ON n.id = p.namespace_id
      WHERE p.latest_version_id IS NOT NULL AND w.downloads > 0 AND ${category}
      ORDER BY w.downloads DESC, p.downloads DESC, p.name ASC, n.name ASC
      LIMIT ${query.limit}`;
  }

  /** The registry's totals, read in one statement so that every number comes from the same snapshot. */
  async summary(): Promise<SummaryRecord> {
    const [row] = await this.database.prisma.$queryRaw<
      {
        plugins: bigint;
        versions: bigint;
        downloads: bigint;
        publishers: bigint;
        categories: { category: string; plugins: number }[];
        abiVersions: { abiVersion: string | null; plugins: number }[];
        computedAt: Date;
      }[]
    >`
      SELECT
        (SELECT count(*) FROM plugins WHERE latest_version_id IS NOT NULL) AS plugins,
        (SELECT count(*) FROM versions WHERE status = 'ready') AS versions,
        (SELECT coalesce(sum(downloads), 0)::bigint FROM plugins) AS downloads,
        (SELECT count(DISTINCT namespace_id) FROM plugins WHERE latest_version_id IS NOT NULL) AS publishers,
        (SELECT coalesce(json_agg(json_build_object('category', c.category, 'plugins', c.plugins)), '[]'::json)
           FROM (SELECT c.category, count(*) AS plugins
                 FROM plugins p, unnest(p.categories) AS c(category)
                 WHERE p.latest_version_id IS NOT NULL
                 GROUP BY c.category) AS c) AS categories,
        (SELECT coalesce(json_agg(json_build_object('abiVersion', a.abi_version, 'plugins', a.plugins)), '[]'::json)
           FROM (SELECT v.abi_version, count(*) AS plugins
                 FROM plugins p JOIN versions v ON v.id = p.latest_version_id
                 GROUP BY v.abi_version) AS a) AS "abiVersions",
        now() AS "computedAt"`;
    if (row === undefined) throw new Error('the summary query returned no row');
    return {
      plugins: Number(row.plugins),
      versions: Number(row.versions),
      downloads: row.downloads,
      publishers: Number(row.publishers),
      byCategory: new Map(row.categories.map((c) => [c.category, Number(c.plugins)])),
      byAbiVersion: new Map(row.abiVersions.map((a) => [a.abiVersion, Number(a.plugins)])),
      computedAt: row.computedAt,
    };
  }
}
