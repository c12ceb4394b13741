import type { AnalysisSummary, StoredAnalysis } from '../../analysis/index.js';
import { Prisma } from '../../db/index.js';
import { NO_HOST_HINTS, type ContractSource, type HostHints, type SchemaDialect } from '../../contract/index.js';
import type { PluginMetadata } from '../../domain/index.js';
import type { TrialFindingCode } from '../../sandbox/index.js';
import type { VersionCoordinates, VersionRecord, VersionStatus } from './version.js';

/**
 * A VersionRecord read in one statement. Prisma's `include` costs one statement
 * per relation (version, plugin, namespace, contract, trial: five), and on PGlite,
 * whose one session answers statements in turn, the pipeline waited behind each
 * of them (issue 18). The record is the same as toVersionRecord builds; a test
 * compares the two (apps/version-lifecycle.test.ts).
 */

type Reader = Pick<Prisma.TransactionClient, '$queryRaw'>;

interface VersionRecordRow {
  id: string;
  namespace_name: string;
  plugin_name: string;
  version: string;
  digest: string;
  size: number;
  status: VersionStatus;
  status_reason: string | null;
  created_at: Date;
  ready_at: Date | null;
  kind: string | null;
  abi_version: string | null;
  analysis_summary: unknown;
  analyzed_at: Date | null;
  yanked_at: Date | null;
  yank_reason: string | null;
  yank_advisory_id: string | null;
  first_downloaded_at: Date | null;
  has_contract: boolean;
  c_source: string | null;
  c_readme_digest: string | null;
  c_config_schema_digest: string | null;
  c_config_schema_dialect: string | null;
  c_example_names: string[] | null;
  c_examples_digest: string | null;
  c_host_hints: unknown;
  has_trial: boolean;
  t_started: boolean | null;
  t_configurations_accepted: number | null;
  t_configurations_tried: number | null;
  t_findings: string[] | null;
  t_median_micros: number | null;
  t_p95_micros: number | null;
  t_created_at: Date | null;
}

// The enum is read as text, and the contract's and trial's columns are prefixed: both tables have version_id and created_at.
const RECORD_COLUMNS = Prisma.sql`
  v.id::text AS id, n.name AS namespace_name, p.name AS plugin_name, v.version, v.digest, v.size, v.status::text AS status,
  v.status_reason, v.created_at, v.ready_at, v.kind, v.abi_version, v.analysis_summary, v.analyzed_at, v.yanked_at,
  v.yank_reason, v.yank_advisory_id, v.first_downloaded_at,
  c.version_id IS NOT NULL AS has_contract, c.source AS c_source, c.readme_digest AS c_readme_digest,
  c.config_schema_digest AS c_config_schema_digest, c.config_schema_dialect AS c_config_schema_dialect,
  c.example_names AS c_example_names, c.examples_digest AS c_examples_digest, c.host_hints AS c_host_hints,
  t.version_id IS NOT NULL AS has_trial, t.started AS t_started, t.configurations_accepted AS t_configurations_accepted,
  t.configurations_tried AS t_configurations_tried, t.findings AS t_findings, t.median_micros AS t_median_micros,
  t.p95_micros AS t_p95_micros, t.created_at AS t_created_at`;

const RECORD_FROM = Prisma.sql`
  FROM versions v
  JOIN plugins p ON p.id = v.plugin_id
  JOIN namespaces n ON n.id = p.namespace_id
  LEFT JOIN version_contracts c ON c.version_id = v.id
  LEFT JOIN version_trials t ON t.version_id = v.id`;

function toRecord(row: VersionRecordRow): VersionRecord {
  return {
    id: row.id,
    namespace: row.namespace_name,
    plugin: row.plugin_name,
    version: row.version,
    digest: row.digest,
    size: row.size,
    status: row.status,
    statusReason: row.status_reason,
    createdAt: row.created_at,
    readyAt: row.ready_at,
    kind: row.kind,
    abiVersion: row.abi_version,
    analysisSummary: (row.analysis_summary ?? null) as AnalysisSummary | null,
    analyzedAt: row.analyzed_at,
    yankedAt: row.yanked_at,
    yankReason: row.yank_reason,
    yankAdvisoryId: row.yank_advisory_id,
    firstDownloadedAt: row.first_downloaded_at,
    contract: row.has_contract
      ? {
          source: row.c_source as ContractSource,
          readmeDigest: row.c_readme_digest,
          configSchemaDigest: row.c_config_schema_digest,
          configSchemaDialect: row.c_config_schema_dialect as SchemaDialect | null,
          exampleNames: row.c_example_names ?? [],
          examplesDigest: row.c_examples_digest,
          hostHints: { ...NO_HOST_HINTS, ...(row.c_host_hints as Partial<HostHints>) },
        }
      : null,
    trial: row.has_trial
      ? {
          started: row.t_started!,
          configurationsAccepted: row.t_configurations_accepted!,
          configurationsTried: row.t_configurations_tried!,
          findings: (row.t_findings ?? []) as TrialFindingCode[],
          medianMicros: row.t_median_micros,
          p95Micros: row.t_p95_micros,
          triedAt: row.t_created_at!,
        }
      : null,
  };
}

/** A version by id, with the caller's client (a hook reads it in the transaction that changed it). */
export async function readVersionRecord(client: Reader, versionId: string): Promise<VersionRecord | null> {
  const [row] = await client.$queryRaw<VersionRecordRow[]>`SELECT ${RECORD_COLUMNS} ${RECORD_FROM} WHERE v.id = ${versionId}::uuid`;
  return row === undefined ? null : toRecord(row);
}

/** A version by its coordinates. */
export async function readVersionRecordAt(client: Reader, version: VersionCoordinates): Promise<VersionRecord | null> {
  const [row] = await client.$queryRaw<VersionRecordRow[]>`
    SELECT ${RECORD_COLUMNS} ${RECORD_FROM}
    WHERE n.name = ${version.namespace} AND p.name = ${version.plugin} AND v.version = ${version.version}`;
  return row === undefined ? null : toRecord(row);
}

/** What the pipeline needs beside the record: the plugin's metadata, the stored analysis, the declared dependencies. */
export interface VersionToProcessRow {
  record: VersionRecord;
  metadata: PluginMetadata;
  analysis: StoredAnalysis | null;
  declaredDependencies: unknown;
}

export async function readVersionToProcess(client: Reader, versionId: string): Promise<VersionToProcessRow | null> {
  const [row] = await client.$queryRaw<
    (VersionRecordRow & {
      p_description: string;
      p_license: string | null;
      p_homepage: string | null;
      p_repository: string | null;
      p_keywords: string[];
      p_categories: string[];
      analysis: unknown;
      declared_dependencies: unknown;
    })[]
  >`
    SELECT ${RECORD_COLUMNS},
      p.description AS p_description, p.license AS p_license, p.homepage AS p_homepage, p.repository AS p_repository,
      p.keywords AS p_keywords, p.categories AS p_categories, v.analysis, v.declared_dependencies
    ${RECORD_FROM}
    WHERE v.id = ${versionId}::uuid`;
  if (row === undefined) return null;
  return {
    record: toRecord(row),
    metadata: {
      description: row.p_description,
      license: row.p_license,
      homepage: row.p_homepage,
      repository: row.p_repository,
      keywords: row.p_keywords,
      categories: row.p_categories,
    },
    analysis: (row.analysis ?? null) as StoredAnalysis | null,
    declaredDependencies: row.declared_dependencies ?? null,
  };
}

/** A version's coordinates by id; null when it is gone. */
export async function readCoordinates(client: Reader, versionId: string): Promise<VersionCoordinates | null> {
  const [row] = await client.$queryRaw<VersionCoordinates[]>`
    SELECT n.name AS namespace, p.name AS plugin, v.version
    FROM versions v JOIN plugins p ON p.id = v.plugin_id JOIN namespaces n ON n.id = p.namespace_id
    WHERE v.id = ${versionId}::uuid`;
  return row ?? null;
}
