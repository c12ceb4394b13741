// The registry's JSON views, as the API's own classes declare them (type-only: nothing of the server is loaded).
export type { CatalogEntryView, CatalogPage } from '../../../libs/catalog/index.js';
export type { FindingView, PluginDetailView, VersionView } from '../../../libs/plugins/index.js';
export type { CurrentTokenView } from '../../../libs/tokens/index.js';
