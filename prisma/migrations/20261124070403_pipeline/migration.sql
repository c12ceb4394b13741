-- CreateEnum
CREATE TYPE "step_state" AS ENUM ('pending', 'running', 'done', 'failed', 'skipped');

-- AlterEnum
ALTER TYPE "version_status" ADD VALUE 'failed';

-- AlterTable
ALTER TABLE "versions" ADD COLUMN     "declared_dependencies" JSONB;

-- CreateTable
CREATE TABLE "outbox" (
    "id" BIGSERIAL NOT NULL,
    "version_id" UUID NOT NULL,
    "job_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "dispatched_at" TIMESTAMPTZ(3),

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "pipeline_steps" (
    "version_id" UUID NOT NULL,
    "step" TEXT NOT NULL,
    "state" "step_state" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "pipeline_steps_pkey" PRIMARY KEY ("version_id","step")
);

-- CreateTable
CREATE TABLE "signatures" (
    "version_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "bundle" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "signatures_pkey" PRIMARY KEY ("version_id","kind")
);

-- CreateTable
CREATE TABLE "sboms" (
    "version_id" UUID NOT NULL,
    "json" JSONB NOT NULL,
    "xml" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sboms_pkey" PRIMARY KEY ("version_id")
);

-- CreateTable
CREATE TABLE "signing_keys" (
    "key_id" TEXT NOT NULL,
    "algorithm" TEXT NOT NULL,
    "public_key_pem" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "signing_keys_pkey" PRIMARY KEY ("key_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "outbox_job_id_key" ON "outbox"("job_id");

-- CreateIndex
CREATE INDEX "outbox_dispatched_at_id_idx" ON "outbox"("dispatched_at", "id");

-- AddForeignKey
ALTER TABLE "outbox" ADD CONSTRAINT "outbox_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pipeline_steps" ADD CONSTRAINT "pipeline_steps_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "signatures" ADD CONSTRAINT "signatures_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sboms" ADD CONSTRAINT "sboms_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
