import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from '../../../testing/postgres-server.js';
import { applyMigrations, openDatabase, type Database } from '../../db/index.js';
import { refreshCatalogEntry } from './catalog-entries.js';
import { CatalogRepository } from './catalog.repository.js';
import { parseSearchQuery, type SearchParams } from './search-query.js';

const migrationsDir = fileURLToPath(new URL('../../../prisma/migrations', import.meta.url));
const MIGRATION = readdirSync(migrationsDir).find((name) => name.endsWith('_catalog_filter_columns'))!;

const NAMESPACE = '00000000-0000-7000-8000-000000000001';
const OLD_PLUGIN = '00000000-0000-7000-8000-000000000002';
const PLUGIN = '00000000-0000-7000-8000-000000000003';

/**
 * Search filters and counts read plugins' copies of the latest version's fields
 * (latest_abi_version, latest_kind, latest_languages, latest_hosts) and trigram
 * matches come from plugin_names. Both are derived data, written by
 * refreshCatalogEntry: these tests check that they follow what they are derived from.
 */
describe('catalog filter columns and plugin names', () => {
  let server: PostgresServer;
  let db: Database;
  let catalog: CatalogRepository;
  let before: string;
  const sql = (query: string) => db.prisma.$executeRawUnsafe(query);
  const found = async (params: SearchParams): Promise<{ names: string[]; counted: number }> => {
    const query = parseSearchQuery(params);
    const { rows } = await catalog.search(query);
    return { names: rows.map((r) => `${r.namespace}/${r.name}`), counted: await catalog.count(query) };
  };
  const refresh = (pluginId: string) => db.prisma.$transaction((tx) => refreshCatalogEntry(tx, pluginId));

  beforeAll(async () => {
    server = await startPostgres();
    db = await openDatabase({ kind: 'postgres', url: server.url }, { poolSize: 2 });
    catalog = new CatalogRepository(db);
    before = mkdtempSync(join(tmpdir(), 'migrations-before-filter-columns-'));
    cpSync(migrationsDir, before, { recursive: true });
    for (const name of readdirSync(before)) if (name >= MIGRATION && name !== 'migration_lock.toml') rmSync(join(before, name), { recursive: true });
    await applyMigrations(db, before);
  });
  afterAll(async () => {
    await db?.close();
    await server?.stop();
    if (before) rmSync(before, { recursive: true, force: true });
  });

  it('the migration copies the latest version of every listed plugin and every plugin name', async () => {
    await sql(`INSERT INTO namespaces (id, name) VALUES ('${NAMESPACE}', 'acme')`);
    await sql(`INSERT INTO plugins (id, namespace_id, name) VALUES ('${OLD_PLUGIN}', '${NAMESPACE}', 'jwt-auth')`);
    await sql(`INSERT INTO blobs (digest, size, storage_key) VALUES ('sha256:a', 1, 'a')`);
    await sql(`INSERT INTO versions (id, plugin_id, version, digest, size, status, kind, abi_version, languages, hosts) VALUES
      ('00000000-0000-7000-8000-00000000000a', '${OLD_PLUGIN}', '1.0.0', 'sha256:a', 1, 'ready', 'module', '0.2.0', '{rust}', '{envoy,istio}')`);
    await sql(`UPDATE plugins SET latest_version_id = '00000000-0000-7000-8000-00000000000a' WHERE id = '${OLD_PLUGIN}'`);

    await applyMigrations(db, migrationsDir);

    const [copied] = await db.prisma.$queryRawUnsafe<Record<string, unknown>[]>(
      `SELECT latest_abi_version, latest_kind, latest_languages, latest_hosts FROM plugins WHERE id = '${OLD_PLUGIN}'`,
    );
    expect(copied).toEqual({ latest_abi_version: '0.2.0', latest_kind: 'module', latest_languages: ['rust'], latest_hosts: ['envoy', 'istio'] });
    expect(await db.prisma.pluginName.findMany()).toEqual([{ name: 'jwt-auth' }]);
  });

  it('a plugin listed later is found by a misspelt name: listing it keeps its name', async () => {
    await sql(`INSERT INTO plugins (id, namespace_id, name) VALUES ('${PLUGIN}', '${NAMESPACE}', 'rate-limiter')`);
    await sql(`INSERT INTO blobs (digest, size, storage_key) VALUES ('sha256:b', 1, 'b'), ('sha256:c', 1, 'c')`);
    await sql(`INSERT INTO versions (id, plugin_id, version, digest, size, status, ready_at, kind, abi_version, languages, hosts) VALUES
      ('00000000-0000-7000-8000-00000000000b', '${PLUGIN}', '1.0.0', 'sha256:b', 1, 'ready', now(), 'module', '0.2.0', '{rust}', '{envoy,istio}')`);
    expect(await found({ q: 'rate-limitr' })).toEqual({ names: [], counted: 0 });
    await refresh(PLUGIN);
    expect((await db.prisma.pluginName.findMany({ orderBy: { name: 'asc' } })).map((n) => n.name)).toEqual(['jwt-auth', 'rate-limiter']);
    expect(await found({ q: 'rate-limitr' })).toEqual({ names: ['acme/rate-limiter'], counted: 1 });
    expect(await found({ q: 'jwt-auht' })).toEqual({ names: ['acme/jwt-auth'], counted: 1 });
  });

  it('filters follow the latest version as versions become ready, are yanked and are deleted', async () => {
    const abi = async (abi: string) => (await found({ abi })).names.filter((n) => n === 'acme/rate-limiter').length;
    expect(await found({ abi: '0.2.0', language: 'rust', host: 'istio', kind: 'module' })).toEqual({ names: ['acme/jwt-auth', 'acme/rate-limiter'], counted: 2 });

    // 2.0.0 becomes the latest: another ABI, language and hosts.
    await sql(`INSERT INTO versions (id, plugin_id, version, digest, size, status, ready_at, kind, abi_version, languages, hosts) VALUES
      ('00000000-0000-7000-8000-00000000000c', '${PLUGIN}', '2.0.0', 'sha256:c', 1, 'ready', now(), 'module', '0.2.1', '{go}', '{envoy}')`);
    await refresh(PLUGIN);
    expect([await abi('0.2.0'), await abi('0.2.1')]).toEqual([0, 1]);
    expect(await found({ language: 'go' })).toEqual({ names: ['acme/rate-limiter'], counted: 1 });
    expect(await found({ host: 'istio' })).toEqual({ names: ['acme/jwt-auth'], counted: 1 });

    // Yanked, 1.0.0 is the latest again.
    await sql(`UPDATE versions SET yanked_at = now() WHERE id = '00000000-0000-7000-8000-00000000000c'`);
    await refresh(PLUGIN);
    expect([await abi('0.2.0'), await abi('0.2.1')]).toEqual([1, 0]);
    expect(await found({ language: 'go' })).toEqual({ names: [], counted: 0 });

    // No ready version left: unlisted, whatever the filter.
    await sql(`DELETE FROM versions WHERE plugin_id = '${PLUGIN}'`);
    await refresh(PLUGIN);
    expect([await abi('0.2.0'), await abi('0.2.1')]).toEqual([0, 0]);
    const [row] = await db.prisma.$queryRawUnsafe<Record<string, unknown>[]>(
      `SELECT latest_version_id, latest_abi_version, latest_kind, latest_languages, latest_hosts FROM plugins WHERE id = '${PLUGIN}'`,
    );
    expect(row).toEqual({ latest_version_id: null, latest_abi_version: null, latest_kind: null, latest_languages: [], latest_hosts: [] });
  });

  it('an exact namespace/name match ranks first without joining namespaces', async () => {
    await sql(`INSERT INTO blobs (digest, size, storage_key) VALUES ('sha256:d', 1, 'd')`);
    await sql(`INSERT INTO versions (id, plugin_id, version, digest, size, status, ready_at, kind) VALUES
      ('00000000-0000-7000-8000-00000000000d', '${PLUGIN}', '3.0.0', 'sha256:d', 1, 'ready', now(), 'module')`);
    await refresh(PLUGIN);
    const [exact] = (await catalog.search(parseSearchQuery({ q: 'acme/rate-limiter' }))).rows;
    const [plain] = (await catalog.search(parseSearchQuery({ q: 'rate-limiter' }))).rows;
    const [otherNamespace] = (await catalog.search(parseSearchQuery({ q: 'other/rate-limiter' }))).rows;
    expect(Number(exact!.score)).toBeGreaterThan(10);
    expect(Number(plain!.score)).toBeGreaterThan(10);
    expect(Number(otherNamespace?.score ?? 0)).toBeLessThan(10);
  });
});
