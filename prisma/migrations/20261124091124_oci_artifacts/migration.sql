-- CreateTable
CREATE TABLE "oci_manifests" (
    "digest" TEXT NOT NULL,
    "version_id" UUID NOT NULL,
    "media_type" TEXT NOT NULL,
    "artifact_type" TEXT NOT NULL,
    "subject_digest" TEXT,
    "content" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "oci_manifests_pkey" PRIMARY KEY ("version_id","digest")
);

-- CreateTable
CREATE TABLE "oci_blobs" (
    "digest" TEXT NOT NULL,
    "media_type" TEXT NOT NULL,
    "content" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "oci_blobs_pkey" PRIMARY KEY ("digest")
);

-- CreateIndex
CREATE INDEX "oci_manifests_digest_idx" ON "oci_manifests"("digest");

-- CreateIndex
CREATE INDEX "oci_manifests_subject_digest_idx" ON "oci_manifests"("subject_digest");

-- AddForeignKey
ALTER TABLE "oci_manifests" ADD CONSTRAINT "oci_manifests_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
