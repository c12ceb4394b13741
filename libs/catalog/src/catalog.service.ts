import { Inject, Injectable } from '@nestjs/common';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import { CATEGORIES, blobLink, pluginLink, ratingOf, versionLink } from '../../domain/index.js';
import { CatalogRepository, type CatalogEntryRecord } from './catalog.repository.js';
import type { CatalogEntryView, CatalogPage, CategoryList } from './catalog.views.js';
import { encodeSearchCursor, parseSearchQuery, type SearchCursor, type SearchParams, type SearchQuery } from './search-query.js';

/** Finding plugins: search, filters, sorting and categories. */
@Injectable()
export class CatalogService {
  constructor(
    private readonly catalog: CatalogRepository,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  async search(params: SearchParams): Promise<CatalogPage> {
    const query = parseSearchQuery(params);
    const { rows, matches } = await this.catalog.search(query);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    const total = query.cursor !== null ? null : (matches ?? (rows.length <= query.limit ? rows.length : await this.catalog.count(query)));
    return {
      items: page.map((row) => this.entryView(row)),
      nextCursor: rows.length > query.limit && last !== undefined ? encodeSearchCursor(cursorAfter(last, query)) : null,
      total,
    };
  }

  async categories(): Promise<CategoryList> {
    const { listed, byCategory } = await this.catalog.categoryCounts();
    return {
      plugins: listed,
      categories: CATEGORIES.map(({ slug, name, description }) => {
        const plugins = byCategory.get(slug) ?? 0;
        return { slug, name, description, plugins, share: listed === 0 ? 0 : round(plugins / listed) };
      }),
    };
  }

  entryView(row: CatalogEntryRecord): CatalogEntryView {
    const self = pluginLink(this.config.publicUrl, row.namespace, row.name);
    const blob = blobLink(this.config.publicUrl, row.latestDigest);
    return {
      namespace: row.namespace,
      name: row.name,
      description: row.description,
      license: row.license,
      keywords: row.keywords,
      categories: row.categories,
      latestVersion: row.latestVersion,
      latest: {
        version: row.latestVersion,
        digest: row.latestDigest,
        size: row.latestSize,
        abiVersion: row.latestAbiVersion,
        kind: row.latestKind === 'module' || row.latestKind === 'component' ? row.latestKind : null,
        languages: row.latestLanguages,
        hosts: row.latestHosts,
        signed: row.signed,
        readyAt: row.latestReadyAt.toISOString(),
      },
      downloads: Number(row.downloads),
      recentDownloads: Number(row.recentDownloads),
      signed: row.signed,
      deprecation:
        row.deprecatedAt !== null ? { message: row.deprecationMessage ?? '', deprecatedAt: row.deprecatedAt.toISOString() } : null,
      advisories: row.advisoryCount > 0 && row.advisoryScore !== null ? { count: row.advisoryCount, severity: ratingOf(row.advisoryScore), score: row.advisoryScore } : null,
      updatedAt: row.releasedAt.toISOString(),
      score: row.score === null ? null : Number(row.score),
      links: {
        self,
        latest: versionLink(this.config.publicUrl, row.namespace, row.name, row.latestVersion),
        blob,
        // Kept for clients of the first release: `module` names the by-version URL everywhere else.
        module: blob,
      },
    };
  }
}

function cursorAfter(row: CatalogEntryRecord, query: SearchQuery): SearchCursor {
  switch (query.sort) {
    case 'relevance':
      return { sort: 'relevance', score: row.score ?? '0', downloads: String(row.downloads), id: row.id };
    case 'downloads':
      return { sort: 'downloads', downloads: String(row.downloads), id: row.id };
    case 'recent':
      return { sort: 'recent', releasedAt: row.releasedAt.toISOString(), id: row.id };
    case 'name':
      return { sort: 'name', name: row.name, namespace: row.namespace };
  }
}

function round(share: number): number {
  return Math.round(share * 10_000) / 10_000;
}
