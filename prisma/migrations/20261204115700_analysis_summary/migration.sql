-- AlterTable
ALTER TABLE "versions" ADD COLUMN     "analysis_summary" JSONB;

-- Versions analysed before this migration: their summary, as summarizeAnalysis
-- (libs/analysis/src/stored-analysis.ts) writes it: at most 5 warnings and 5
-- rejections, messages of at most 1,024 characters, the rest counted.
UPDATE "versions" AS v SET "analysis_summary" = jsonb_build_object(
  'kind', v."analysis" #> '{report,kind}',
  'abiVersion', coalesce(v."analysis" #> '{report,proxyWasm,abiVersion}', 'null'::jsonb),
  'envoyLoads', coalesce(v."analysis" #> '{report,proxyWasm,envoy,loads}', 'null'::jsonb),
  'filterTypes', coalesce(v."analysis" #> '{report,proxyWasm,filterTypes}', '[]'::jsonb),
  'compatibility', (
    SELECT coalesce(jsonb_agg(jsonb_build_object('host', c -> 'host', 'versions', c -> 'versions') ORDER BY n), '[]'::jsonb)
    FROM jsonb_array_elements(coalesce(v."analysis" #> '{report,compatibility}', '[]'::jsonb)) WITH ORDINALITY AS e(c, n)),
  'capabilities', (
    SELECT coalesce(jsonb_agg(c -> 'id' ORDER BY n), '[]'::jsonb)
    FROM jsonb_array_elements(coalesce(v."analysis" #> '{report,capabilities}', '[]'::jsonb)) WITH ORDINALITY AS e(c, n)),
  'warnings', (
    SELECT coalesce(jsonb_agg(CASE WHEN length(f ->> 'message') > 1024 THEN jsonb_set(f, '{message}', to_jsonb(left(f ->> 'message', 1023) || '…')) ELSE f END ORDER BY n), '[]'::jsonb)
    FROM jsonb_array_elements(coalesce(v."analysis" #> '{decision,warnings}', '[]'::jsonb)) WITH ORDINALITY AS e(f, n) WHERE n <= 5),
  'rejections', (
    SELECT coalesce(jsonb_agg(CASE WHEN length(f ->> 'message') > 1024 THEN jsonb_set(f, '{message}', to_jsonb(left(f ->> 'message', 1023) || '…')) ELSE f END ORDER BY n), '[]'::jsonb)
    FROM jsonb_array_elements(coalesce(v."analysis" #> '{decision,reasons}', '[]'::jsonb)) WITH ORDINALITY AS e(f, n) WHERE n <= 5),
  'omitted', jsonb_strip_nulls(jsonb_build_object(
    'warnings', nullif(greatest(jsonb_array_length(coalesce(v."analysis" #> '{decision,warnings}', '[]'::jsonb)) - 5, 0), 0),
    'rejections', nullif(greatest(jsonb_array_length(coalesce(v."analysis" #> '{decision,reasons}', '[]'::jsonb)) - 5, 0), 0))),
  'truncated', coalesce(v."analysis" #> '{report,truncated}', 'false'::jsonb)
)
WHERE v."analysis" IS NOT NULL;

-- Only names the catalog's language filter can match, at most 8 (catalogLanguages in libs/catalog/src/catalog-entries.ts).
UPDATE "versions" SET "languages" = ARRAY(
  SELECT l FROM unnest("languages") WITH ORDINALITY AS u(l, n) WHERE l ~ '^[a-z0-9][a-z0-9+#._-]{0,31}$' ORDER BY n LIMIT 8)
WHERE cardinality("languages") > 8 OR EXISTS (SELECT 1 FROM unnest("languages") AS l WHERE l !~ '^[a-z0-9][a-z0-9+#._-]{0,31}$');

-- A rejection reason once joined every rejecting finding's message (100,000 of them for 100,000 unknown imports).
UPDATE "versions" SET "status_reason" = left("status_reason", 4095) || '…' WHERE length("status_reason") > 4096;
