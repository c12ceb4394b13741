-- CreateEnum
CREATE TYPE "outbox_origin" AS ENUM ('publish', 'retry', 'reconcile');

-- AlterTable
ALTER TABLE "outbox" ADD COLUMN     "origin" "outbox_origin" NOT NULL DEFAULT 'publish';
