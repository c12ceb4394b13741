import { ApiProperty } from '@nestjs/swagger';
import { CATEGORY_SLUGS } from '../../domain/index.js';
import { CatalogEntryView } from './catalog.views.js';
import { POPULAR_WINDOWS, STATS_INTERVALS, type PopularWindow, type StatsInterval } from './stats-range.js';

/** Response shapes of download statistics. */

export class StatsBucketView {
  @ApiProperty({ example: '2025-03-03', description: 'The bucket\'s first UTC day: the day itself, or the Monday of its ISO week.' })
  start!: string;
  @ApiProperty({ example: 42 })
  downloads!: number;
}

export class DownloadSeriesView {
  @ApiProperty({ description: 'Downloads over the whole range: the sum of the series.' })
  downloads!: number;
  @ApiProperty({ type: [StatsBucketView], description: 'Every bucket of the range, oldest first; 0 where nothing was downloaded.' })
  series!: StatsBucketView[];
}

export class VersionStatsView extends DownloadSeriesView {
  @ApiProperty({ example: '1.4.0' })
  version!: string;
  @ApiProperty({ enum: ['pending', 'ready', 'rejected', 'failed'] })
  status!: string;
  @ApiProperty()
  yanked!: boolean;
}

export class PluginStatsView {
  @ApiProperty({ example: 'acme' })
  namespace!: string;
  @ApiProperty({ example: 'jwt-auth' })
  plugin!: string;
  @ApiProperty({ example: '2025-02-09', description: 'First UTC day counted (with interval=week, a Monday).' })
  from!: string;
  @ApiProperty({ example: '2025-03-10', description: 'Last UTC day counted, included (with interval=week, a Sunday).' })
  to!: string;
  @ApiProperty({ enum: STATS_INTERVALS })
  interval!: StatsInterval;
  @ApiProperty({ type: DownloadSeriesView, description: 'All versions together: each bucket is the sum of the versions\' buckets.' })
  total!: DownloadSeriesView;
  @ApiProperty({
    type: [VersionStatsView],
    description: 'Newest first by semantic version: every ready version (yanked ones included) and any other version downloaded in the range.',
  })
  versions!: VersionStatsView[];
}

/** A catalog entry with its downloads in the window it was ranked by. */
export class PopularPluginView extends CatalogEntryView {
  @ApiProperty({ description: 'Downloads of all its versions in the window (for window=all, the same as downloads).' })
  windowDownloads!: number;
}

export class PopularPluginsView {
  @ApiProperty({ enum: POPULAR_WINDOWS })
  window!: PopularWindow;
  @ApiProperty({ type: String, nullable: true, example: '2025-03-04', description: 'First UTC day of the window; null for all.' })
  from!: string | null;
  @ApiProperty({ example: '2025-03-10', description: 'Last UTC day of the window: today.' })
  to!: string;
  @ApiProperty({ type: String, enum: CATEGORY_SLUGS, nullable: true })
  category!: string | null;
  @ApiProperty({ type: [PopularPluginView], description: 'Most downloaded first; only plugins downloaded in the window.' })
  items!: PopularPluginView[];
}

export class CategoryShareView {
  @ApiProperty({ enum: CATEGORY_SLUGS })
  slug!: string;
  @ApiProperty({ description: 'Listed plugins in this category (a plugin may be in several).' })
  plugins!: number;
  @ApiProperty({ example: 0.25, description: 'plugins / listed plugins, from 0 to 1 (4 decimals).' })
  share!: number;
}

export class AbiVersionShareView {
  @ApiProperty({ type: String, nullable: true, example: '0.2.1', description: 'The Proxy-Wasm ABI version of the latest version; null when it has none.' })
  abiVersion!: string | null;
  @ApiProperty({ description: 'Listed plugins whose latest version has this ABI version.' })
  plugins!: number;
  @ApiProperty({ example: 0.6, description: 'plugins / listed plugins, from 0 to 1 (4 decimals).' })
  share!: number;
}

export class RegistrySummaryView {
  @ApiProperty({ description: 'Listed plugins: those with a ready, non-yanked version.' })
  plugins!: number;
  @ApiProperty({ description: 'Ready versions, yanked ones included.' })
  versions!: number;
  @ApiProperty({ description: 'Downloads of every version of every plugin, all time.' })
  downloads!: number;
  @ApiProperty({ description: 'Namespaces with at least one listed plugin.' })
  publishers!: number;
  @ApiProperty({ type: [CategoryShareView], description: 'Every category of the taxonomy, in its order.' })
  categories!: CategoryShareView[];
  @ApiProperty({
    type: [AbiVersionShareView],
    description: 'Every known ABI version and null (none), then any other seen; most plugins first. The shares add up to 1 when anything is listed.',
  })
  abiVersions!: AbiVersionShareView[];
  @ApiProperty({ format: 'date-time' })
  computedAt!: string;
}
