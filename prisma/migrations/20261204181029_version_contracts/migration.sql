-- CreateTable
CREATE TABLE "version_contracts" (
    "version_id" UUID NOT NULL,
    "source" TEXT NOT NULL,
    "readme" TEXT,
    "readme_html" TEXT,
    "readme_digest" TEXT,
    "config_schema" TEXT,
    "config_schema_dialect" TEXT,
    "config_schema_digest" TEXT,
    "examples" TEXT,
    "example_names" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "examples_digest" TEXT,
    "host_hints" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "version_contracts_pkey" PRIMARY KEY ("version_id")
);

-- AddForeignKey
ALTER TABLE "version_contracts" ADD CONSTRAINT "version_contracts_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
