-- AlterTable
ALTER TABLE "versions" ADD COLUMN     "first_downloaded_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "deleted_versions" (
    "plugin_id" UUID NOT NULL,
    "version" TEXT NOT NULL,
    "digest" TEXT NOT NULL,
    "deleted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,

    CONSTRAINT "deleted_versions_pkey" PRIMARY KEY ("plugin_id","version")
);

-- AddForeignKey
ALTER TABLE "deleted_versions" ADD CONSTRAINT "deleted_versions_plugin_id_fkey" FOREIGN KEY ("plugin_id") REFERENCES "plugins"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Backfill: a version with any counted download was downloaded, at the latest on its first counted day.
UPDATE "versions" v SET "first_downloaded_at" = d.first_day
FROM (SELECT "version_id", min("day")::timestamptz AS first_day FROM "download_counts" WHERE "count" > 0 GROUP BY "version_id") d
WHERE v."id" = d."version_id" AND v."first_downloaded_at" IS NULL;

-- Backfill: numbers deleted before this migration are burned too, unless they were published again
-- meanwhile (that version stays). The latest deletion of a number is the one recorded.
INSERT INTO "deleted_versions" ("plugin_id", "version", "digest", "deleted_at", "actor")
SELECT DISTINCT ON (p."id", e."version") p."id", e."version", e."details"->>'digest', e."at", e."actor"
FROM "audit_events" e
JOIN "namespaces" n ON n."name" = e."namespace"
JOIN "plugins" p ON p."namespace_id" = n."id" AND p."name" = e."plugin"
WHERE e."action" = 'version.deleted' AND e."version" IS NOT NULL AND e."details" ? 'digest'
  AND NOT EXISTS (SELECT 1 FROM "versions" v WHERE v."plugin_id" = p."id" AND v."version" = e."version")
ORDER BY p."id", e."version", e."at" DESC
ON CONFLICT DO NOTHING;
