import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CATEGORY_SLUGS } from '../../domain/index.js';
import { ApiProblems } from '../../http/index.js';
import {
  DEFAULT_POPULAR_LIMIT,
  DEFAULT_STATS_DAYS,
  MAX_POPULAR_LIMIT,
  MAX_STATS_BUCKETS,
  POPULAR_WINDOWS,
  STATS_INTERVALS,
  type PopularParams,
  type StatsParams,
} from './stats-range.js';
import { StatsService } from './stats.service.js';
import { PluginStatsView, PopularPluginsView, RegistrySummaryView } from './stats.views.js';

@ApiTags('stats')
@Controller('api/v1')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  @Get('plugins/:namespace/:name/stats')
  @ApiOperation({
    summary: 'Downloads of a plugin over time, per version and in total',
    description:
      `Exact download counts by UTC day or ISO week (Monday to Sunday, labelled by its Monday). Dates are \`YYYY-MM-DD\` in UTC and ` +
      `both ends are included; by default the last ${DEFAULT_STATS_DAYS} days up to today. With interval=week the range widens to ` +
      `whole weeks and the response gives the widened from and to. Every bucket is present (0 when nothing was downloaded); ` +
      `at most ${MAX_STATS_BUCKETS} buckets per request. Today's bucket grows as buffered downloads are written (every few seconds).`,
  })
  @ApiQuery({ name: 'from', required: false, description: `First UTC day, YYYY-MM-DD. Default: to minus ${DEFAULT_STATS_DAYS - 1} days.`, example: '2025-03-01' })
  @ApiQuery({ name: 'to', required: false, description: 'Last UTC day, YYYY-MM-DD, included. Default: today (UTC).', example: '2025-03-30' })
  @ApiQuery({ name: 'interval', required: false, enum: STATS_INTERVALS, description: 'Default: day.' })
  @ApiOkResponse({ type: PluginStatsView })
  @ApiProblems(400, 404)
  pluginStats(@Param('namespace') namespace: string, @Param('name') name: string, @Query() params: StatsParams): Promise<PluginStatsView> {
    return this.stats.pluginStats(namespace, name, params);
  }

  @Get('stats/popular')
  @ApiOperation({
    summary: 'The most downloaded plugins',
    description:
      'Listed plugins ranked by their downloads in the window (7d and 30d: that many UTC days up to today, today included; all: all ' +
      'time); ties go to the more downloaded plugin of all time, then by name. Each item is the plugin as search lists it, plus ' +
      'windowDownloads. Plugins not downloaded in the window are left out.',
  })
  @ApiQuery({ name: 'window', required: false, enum: POPULAR_WINDOWS, description: 'Default: 7d.' })
  @ApiQuery({ name: 'category', required: false, enum: CATEGORY_SLUGS })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_POPULAR_LIMIT, default: DEFAULT_POPULAR_LIMIT } })
  @ApiOkResponse({ type: PopularPluginsView })
  @ApiProblems(400)
  popular(@Query() params: PopularParams): Promise<PopularPluginsView> {
    return this.stats.popular(params);
  }

  @Get('stats/summary')
  @ApiOperation({
    summary: 'The registry in numbers',
    description: 'Listed plugins, ready versions, downloads, publishers, and the share of listed plugins per category and per ABI version of their latest version.',
  })
  @ApiOkResponse({ type: RegistrySummaryView })
  summary(): Promise<RegistrySummaryView> {
    return this.stats.summary();
  }
}
