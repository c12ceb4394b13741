-- AlterTable
ALTER TABLE "oci_manifests" ADD COLUMN     "source" TEXT NOT NULL DEFAULT 'registry';

-- CreateTable
CREATE TABLE "oci_uploads" (
    "id" UUID NOT NULL,
    "namespace" TEXT NOT NULL,
    "plugin" TEXT NOT NULL,
    "token_id" TEXT NOT NULL,
    "received" INTEGER NOT NULL DEFAULT 0,
    "chunks" INTEGER NOT NULL DEFAULT 0,
    "chunk_digest" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "oci_uploads_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "oci_pushed_blobs" (
    "namespace" TEXT NOT NULL,
    "plugin" TEXT NOT NULL,
    "digest" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "oci_pushed_blobs_pkey" PRIMARY KEY ("namespace","plugin","digest")
);

-- CreateTable
CREATE TABLE "oci_pushed_manifests" (
    "namespace" TEXT NOT NULL,
    "plugin" TEXT NOT NULL,
    "digest" TEXT NOT NULL,
    "media_type" TEXT NOT NULL,
    "artifact_type" TEXT,
    "subject_digest" TEXT,
    "content" BYTEA NOT NULL,
    "token_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "oci_pushed_manifests_pkey" PRIMARY KEY ("namespace","plugin","digest")
);

-- CreateIndex
CREATE INDEX "oci_uploads_expires_at_idx" ON "oci_uploads"("expires_at");

-- CreateIndex
CREATE INDEX "oci_pushed_blobs_digest_idx" ON "oci_pushed_blobs"("digest");

-- CreateIndex
CREATE INDEX "oci_pushed_blobs_created_at_idx" ON "oci_pushed_blobs"("created_at");

-- CreateIndex
CREATE INDEX "oci_pushed_manifests_namespace_plugin_subject_digest_idx" ON "oci_pushed_manifests"("namespace", "plugin", "subject_digest");
