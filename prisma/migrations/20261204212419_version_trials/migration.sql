-- CreateTable
CREATE TABLE "version_trials" (
    "version_id" UUID NOT NULL,
    "trace" JSONB NOT NULL,
    "started" BOOLEAN NOT NULL,
    "configurations_accepted" INTEGER NOT NULL,
    "configurations_tried" INTEGER NOT NULL,
    "findings" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "median_micros" DOUBLE PRECISION,
    "p95_micros" DOUBLE PRECISION,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "version_trials_pkey" PRIMARY KEY ("version_id")
);

-- AddForeignKey
ALTER TABLE "version_trials" ADD CONSTRAINT "version_trials_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
