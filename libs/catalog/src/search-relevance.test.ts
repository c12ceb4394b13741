import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from '../../../testing/postgres-server.js';
import { applyMigrations, openDatabase, type Database } from '../../db/index.js';
import { MIGRATIONS_DIR } from '../../../testing/migrations-before.js';
import { refreshCatalogEntry } from './catalog-entries.js';
import { CatalogRepository, type CatalogEntryRecord } from './catalog.repository.js';
import { parseSearchQuery, type SearchParams } from './search-query.js';

const PLUGINS = 600;
const TECH = ['redis', 'redirect', 'rate', 'jwt', 'oauth', 'kafka', 'otel', 'red', 'grpc', 'graphql'];
const ROLE = ['limiter', 'cache', 'auth', 'router', 'tracer', 'producer', 'validator', 'rewrite'];
const EXTRA = ['', '-pro', '-lite', '-next-generation-edition', '-x'];
const WORDS = ['rate', 'limits', 'requests', 'redis', 'red', 'tokens', 'jwt', 'auth', 'traces', 'kafka', 'cache', 'routing', 'grpc'];

/**
 * Search computes trigram similarity only for matches that can still reach the page
 * (CatalogRepository.mayReachPage). That must never change a page: every page of every
 * sort is compared here with relevance computed the plain way, for every match.
 */
describe('text search ranks as relevance is defined', () => {
  let server: PostgresServer;
  let db: Database;
  let catalog: CatalogRepository;

  beforeAll(async () => {
    server = await startPostgres();
    db = await openDatabase({ kind: 'postgres', url: server.url }, { poolSize: 2 });
    catalog = new CatalogRepository(db);
    await applyMigrations(db, MIGRATIONS_DIR);
    const sql = (query: string) => db.prisma.$executeRawUnsafe(query);
    // Names repeat across namespaces (ties broken by downloads, then id) and vary in length
    // (the similarity bound depends on it); descriptions mention the words the queries look for.
    await sql(`INSERT INTO namespaces (id, name) SELECT ('00000000-0000-7000-8000-' || lpad(i::text, 12, '0'))::uuid, 'ns' || i FROM generate_series(1, 40) i`);
    await sql(`
      INSERT INTO plugins (id, namespace_id, name, description, keywords, downloads)
      SELECT ('00000000-0000-7000-9000-' || lpad(i::text, 12, '0'))::uuid,
             ('00000000-0000-7000-8000-' || lpad((1 + i % 40)::text, 12, '0'))::uuid,
             (${arr(TECH)})[1 + i % ${TECH.length}] || '-' || (${arr(ROLE)})[1 + (i / 7) % ${ROLE.length}] || (${arr(EXTRA)})[1 + (i / 3) % ${EXTRA.length}]
               || CASE WHEN i > 400 THEN '-' || i ELSE '' END,
             (SELECT string_agg((${arr(WORDS)})[1 + (i * w + w * w) % ${WORDS.length}], ' ') FROM generate_series(1, 3 + i % 9) w),
             ARRAY[(${arr(WORDS)})[1 + i % ${WORDS.length}]],
             (i * 7919) % 50
      FROM generate_series(1, ${PLUGINS}) i`);
    await sql(`INSERT INTO blobs (digest, size, storage_key) VALUES ('sha256:a', 1, 'a')`);
    await sql(`
      INSERT INTO versions (id, plugin_id, version, digest, size, status, ready_at, kind)
      SELECT ('00000000-0000-7000-a000-' || lpad(i::text, 12, '0'))::uuid, ('00000000-0000-7000-9000-' || lpad(i::text, 12, '0'))::uuid,
             '1.0.0', 'sha256:a', 1, 'ready', now() - i * interval '1 minute', 'module'
      FROM generate_series(1, ${PLUGINS}) i`);
    const ids = await db.prisma.$queryRawUnsafe<{ id: string }[]>(`SELECT id::text FROM plugins`);
    await db.prisma.$transaction(async (tx) => {
      for (const { id } of ids) await refreshCatalogEntry(tx, id);
    });
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    await server?.stop();
  });

  /** Relevance as defined: bonus for the exact name or namespace/name, ts_rank, similarity, for every listed match. */
  const byDefinition = async (q: string): Promise<{ id: string; score: string; downloads: bigint }[]> => {
    const { words, text } = parseSearchQuery({ q });
    const tsQuery = words.map((w) => `${w}:*`).join(' & ');
    return db.prisma.$queryRawUnsafe(
      `SELECT id, score::text, downloads FROM (
         SELECT p.id, round((CASE WHEN p.name = $1 OR n.name || '/' || p.name = $1 THEN 10 ELSE 0 END
                  + ts_rank('{0.05,0.2,0.5,1.0}'::float4[], p.search_document, to_tsquery('english', $2))
                  + similarity(p.name, $1))::numeric, 6) AS score, p.downloads
         FROM plugins p JOIN namespaces n ON n.id = p.namespace_id
         WHERE p.latest_version_id IS NOT NULL AND (p.search_document @@ to_tsquery('english', $2) OR p.name % $1 OR $1 <% p.name)
       ) AS scored
       ORDER BY score DESC, downloads DESC, id`,
      text,
      tsQuery,
    );
  };

  /** Every page of a search, following nextCursor as the API does. */
  const allPages = async (params: SearchParams): Promise<{ pages: CatalogEntryRecord[][]; matches: number | null }> => {
    const pages: CatalogEntryRecord[][] = [];
    let cursor: string | undefined;
    let matches: number | null = null;
    for (;;) {
      const query = parseSearchQuery({ ...params, ...(cursor === undefined ? {} : { cursor }) });
      const result = await catalog.search(query);
      if (pages.length === 0) matches = result.matches;
      const page = result.rows.slice(0, query.limit);
      pages.push(page);
      if (result.rows.length <= query.limit) return { pages, matches };
      const last = page.at(-1)!;
      cursor = Buffer.from(JSON.stringify({ sort: 'relevance', score: last.score, downloads: String(last.downloads), id: last.id })).toString('base64url');
    }
  };

  const QUERIES = ['re', 'red', 'rate limiter', 'redis cache', 'jwt-auht', 'rate-limiter', 'graph', 'ns4/jwt-limiter-pro', 'kafka-producer-x'];

  it.each(QUERIES)('q=%s: every page by relevance is the defined order, counted in full', async (q) => {
    const expected = await byDefinition(q);
    expect(expected.length).toBeGreaterThan(0);
    for (const limit of ['3', '20']) {
      const { pages, matches } = await allPages({ q, limit });
      expect(matches).toBe(expected.length);
      const got = pages.flat().map((r) => ({ id: r.id, score: r.score, downloads: r.downloads }));
      expect(got).toEqual(expected);
    }
  });

  it('the broad queries have matches the search leaves unscored (otherwise this test would not test it)', async () => {
    // Names long next to the query bound its similarity far below the page's scores.
    const [row] = await db.prisma.$queryRawUnsafe<{ bounded: bigint }[]>(
      `SELECT count(*) AS bounded FROM plugins WHERE name_trigrams IS NOT NULL AND least(name_trigrams, cardinality(show_trgm('red')))::float8 / greatest(name_trigrams, cardinality(show_trgm('red'))) < 0.2`,
    );
    expect(Number(row!.bounded)).toBeGreaterThan(100);
    expect((await byDefinition('re')).length).toBeGreaterThan(100);
  });

  it('other sorts give each row the same score', async () => {
    const expected = new Map((await byDefinition('rate')).map((r) => [r.id, r.score]));
    for (const sort of ['downloads', 'recent', 'name']) {
      const { rows, matches } = await catalog.search(parseSearchQuery({ q: 'rate', sort, limit: '100' }));
      expect(matches).toBe(expected.size);
      for (const row of rows.slice(0, 100)) expect([sort, row.id, row.score]).toEqual([sort, row.id, expected.get(row.id)]);
    }
  });
});

function arr(values: string[]): string {
  return `ARRAY[${values.map((v) => `'${v}'`).join(',')}]::text[]`;
}
