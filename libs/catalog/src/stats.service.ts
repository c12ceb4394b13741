import { Injectable } from '@nestjs/common';
import { CATEGORY_SLUGS, assertNames, notFound, compareVersionsDescending } from '../../domain/index.js';
import { CatalogRepository } from './catalog.repository.js';
import { CatalogService } from './catalog.service.js';
import { ABI_VERSIONS } from './search-query.js';
import { parsePopularQuery, parseStatsRange, utcDay, zeroFilledSeries, type PopularParams, type StatsParams } from './stats-range.js';
import { StatsRepository } from './stats.repository.js';
import type { AbiVersionShareView, PluginStatsView, PopularPluginsView, RegistrySummaryView } from './stats.views.js';

/** Download statistics: a plugin's time series, popularity lists and the registry's totals. */
@Injectable()
export class StatsService {
  constructor(
    private readonly stats: StatsRepository,
    private readonly catalogEntries: CatalogRepository,
    private readonly catalog: CatalogService,
  ) {}

  async pluginStats(namespace: string, name: string, params: StatsParams): Promise<PluginStatsView> {
    assertNames({ 'path.namespace': namespace, 'path.name': name });
    const range = parseStatsRange(params, utcDay(new Date()));
    const plugin = await this.stats.findPlugin(namespace, name);
    if (plugin === null) throw notFound('plugin_not_found', `no plugin named ${namespace}/${name}`);
    const counts = await this.stats.bucketCounts(plugin.id, range.from, range.to, range.interval);

    const byVersion = Map.groupBy(counts, (c) => c.versionId);
    // Versions that never became ready are only shown when downloaded (by digest), so that total is always their sum.
    const versions = plugin.versions
      .filter((v) => v.status === 'ready' || byVersion.has(v.id))
      .sort((a, b) => compareVersionsDescending(a.version, b.version))
      .map((v) => {
        const series = zeroFilledSeries(range, byVersion.get(v.id) ?? []);
        return { version: v.version, status: v.status, yanked: v.yankedAt !== null, downloads: sum(series), series };
      });
    const totalSeries = zeroFilledSeries(range, counts);
    return {
      namespace: plugin.namespace,
      plugin: plugin.name,
      from: range.from,
      to: range.to,
      interval: range.interval,
      total: { downloads: sum(totalSeries), series: totalSeries },
      versions,
    };
  }

  async popular(params: PopularParams): Promise<PopularPluginsView> {
    const query = parsePopularQuery(params, utcDay(new Date()));
    const ranked = await this.stats.popular(query);
    // entriesByIds keeps the ranking's order; a plugin unlisted in between is left out.
    const entries = await this.catalogEntries.entriesByIds(ranked.map((r) => r.id));
    const windowDownloads = new Map(ranked.map((r) => [r.id, Number(r.windowDownloads)]));
    return {
      window: query.window,
      from: query.from,
      to: query.to,
      category: query.category,
      items: entries.map((entry) => ({ ...this.catalog.entryView(entry), windowDownloads: windowDownloads.get(entry.id) ?? 0 })),
    };
  }

  async summary(): Promise<RegistrySummaryView> {
    const totals = await this.stats.summary();
    const share = (plugins: number): number => (totals.plugins === 0 ? 0 : Math.round((plugins / totals.plugins) * 10_000) / 10_000);
    const abiVersions: (string | null)[] = [...new Set<string | null>([...ABI_VERSIONS, null, ...totals.byAbiVersion.keys()])];
    return {
      plugins: totals.plugins,
      versions: totals.versions,
      downloads: Number(totals.downloads),
      publishers: totals.publishers,
      categories: CATEGORY_SLUGS.map((slug) => {
        const plugins = totals.byCategory.get(slug) ?? 0;
        return { slug, plugins, share: share(plugins) };
      }),
      abiVersions: abiVersions
        .map((abiVersion): AbiVersionShareView => {
          const plugins = totals.byAbiVersion.get(abiVersion) ?? 0;
          return { abiVersion, plugins, share: share(plugins) };
        })
        .sort(byPluginsThenNewestAbi),
      computedAt: totals.computedAt.toISOString(),
    };
  }
}

function sum(series: readonly { downloads: number }[]): number {
  return series.reduce((total, bucket) => total + bucket.downloads, 0);
}

/** Most plugins first; ties by the newer ABI version, with none (null) last. */
function byPluginsThenNewestAbi(a: AbiVersionShareView, b: AbiVersionShareView): number {
  if (a.plugins !== b.plugins) return b.plugins - a.plugins;
  if (a.abiVersion === null || b.abiVersion === null) return a.abiVersion === null ? (b.abiVersion === null ? 0 : 1) : -1;
  return b.abiVersion.localeCompare(a.abiVersion, 'en', { numeric: true });
}
