-- Trigram similarity finds misspelt and partial plugin names (a trusted
-- extension: the database owner may create it, and PGlite ships it as contrib).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The one definition of a plugin's full-text document, used by the backfill
-- below and by libs/catalog whenever a plugin changes. English stemming so that
-- "limiting" finds "limit", and the weights rank name over keywords over description.
CREATE FUNCTION catalog_search_document(namespace TEXT, name TEXT, keywords TEXT[], description TEXT)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT setweight(to_tsvector('english'::regconfig, name || ' ' || replace(name, '-', ' ')), 'A')
      || setweight(to_tsvector('english'::regconfig, coalesce(array_to_string(keywords, ' '), '')), 'B')
      || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'C')
      || setweight(to_tsvector('english'::regconfig, namespace), 'D')
$$;

-- AlterTable
ALTER TABLE "plugins" ADD COLUMN     "deprecated_at" TIMESTAMPTZ(3),
ADD COLUMN     "deprecation_message" TEXT,
ADD COLUMN     "downloads" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "latest_version_id" UUID,
ADD COLUMN     "released_at" TIMESTAMPTZ(3),
ADD COLUMN     "search_document" tsvector;

-- AlterTable
ALTER TABLE "versions" ADD COLUMN     "hosts" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "languages" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "yank_reason" TEXT,
ADD COLUMN     "yanked_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "audit_events" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "action" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "actor_token_id" UUID,
    "namespace" TEXT,
    "plugin" TEXT,
    "version" TEXT,
    "details" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "audit_events_action_id_idx" ON "audit_events"("action", "id");

-- CreateIndex
CREATE INDEX "audit_events_namespace_plugin_id_idx" ON "audit_events"("namespace", "plugin", "id");

-- CreateIndex
CREATE INDEX "download_counts_day_idx" ON "download_counts"("day");

-- CreateIndex
CREATE UNIQUE INDEX "plugins_latest_version_id_key" ON "plugins"("latest_version_id");

-- CreateIndex
CREATE INDEX "plugins_search_document_idx" ON "plugins" USING GIN ("search_document");

-- CreateIndex
CREATE INDEX "plugins_name_trgm_idx" ON "plugins" USING GIN ("name" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "plugins_categories_idx" ON "plugins" USING GIN ("categories");

-- CreateIndex
CREATE INDEX "plugins_name_idx" ON "plugins"("name");

-- CreateIndex
CREATE INDEX "plugins_downloads_id_idx" ON "plugins"("downloads" DESC, "id");

-- CreateIndex
CREATE INDEX "plugins_released_at_id_idx" ON "plugins"("released_at" DESC, "id");

-- AddForeignKey
ALTER TABLE "plugins" ADD CONSTRAINT "plugins_latest_version_id_fkey" FOREIGN KEY ("latest_version_id") REFERENCES "versions"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Backfill what the catalog derives, for versions and plugins stored before it existed.
UPDATE "versions" SET
  "languages" = COALESCE((SELECT array_agg(DISTINCT lower(l->>'name')) FROM jsonb_array_elements(
      CASE WHEN jsonb_typeof(analysis->'report'->'producers'->'language') = 'array' THEN analysis->'report'->'producers'->'language' ELSE '[]'::jsonb END) l), ARRAY[]::TEXT[]),
  "hosts" = COALESCE((SELECT array_agg(DISTINCT c->>'host') FROM jsonb_array_elements(
      CASE WHEN jsonb_typeof(analysis->'report'->'compatibility') = 'array' THEN analysis->'report'->'compatibility' ELSE '[]'::jsonb END) c), ARRAY[]::TEXT[])
WHERE "analysis" IS NOT NULL;

UPDATE "plugins" p SET
  "downloads" = COALESCE((SELECT sum(dc.count) FROM "download_counts" dc JOIN "versions" v ON v.id = dc.version_id WHERE v.plugin_id = p.id), 0),
  "released_at" = (SELECT max(v.ready_at) FROM "versions" v WHERE v.plugin_id = p.id AND v.status = 'ready'),
  -- Releases before pre-releases, then by numeric major.minor.patch (the app applies full semver precedence from now on).
  "latest_version_id" = (SELECT v.id FROM "versions" v WHERE v.plugin_id = p.id AND v.status = 'ready'
      ORDER BY (position('-' in split_part(v.version, '+', 1)) = 0) DESC,
               string_to_array(split_part(split_part(v.version, '+', 1), '-', 1), '.')::numeric[] DESC,
               v.version DESC
      LIMIT 1),
  "search_document" = catalog_search_document(n.name, p.name, p.keywords, p.description)
FROM "namespaces" n WHERE n.id = p.namespace_id;
