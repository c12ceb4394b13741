import type { StepState } from '../../db/index.js';

/**
 * The steps every published version goes through, in order. Their names are
 * the names of what they produce, as in the API: …/analysis, …/trial, …/sbom, …/signature.
 * The trial runs what the analysis read (and is skipped for what is not a Proxy-Wasm module);
 * the SBOM comes before signing because the signed attestation carries it. A version published
 * before a step existed has no row for it: the pipeline creates it when it gets there.
 */
export const PIPELINE_STEPS = ['analysis', 'trial', 'sbom', 'signature'] as const;

export type PipelineStepName = (typeof PIPELINE_STEPS)[number];

export type { StepState };

export interface StepStatus {
  step: PipelineStepName;
  state: StepState;
  attempts: number;
  error: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** A queue job processes one version; retries of the same version get a new job id. */
export interface PipelineJob {
  jobId: string;
  versionId: string;
  /** The trace context of the request that asked for this round (TraceCarrier), when tracing. */
  traceContext?: Record<string, string> | null;
}

/** Round 1 is the publish; each retry or re-dispatch of lost work is the next round. */
export const jobIdFor = (versionId: string, round: number): string => `version-${versionId}-${round}`;
