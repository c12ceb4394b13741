-- AlterTable
ALTER TABLE "versions" ADD COLUMN     "abi_version" TEXT,
ADD COLUMN     "analysis" JSONB,
ADD COLUMN     "analyzed_at" TIMESTAMPTZ(3),
ADD COLUMN     "kind" TEXT;
