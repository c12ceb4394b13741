import type { AnalysisSummary, StoredAnalysis } from '../../analysis/index.js';
import type { VersionStatus } from '../../db/index.js';
import type { ContractSource, HostHints, SchemaDialect } from '../../contract/index.js';
import type { PluginMetadata } from '../../domain/index.js';
import type { TrialFindingCode } from '../../sandbox/index.js';
import type { StepStatus } from './pipeline-steps.js';

export type { VersionStatus };

/** Which version: the one name for `namespace/plugin@version` everywhere. */
export interface VersionCoordinates {
  namespace: string;
  plugin: string;
  version: string;
}

export const formatCoordinates = (v: VersionCoordinates): string => `${v.namespace}/${v.plugin}@${v.version}`;

/** A version as every reader sees it. */
export interface VersionRecord extends VersionCoordinates {
  id: string;
  digest: string;
  size: number;
  status: VersionStatus;
  statusReason: string | null;
  createdAt: Date;
  readyAt: Date | null;
  kind: string | null;
  abiVersion: string | null;
  /** The analysis in brief; the report itself is read on its own (findAnalysis), never with lists. */
  analysisSummary: AnalysisSummary | null;
  analyzedAt: Date | null;
  yankedAt: Date | null;
  yankReason: string | null;
  /** The advisory named when yanking; null when none. */
  yankAdvisoryId: string | null;
  firstDownloadedAt: Date | null;
  /** What the publisher gave beside the module, in brief (digests and hints); null when nothing. */
  contract: ContractSummary | null;
  /** The trial in the Proxy-Wasm sandbox, in brief; the trace is read on its own (findTrial). Null until run, or skipped. */
  trial: TrialSummary | null;
}

/** A version's trial as lists and pages show it. */
export interface TrialSummary {
  /** Linked, started and (if it has one) proxy_on_vm_start returned true. */
  started: boolean;
  configurationsAccepted: number;
  configurationsTried: number;
  findings: TrialFindingCode[];
  /** CPU time per synthetic request in the sandbox; null when not measured (it never got to traffic). */
  medianMicros: number | null;
  p95Micros: number | null;
  triedAt: Date;
}

/** A version's contract as lists and pages show it; the documents themselves are read with findContractDocuments. */
export interface ContractSummary {
  source: ContractSource;
  readmeDigest: string | null;
  configSchemaDigest: string | null;
  configSchemaDialect: SchemaDialect | null;
  exampleNames: string[];
  examplesDigest: string | null;
  hostHints: HostHints;
}

/** The contract's documents, exactly as stored and served. */
export interface ContractDocuments {
  readme: string | null;
  readmeHtml: string | null;
  configSchema: string | null;
  examples: string | null;
}

/** A version with what the pipeline needs to process it. */
export interface VersionToProcess extends VersionRecord {
  metadata: PluginMetadata;
  analysis: StoredAnalysis | null;
  declaredDependencies: unknown;
  steps: StepStatus[];
}

/** A version number an admin deleted: burned, never published again. */
export interface DeletedVersionRecord {
  digest: string;
  deletedAt: Date;
}
