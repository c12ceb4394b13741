-- DropIndex
DROP INDEX "plugins_name_trgm_idx";

-- AlterTable
ALTER TABLE "plugins" ADD COLUMN     "latest_abi_version" TEXT,
ADD COLUMN     "latest_hosts" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "latest_kind" TEXT,
ADD COLUMN     "latest_languages" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- CreateTable
CREATE TABLE "plugin_names" (
    "name" TEXT NOT NULL,

    CONSTRAINT "plugin_names_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE INDEX "plugin_names_name_trgm_idx" ON "plugin_names" USING GIN ("name" gin_trgm_ops);

-- From now on libs/catalog adds the name whenever it lists a plugin.
INSERT INTO "plugin_names" ("name") SELECT DISTINCT "name" FROM "plugins" ON CONFLICT DO NOTHING;

-- From now on libs/catalog copies these whenever it sets latest_version_id.
UPDATE "plugins" p SET
  "latest_abi_version" = v."abi_version",
  "latest_kind" = v."kind",
  "latest_languages" = v."languages",
  "latest_hosts" = v."hosts"
FROM "versions" v WHERE v.id = p."latest_version_id";

-- After the backfill: building it once is cheaper than updating it row by row.
-- CreateIndex
CREATE INDEX "plugins_filters_idx" ON "plugins"("latest_abi_version", "latest_kind", "categories", "latest_hosts", "latest_languages", "namespace_id", "latest_version_id");
