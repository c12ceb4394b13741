import type { Producers } from '../../analysis/index.js';
import type { Prisma } from '../../db/index.js';
import { findLatestVersionId } from '../../versions/index.js';

/** A language name as the catalog's `language` filter takes it, lowercase ("rust", "c++", "assemblyscript"). */
export const LANGUAGE_NAME = /^[a-z0-9][a-z0-9+#._-]{0,31}$/;

/** Languages a version lists (versions.languages): real modules name one or two. */
export const MAX_LANGUAGES = 8;

/**
 * A version's `languages`, from its producers section: lowercase, each once,
 * only names the language filter could match (a producers string of megabytes
 * is not a language), at most MAX_LANGUAGES.
 */
export function catalogLanguages(producers: Producers | null): string[] {
  const names = new Set<string>();
  for (const { name } of producers?.language ?? []) {
    const lower = name.toLowerCase();
    if (LANGUAGE_NAME.test(lower)) names.add(lower);
    if (names.size === MAX_LANGUAGES) break;
  }
  return [...names];
}

type CatalogWriter = Pick<Prisma.TransactionClient, 'version' | '$executeRaw'>;

/**
 * Brings a plugin's catalog columns up to date: its latest version (highest
 * ready, not yanked) with copies of the fields the filters read, when it was
 * last released and its full-text document.
 * Called with the transaction that changed the plugin or one of its versions,
 * so that search never sees one without the other.
 */
export async function refreshCatalogEntry(client: CatalogWriter, pluginId: string): Promise<void> {
  const latestVersionId = await findLatestVersionId(client, pluginId);
  // released_at only moves forward: a yank does not make a plugin look older.
  // The latest_* copies and name_trigrams are written here and nowhere else, with latest_version_id; and the name
  // is kept in plugin_names, where trigram search looks for names (never removed: a stale name
  // matches no listed plugin).
  await client.$executeRaw`
    WITH named AS (INSERT INTO plugin_names (name) SELECT name FROM plugins WHERE id = ${pluginId}::uuid ON CONFLICT DO NOTHING)
    UPDATE plugins p SET
      latest_version_id = latest.id,
      latest_abi_version = latest.abi_version,
      latest_kind = latest.kind,
      latest_languages = coalesce(latest.languages, ARRAY[]::text[]),
      latest_hosts = coalesce(latest.hosts, ARRAY[]::text[]),
      name_trigrams = cardinality(show_trgm(p.name)),
      released_at = GREATEST(p.released_at, (SELECT max(v.ready_at) FROM versions v WHERE v.plugin_id = p.id AND v.status = 'ready')),
      search_document = catalog_search_document(n.name, p.name, p.keywords, p.description)
    FROM namespaces n
    LEFT JOIN versions latest ON latest.id = ${latestVersionId}::uuid
    WHERE n.id = p.namespace_id AND p.id = ${pluginId}::uuid`;
}
