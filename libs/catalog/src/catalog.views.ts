import { ApiProperty } from '@nestjs/swagger';
import { CATEGORY_SLUGS, SEVERITY_RATINGS } from '../../domain/index.js';

/** Response shapes of the catalog: search results and categories. */

export class CatalogVersionView {
  @ApiProperty({ example: '1.4.0' })
  version!: string;
  @ApiProperty({ pattern: '^sha256:[0-9a-f]{64}$' })
  digest!: string;
  @ApiProperty({ description: 'Module size in bytes.' })
  size!: number;
  @ApiProperty({ type: String, nullable: true, example: '0.2.1', description: 'The Proxy-Wasm ABI version Envoy would use.' })
  abiVersion!: string | null;
  @ApiProperty({ type: String, enum: ['module', 'component'], nullable: true })
  kind!: 'module' | 'component' | null;
  @ApiProperty({ type: [String], example: ['rust'], description: 'Source languages named by the module\'s producers section.' })
  languages!: string[];
  @ApiProperty({ type: [String], example: ['envoy', 'istio'], description: 'Hosts the analysis found able to run it.' })
  hosts!: string[];
  @ApiProperty({ description: 'Whether the registry signed it (Sigstore bundle at the version\'s signature link).' })
  signed!: boolean;
  @ApiProperty({ format: 'date-time' })
  readyAt!: string;
}

export class AdvisoryBadgeView {
  @ApiProperty({ description: 'Advisories in force on the latest version.', example: 1 })
  count!: number;
  @ApiProperty({ enum: SEVERITY_RATINGS, description: 'The rating of the most severe.' })
  severity!: string;
  @ApiProperty({ example: 9.8, description: 'Its CVSS base score.' })
  score!: number;
}

export class DeprecationView {
  @ApiProperty({ example: 'Unmaintained: use acme/oidc-gateway instead.' })
  message!: string;
  @ApiProperty({ format: 'date-time' })
  deprecatedAt!: string;
}

export class CatalogEntryLinks {
  @ApiProperty({ description: 'The plugin with all its versions.' })
  self!: string;
  @ApiProperty({ description: 'The latest version.' })
  latest!: string;
  @ApiProperty({ description: 'The latest version\'s module by digest: the URL to pin.' })
  blob!: string;
  @ApiProperty({
    deprecated: true,
    description: 'The same URL as `blob`, kept for backward compatibility. Elsewhere `links.module` is a version\'s module.wasm URL; read `blob`.',
  })
  module!: string;
}

/** A plugin as search lists it: enough to judge it without opening it. */
export class CatalogEntryView {
  @ApiProperty({ example: 'acme' })
  namespace!: string;
  @ApiProperty({ example: 'jwt-auth' })
  name!: string;
  @ApiProperty()
  description!: string;
  @ApiProperty({ type: String, nullable: true, example: 'Apache-2.0' })
  license!: string | null;
  @ApiProperty({ type: [String] })
  keywords!: string[];
  @ApiProperty({ type: [String], enum: CATEGORY_SLUGS, isArray: true })
  categories!: string[];
  @ApiProperty({ example: '1.4.0', description: 'The highest ready, non-yanked version (releases before pre-releases).' })
  latestVersion!: string;
  @ApiProperty({ type: CatalogVersionView })
  latest!: CatalogVersionView;
  @ApiProperty({ description: 'Downloads of all versions, all time.' })
  downloads!: number;
  @ApiProperty({ description: 'Downloads of all versions over the last 7 days, today included.' })
  recentDownloads!: number;
  @ApiProperty({ description: 'Whether the latest version is signed.' })
  signed!: boolean;
  @ApiProperty({ type: DeprecationView, nullable: true })
  deprecation!: DeprecationView | null;
  @ApiProperty({ type: AdvisoryBadgeView, nullable: true, description: 'Advisories affecting the latest version; null when none.' })
  advisories!: AdvisoryBadgeView | null;
  @ApiProperty({ format: 'date-time', description: 'When a version of it last became ready.' })
  updatedAt!: string;
  @ApiProperty({ type: Number, nullable: true, description: 'Relevance to q (higher is better); null without q.' })
  score!: number | null;
  @ApiProperty({ type: CatalogEntryLinks })
  links!: CatalogEntryLinks;
}

export class CatalogPage {
  @ApiProperty({ type: [CatalogEntryView] })
  items!: CatalogEntryView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` (with the same q, filters and sort) for the next page; null on the last page.' })
  nextCursor!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'How many plugins match; on the first page only (null with a cursor).' })
  total!: number | null;
}

export class CategoryView {
  @ApiProperty({ example: 'traffic-management', description: 'Stable identifier, used in URLs and in plugin metadata.' })
  slug!: string;
  @ApiProperty({ example: 'Traffic Management' })
  name!: string;
  @ApiProperty()
  description!: string;
  @ApiProperty({ description: 'Listed plugins in this category (a plugin may be in several).' })
  plugins!: number;
  @ApiProperty({ example: 0.25, description: 'plugins / listed plugins in the catalog, from 0 to 1.' })
  share!: number;
}

export class CategoryList {
  @ApiProperty({ type: [CategoryView] })
  categories!: CategoryView[];
  @ApiProperty({ description: 'Listed plugins in the catalog (those with a ready, non-yanked version).' })
  plugins!: number;
}
