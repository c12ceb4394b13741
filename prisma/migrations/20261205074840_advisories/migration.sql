-- AlterTable
ALTER TABLE "versions" ADD COLUMN     "yank_advisory_id" TEXT;

-- CreateTable
CREATE TABLE "advisories" (
    "id" TEXT NOT NULL,
    "plugin_id" UUID NOT NULL,
    "summary" TEXT NOT NULL,
    "details" TEXT NOT NULL DEFAULT '',
    "severity_vector" TEXT NOT NULL,
    "severity_score" DOUBLE PRECISION NOT NULL,
    "affected" JSONB NOT NULL,
    "aliases" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "references" JSONB NOT NULL DEFAULT '[]',
    "credits" JSONB NOT NULL DEFAULT '[]',
    "published_at" TIMESTAMPTZ(3) NOT NULL,
    "modified_at" TIMESTAMPTZ(3) NOT NULL,
    "withdrawn_at" TIMESTAMPTZ(3),
    "withdrawn_reason" TEXT,

    CONSTRAINT "advisories_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "advisory_affected_versions" (
    "advisory_id" TEXT NOT NULL,
    "version_id" UUID NOT NULL,

    CONSTRAINT "advisory_affected_versions_pkey" PRIMARY KEY ("advisory_id","version_id")
);

-- CreateIndex
CREATE INDEX "advisories_modified_at_id_idx" ON "advisories"("modified_at", "id");

-- CreateIndex
CREATE INDEX "advisories_plugin_id_idx" ON "advisories"("plugin_id");

-- CreateIndex
CREATE INDEX "advisory_affected_versions_version_id_idx" ON "advisory_affected_versions"("version_id");

-- AddForeignKey
ALTER TABLE "versions" ADD CONSTRAINT "versions_yank_advisory_id_fkey" FOREIGN KEY ("yank_advisory_id") REFERENCES "advisories"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "advisories" ADD CONSTRAINT "advisories_plugin_id_fkey" FOREIGN KEY ("plugin_id") REFERENCES "plugins"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "advisory_affected_versions" ADD CONSTRAINT "advisory_affected_versions_advisory_id_fkey" FOREIGN KEY ("advisory_id") REFERENCES "advisories"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "advisory_affected_versions" ADD CONSTRAINT "advisory_affected_versions_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
