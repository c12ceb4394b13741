import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database, Prisma } from '../../db/index.js';
import { SEVERITY_FLOORS } from '../../domain/index.js';
import type { SearchCursor, SearchQuery } from './search-query.js';

/** One plugin as the catalog lists it: the plugin, its latest version, its popularity. */
export interface CatalogEntryRecord {
  id: string;
  namespace: string;
  name: string;
  description: string;
  license: string | null;
  keywords: string[];
  categories: string[];
  deprecatedAt: Date | null;
  deprecationMessage: string | null;
  updatedAt: Date;
  releasedAt: Date;
  downloads: bigint;
  /** Downloads of the last RECENT_DAYS days, today included. */
  recentDownloads: bigint;
  latestVersion: string;
  latestDigest: string;
  latestSize: number;
  latestAbiVersion: string | null;
  latestKind: string | null;
  latestReadyAt: Date;
  latestLanguages: string[];
  latestHosts: string[];
  signed: boolean;
  /** Advisories in force on the latest version, and the highest base score among them (null when none). */
  advisoryCount: number;
  advisoryScore: number | null;
  /** Relevance, as a decimal string; null unless searching by text. */
  score: string | null;
}

/** Days that count as "recent" downloads. */
export const RECENT_DAYS = 7;

/** The ranking weights of ts_rank for D, C, B, A: namespace, description, keywords, name. */
const RANK_WEIGHTS = '{0.05,0.2,0.5,1.0}';
/** Added to the score of a plugin whose name (or namespace/name) is exactly the query. */
const EXACT_NAME_BONUS = 10;

/** See mayReachPage: twice the rounding step of scores (6 places). */
const SIMILARITY_MARGIN = 2e-6;

const sql = Prisma.sql;

/** The columns of a CatalogEntryRecord, over `page` (id, name, downloads, released_at, score), `p` (plugins), `n` (its namespace) and `v` (its latest version). */
const ENTRY_COLUMNS = sql`SELECT page.id, n.name AS namespace, page.name, p.description, p.license, p.keywords, p.categories,
             p.deprecated_at AS "deprecatedAt", p.deprecation_message AS "deprecationMessage",
             p.updated_at AS "updatedAt", page.released_at AS "releasedAt", page.downloads,
             (SELECT coalesce(sum(dc.count), 0) FROM download_counts dc JOIN versions dv ON dv.id = dc.version_id
               WHERE dv.plugin_id = page.id AND dc.day > (now() AT TIME ZONE 'UTC')::date - ${RECENT_DAYS}::int)::bigint AS "recentDownloads",
             v.version AS "latestVersion", v.digest AS "latestDigest", v.size AS "latestSize",
             v.abi_version AS "latestAbiVersion", v.kind AS "latestKind", v.ready_at AS "latestReadyAt",
             v.languages AS "latestLanguages", v.hosts AS "latestHosts",
             EXISTS (SELECT 1 FROM signatures s WHERE s.version_id = v.id AND s.kind = 'message_signature') AS signed,
             (SELECT count(*)::int FROM advisory_affected_versions av WHERE av.version_id = v.id) AS "advisoryCount",
             (SELECT max(a.severity_score) FROM advisory_affected_versions av JOIN advisories a ON a.id = av.advisory_id
               WHERE av.version_id = v.id) AS "advisoryScore",
             page.score::text AS score`;

/** Catalog search: full text, trigram similarity, filters, keyset pagination. */
@Injectable()
export class CatalogRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  /**
   * Up to `query.limit + 1` entries after the cursor (the extra one tells the
   * caller there is a next page). Only listed plugins: those with a latest version.
   */
  async search(query: SearchQuery): Promise<{ rows: CatalogEntryRecord[]; matches: number | null }> {
    return query.text === null ? this.browse(query) : this.searchText(query, query.text);
  }

  /** No text: the sort's own index finds the page, and CatalogService counts separately when it needs to. */
  private async browse(query: SearchQuery): Promise<{ rows: CatalogEntryRecord[]; matches: null }> {
    const { order, after } = ordering(query.cursor, query.sort, 'candidate');
    const { order: pageOrder } = ordering(null, query.sort, 'page');
    const byName = query.sort === 'name';
    const namespace = byName ? sql`n.name` : sql`NULL::text`;
    const namespaceJoin = byName ? sql`JOIN namespaces n ON n.id = p.namespace_id` : Prisma.empty;
    const rows = await this.database.prisma.$queryRaw<CatalogEntryRecord[]>`
      WITH page AS (
        SELECT * FROM (
          SELECT p.id, p.name, ${namespace} AS namespace, p.downloads, p.released_at, NULL::numeric AS score
          FROM plugins p
          ${namespaceJoin}
          WHERE p.latest_version_id IS NOT NULL AND ${Prisma.join([sql`TRUE`, ...filters(query)], ' AND ')}
        ) AS candidate
        WHERE ${after}
        ORDER BY ${order}
        LIMIT ${query.limit + 1}
      )
      ${ENTRY_COLUMNS}
      FROM page
      JOIN plugins p ON p.id = page.id
      JOIN namespaces n ON n.id = p.namespace_id
      JOIN versions v ON v.id = p.latest_version_id
      ORDER BY ${pageOrder}`;
    return { rows, matches: null };
  }

  /**
   * Text search. Every match is read once into `matched` (narrow rows: no spill to disk), counted
   * there for the first page, and given its partial score (exact-name bonus + ts_rank). Trigram
   * similarity, the costly rest of the score, is computed only where it can matter: for the page
   * rows when sorting by anything but relevance, and by relevance only for matches that could
   * still reach the page, bounded by the name's trigram count (see mayReachPage).
   */
  private async searchText(query: SearchQuery, text: string): Promise<{ rows: CatalogEntryRecord[]; matches: number | null }> {
    const relevance = query.sort === 'relevance';
    const { order, after } = ordering(query.cursor, query.sort, 'candidate');
    const { order: pageOrder } = ordering(null, query.sort, 'page');
    const byName = query.sort === 'name';
    const namespace = byName ? sql`n.name` : sql`NULL::text`;
    const namespaceJoin = byName ? sql`JOIN namespaces n ON n.id = p.namespace_id` : Prisma.empty;
    // Same expression, same float8 arithmetic as one sum: partial + similarity gives the identical score.
    const partial = sql`CASE WHEN ${exactName(text)} THEN ${EXACT_NAME_BONUS} ELSE 0 END + ts_rank(${RANK_WEIGHTS}::float4[], p.search_document, ${tsQuery(query)})`;
    const score = (t: string): Prisma.Sql => sql`round((${Prisma.raw(t)}.partial + similarity(${Prisma.raw(t)}.name, ${text}))::numeric, 6)`;
    const reachable = relevance && query.cursor === null ? mayReachPage(text, query.limit + 1) : sql`TRUE`;
    const rows = await this.database.prisma.$queryRaw<(CatalogEntryRecord & { matches: bigint | null })[]>`
      WITH matched AS MATERIALIZED (
        SELECT p.id, p.name, ${namespace} AS namespace, p.downloads, p.released_at, ${partial} AS partial, p.name_trigrams
        FROM plugins p
        ${namespaceJoin}
        WHERE p.latest_version_id IS NOT NULL AND ${Prisma.join([matchCondition(query), ...filters(query)], ' AND ')}
      ), ranked AS (
        SELECT * FROM (
          SELECT m.id, m.name, m.namespace, m.downloads, m.released_at, m.partial, ${relevance ? score('m') : sql`NULL::numeric`} AS score
          FROM matched m
          WHERE ${reachable}
        ) AS candidate
        WHERE ${after}
        ORDER BY ${order}
        LIMIT ${query.limit + 1}
      ), page AS (
        SELECT r.id, r.name, r.namespace, r.downloads, r.released_at, ${relevance ? sql`r.score` : score('r')} AS score,
               ${query.cursor === null ? sql`(SELECT count(*) FROM matched)` : sql`NULL::bigint`} AS matches
        FROM ranked r
      )
      ${ENTRY_COLUMNS}, page.matches
      FROM page
      JOIN plugins p ON p.id = page.id
      JOIN namespaces n ON n.id = p.namespace_id
      JOIN versions v ON v.id = p.latest_version_id
      ORDER BY ${pageOrder}`;
    const counted = query.cursor === null ? Number(rows[0]?.matches ?? 0) : null;
    return { rows: rows.map(({ matches: _matches, ...row }) => row), matches: counted };
  }

  /** The catalog entries of these plugins, in the order given; plugins that are not listed are left out. */
  async entriesByIds(ids: readonly string[]): Promise<CatalogEntryRecord[]> {
    if (ids.length === 0) return [];
    return this.database.prisma.$queryRaw<CatalogEntryRecord[]>`
      WITH page AS (
        SELECT p.id, p.name, p.downloads, p.released_at, NULL::numeric AS score, given.position
        FROM unnest(${[...ids]}::uuid[]) WITH ORDINALITY AS given(id, position)
        JOIN plugins p ON p.id = given.id
        WHERE p.latest_version_id IS NOT NULL
      )
      ${ENTRY_COLUMNS}
      FROM page
      JOIN plugins p ON p.id = page.id
      JOIN namespaces n ON n.id = p.namespace_id
      JOIN versions v ON v.id = p.latest_version_id
      ORDER BY page.position`;
  }

  /** Listed plugins, and how many of them are in each category. */
  async categoryCounts(): Promise<{ listed: number; byCategory: Map<string, number> }> {
    const prisma = this.database.prisma;
    const listed = await prisma.plugin.count({ where: { latestVersionId: { not: null } } });
    const rows = await prisma.$queryRaw<{ category: string; plugins: bigint }[]>`
      SELECT c.category, count(*) AS plugins
      FROM plugins p, unnest(p.categories) AS c(category)
      WHERE p.latest_version_id IS NOT NULL
      GROUP BY c.category`;
    return { listed, byCategory: new Map(rows.map((r) => [r.category, Number(r.plugins)])) };
  }

  /** How many listed plugins match, for the first page. */
  async count(query: SearchQuery): Promise<number> {
    // plugins alone: counting every listed plugin is an index-only scan, and filters use its own indexes.
    const [row] = await this.database.prisma.$queryRaw<{ count: bigint }[]>`
      SELECT count(*) AS count
      FROM plugins p
      WHERE p.latest_version_id IS NOT NULL AND ${Prisma.join([matchCondition(query), ...filters(query)], ' AND ')}`;
    return Number(row?.count ?? 0);
  }
}

/** Every word as a prefix ("lim" finds "limit"), all required, stemmed as the documents are. */
function tsQuery(query: SearchQuery): Prisma.Sql {
  const text = query.words.map((w) => `${w}:*`).join(' & ');
  return sql`to_tsquery('english', ${text})`;
}

/** The plugin's name is the query, or the query is its "namespace/name". Names hold no "/". */
function exactName(text: string): Prisma.Sql {
  const [namespace, name, ...rest] = text.split('/');
  if (name === undefined || rest.length > 0) return sql`p.name = ${text}`;
  return sql`(p.name = ${text} OR (p.name = ${name} AND p.namespace_id = (SELECT n.id FROM namespaces n WHERE n.name = ${namespace})))`;
}

/**
 * An upper bound of similarity(name, query): with a and b distinct trigrams and c in common it is
 * c / (a + b - c), at most min(a, b) / max(a, b). An unknown count (null) bounds nothing: 1.
 */
function similarityBound(text: string): Prisma.Sql {
  const queryTrigrams = sql`(SELECT cardinality(show_trgm(${text})))`;
  return sql`CASE WHEN m.name_trigrams IS NULL THEN 1
    ELSE least(m.name_trigrams, ${queryTrigrams})::float8 / greatest(m.name_trigrams, ${queryTrigrams}, 1) END`;
}

/**
 * Whether a match of `matched m` may be among the first `pageSize` by relevance. At least pageSize
 * matches score at least round(P, 6), P the pageSize-th highest partial score; a match whose
 * partial + bound stays SIMILARITY_MARGIN below P rounds strictly lower than all of them, so it
 * cannot be on the page. The margin covers the rounding to 6 places and float4 similarity
 * rounding above the bound (< 1e-7).
 */
function mayReachPage(text: string, pageSize: number): Prisma.Sql {
  const floor = sql`(SELECT f.partial FROM matched f ORDER BY f.partial DESC OFFSET ${pageSize - 1} LIMIT 1)`;
  // A null partial (no search document) sorts first, as its null score always did.
  return sql`(m.partial IS NULL OR m.partial + ${similarityBound(text)} >= coalesce(${floor}, '-Infinity'::float8) - ${SIMILARITY_MARGIN}::float8)`;
}

function matchCondition(query: SearchQuery): Prisma.Sql {
  if (query.text === null) return sql`TRUE`;
  // Trigram similarity catches misspelt names that no full-text word matches. It is computed once
  // per distinct name (plugin_names), then the matching names are looked up in plugins' name index.
  // The subquery runs once per statement, not once per row.
  const fullText = query.words.length > 0 ? sql`p.search_document @@ ${tsQuery(query)}` : sql`FALSE`;
  return sql`(${fullText} OR p.name = ANY((SELECT similar_plugin_names(${query.text}))::text[]))`;
}

function filters(query: SearchQuery): Prisma.Sql[] {
  const where: Prisma.Sql[] = [];
  if (query.category !== null) where.push(sql`p.categories @> ARRAY[${query.category}]::text[]`);
  if (query.namespace !== null) where.push(sql`p.namespace_id = (SELECT n.id FROM namespaces n WHERE n.name = ${query.namespace})`);
  // The latest version's fields, as plugins copies them (refreshCatalogEntry).
  if (query.abi !== null) where.push(sql`p.latest_abi_version = ${query.abi}`);
  if (query.host !== null) where.push(sql`p.latest_hosts @> ARRAY[${query.host}]::text[]`);
  if (query.kind !== null) where.push(sql`p.latest_kind = ${query.kind}`);
  if (query.language !== null) where.push(sql`p.latest_languages @> ARRAY[${query.language}]::text[]`);
  if (query.signed !== null) {
    const signed = sql`EXISTS (SELECT 1 FROM signatures s WHERE s.version_id = p.latest_version_id AND s.kind = 'message_signature')`;
    where.push(query.signed ? signed : sql`NOT ${signed}`);
  }
  if (query.advisory !== null) {
    // advisory_affected_versions holds only advisories in force (withdrawing one removes its rows).
    const floor = query.advisory === 'none' || query.advisory === 'any' ? 0 : SEVERITY_FLOORS[query.advisory];
    const affected = sql`EXISTS (SELECT 1 FROM advisory_affected_versions av JOIN advisories a ON a.id = av.advisory_id
      WHERE av.version_id = p.latest_version_id AND a.severity_score >= ${floor})`;
    where.push(query.advisory === 'none' ? sql`NOT ${affected}` : affected);
  }
  return where;
}

/** The ORDER BY of a sort over `table`'s columns, and the keyset condition for the rows after the cursor. */
function ordering(cursor: SearchCursor | null, sort: SearchQuery['sort'], table: 'candidate' | 'page'): { order: Prisma.Sql; after: Prisma.Sql } {
  const t = Prisma.raw(table);
  switch (sort) {
    case 'relevance':
      return {
        order: sql`${t}.score DESC, ${t}.downloads DESC, ${t}.id ASC`,
        after:
          cursor?.sort === 'relevance'
            ? sql`(${t}.score, ${t}.downloads, ${cursor.id}::uuid) < (${cursor.score}::numeric, ${cursor.downloads}::bigint, ${t}.id)`
            : sql`TRUE`,
      };
    case 'downloads':
      return {
        order: sql`${t}.downloads DESC, ${t}.id ASC`,
        // Written so that the leading column bounds an index range: deep pages do not rescan earlier ones.
        after:
          cursor?.sort === 'downloads'
            ? sql`${t}.downloads <= ${cursor.downloads}::bigint AND (${t}.downloads < ${cursor.downloads}::bigint OR ${t}.id > ${cursor.id}::uuid)`
            : sql`TRUE`,
      };
    case 'recent':
      return {
        order: sql`${t}.released_at DESC, ${t}.id ASC`,
        after:
          cursor?.sort === 'recent'
            ? sql`${t}.released_at <= ${cursor.releasedAt}::timestamptz AND (${t}.released_at < ${cursor.releasedAt}::timestamptz OR ${t}.id > ${cursor.id}::uuid)`
            : sql`TRUE`,
      };
    case 'name':
      return {
        order: sql`${t}.name ASC, ${t}.namespace ASC`,
        after:
          cursor?.sort === 'name'
            ? sql`${t}.name >= ${cursor.name} AND (${t}.name > ${cursor.name} OR ${t}.namespace > ${cursor.namespace})`
            : sql`TRUE`,
      };
  }
}
