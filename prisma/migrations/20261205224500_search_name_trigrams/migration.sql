-- AlterTable
ALTER TABLE "plugins" ADD COLUMN     "name_trigrams" SMALLINT;

-- From now on libs/catalog writes it with the other catalog columns (refreshCatalogEntry).
-- Search bounds a name's trigram similarity by it and skips computing it for matches that
-- cannot reach the page.
UPDATE "plugins" SET "name_trigrams" = cardinality(show_trgm("name")) WHERE "latest_version_id" IS NOT NULL;

-- The names similar to a search query: two index scans joined, instead of one OR whose
-- recheck evaluated both operators on every candidate name (twice as slow).
CREATE OR REPLACE FUNCTION similar_plugin_names(query TEXT) RETURNS TEXT[]
LANGUAGE sql STABLE PARALLEL SAFE SET enable_seqscan = off AS $$
  SELECT coalesce(array_agg(name), ARRAY[]::TEXT[])
  FROM (SELECT name FROM plugin_names WHERE name % query UNION SELECT name FROM plugin_names WHERE query <% name) AS near
$$;
