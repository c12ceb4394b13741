// The searchable catalog (one row per plugin, refreshed when a version changes) and the download statistics.
export { catalogLanguages, refreshCatalogEntry } from './src/catalog-entries.js';
export { CatalogController } from './src/catalog.controller.js';
export { CatalogRepository } from './src/catalog.repository.js';
export { CatalogService } from './src/catalog.service.js';
export { CatalogVersionHook } from './src/catalog.version-hook.js';
export { type CatalogEntryView, type CatalogPage, DeprecationView } from './src/catalog.views.js';
export { type SearchParams, parseSearchQuery } from './src/search-query.js';
export { StatsController } from './src/stats.controller.js';
export { StatsRepository } from './src/stats.repository.js';
export { StatsService } from './src/stats.service.js';
export { PluginStatsView } from './src/stats.views.js';
