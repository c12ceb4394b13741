import { Inject, Injectable, Logger } from '@nestjs/common';
import { shorten, decide, rejectionSummary, summarizeAnalysis } from '../../analysis/index.js';
import { catalogLanguages } from '../../catalog/index.js';
import { BLOB_STORE, type BlobStore } from '../../blobs/index.js';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import { AnalysisThreads } from './analysis-threads.js';
import { SbomStep } from './sbom.step.js';
import { contextFromCarrier, inSpan, instruments, SpanKind } from '../../telemetry/index.js';
import { SignatureStep } from './signature.step.js';
import { TrialStep } from './trial.step.js';
import {
  PIPELINE_STEPS,
  type PipelineJob,
  type PipelineStepName,
  formatCoordinates,
  type VersionToProcess,
  VersionsRepository,
  type VersionStore,
} from '../../versions/index.js';
import { PipelineRepository } from './pipeline.repository.js';

/** The steps after which the version is read again: they store what later steps read, or reject. */
const CHANGES_WHAT_LATER_STEPS_READ: ReadonlySet<PipelineStepName> = new Set(['analysis', 'trial']);

/** The steps that read the module. */
const NEEDS_THE_BYTES: ReadonlySet<PipelineStepName> = new Set(['analysis', 'trial', 'signature']);

/** Characters of an error kept in a step's state and the version's status reason. */
const MAX_STEP_ERROR_LENGTH = 2_048;

/**
 * The rules of processing one version: run each step that is not done yet, in
 * order, recording its state; stop at a rejection; mark the version ready
 * when all are done, or failed after the last attempt, whatever failed (a step,
 * or the database while finding or recording one). Every step is idempotent,
 * so a job that runs again after a crash or a retry stores the same results,
 * never second copies.
 */
@Injectable()
export class PipelineService {
  private readonly logger = new Logger('Pipeline');

  constructor(
    @Inject(VersionsRepository) private readonly versions: Pick<VersionStore, 'findToProcess' | 'recordAnalysis' | 'markReady' | 'markFailed'>,
    @Inject(PipelineRepository) private readonly steps: Pick<PipelineRepository, 'startStep' | 'finishStep'>,
    @Inject(SbomStep) private readonly sbom: Pick<SbomStep, 'run'>,
    @Inject(SignatureStep) private readonly signature: Pick<SignatureStep, 'run'>,
    @Inject(TrialStep) private readonly trial: Pick<TrialStep, 'appliesTo' | 'run'>,
    @Inject(AnalysisThreads) private readonly analysis: Pick<AnalysisThreads, 'analyze'>,
    @Inject(BLOB_STORE) private readonly blobs: Pick<BlobStore, 'readAll'>,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  async process(job: PipelineJob, attempt: { number: number; isLastAttempt: boolean }): Promise<void> {
    // A child of the request that published (or retried) the version, in whichever process runs the job.
    const attributes = { 'registry.version.id': job.versionId, 'registry.job.id': job.jobId, 'registry.job.attempt': attempt.number };
    await inSpan('pipeline.process', { kind: SpanKind.CONSUMER, attributes, parent: contextFromCarrier(job.traceContext) }, async () => {
      try {
        await this.run(job, attempt);
      } catch (error) {
        if (attempt.isLastAttempt) await this.failForGood(job.versionId, attempt.number, error);
        throw error;
      }
    });
  }

  /** Best effort: if even this fails (the database is down), the reconciler finds the version pending and lost. */
  private async failForGood(versionId: string, attempts: number, error: unknown): Promise<void> {
    const reason = `processing failed after ${attempts} attempt(s): ${errorMessage(error)}`;
    try {
      if (await this.versions.markFailed(versionId, reason)) {
        settled('failed');
        this.logger.error(`version ${versionId}: ${reason}`);
      }
    } catch (markError) {
      this.logger.error(`version ${versionId} failed for good, and could not be marked failed (${errorMessage(markError)}); the reconciler will find it`);
    }
  }

  private async run(job: PipelineJob, attempt: { number: number; isLastAttempt: boolean }): Promise<void> {
    let version = await this.versions.findToProcess(job.versionId);
    if (version === null || version.status !== 'pending') return;
    const name = formatCoordinates(version);
    // Read from storage at most once per job: the analysis, the trial and the signature all need the bytes.
    const { digest, size } = version;
    let module: Promise<Uint8Array> | null = null;
    const readModule = (): Promise<Uint8Array> => (module ??= this.blobs.readAll(digest, size));
    for (const step of PIPELINE_STEPS) {
      const state = version.steps.find((s) => s.step === step)?.state;
      if (state === 'done' || state === 'skipped') continue;
      if (!this.applies(step, version)) {
        await this.steps.finishStep(version.id, step, 'skipped', new Date());
        continue;
      }
      // Started before the step's state is written, so that the read and the write overlap.
      if (NEEDS_THE_BYTES.has(step)) readModule().catch(() => undefined);
      await this.steps.startStep(version.id, step, new Date());
      const started = performance.now();
      try {
        const current = version;
        await inSpan(`pipeline.${step}`, { attributes: { 'registry.pipeline.step': step, 'registry.version.id': version.id } }, () => this.runStep(step, current, readModule));
        stepDuration(step, 'done', started);
      } catch (error) {
        stepDuration(step, 'error', started);
        // Shown with the version in every view: an error may quote what the publisher sent.
        const message = errorMessage(error);
        await this.steps.finishStep(version.id, step, attempt.isLastAttempt ? 'failed' : 'pending', new Date(), message);
        if (attempt.isLastAttempt) {
          if (await this.versions.markFailed(version.id, `${step} failed after ${attempt.number} attempt(s): ${message}`)) settled('failed');
          this.logger.error(`${name}: ${step} failed for good: ${message}`);
        } else {
          this.logger.warn(`${name}: ${step} failed (attempt ${attempt.number}), will retry: ${message}`);
        }
        throw error;
      }
      await this.steps.finishStep(version.id, step, 'done', new Date());
      // Later steps read what the analysis stored, and the analysis or the trial may reject the version,
      // which ends the run. The SBOM and the signature change neither (markReady checks the status itself):
      // reading the version again after them only cost time.
      if (!CHANGES_WHAT_LATER_STEPS_READ.has(step)) continue;
      const next = await this.versions.findToProcess(job.versionId);
      if (next === null) return;
      version = next;
      if (version.status !== 'pending') {
        if (version.status === 'rejected') settled('rejected');
        this.logger.warn(`${name} ${version.status}: ${version.statusReason ?? ''}`);
        return;
      }
    }
    if (await this.versions.markReady(version.id, new Date())) {
      settled('ready');
      this.logger.log(`${name} ready`);
    }
  }

  /** A step that does not apply to this version is skipped, never started. */
  private applies(step: PipelineStepName, version: VersionToProcess): boolean {
    return step !== 'trial' || this.trial.appliesTo(version);
  }

  private async runStep(step: PipelineStepName, version: VersionToProcess, readModule: () => Promise<Uint8Array>): Promise<void> {
    switch (step) {
      case 'analysis':
        return this.analyse(version, await readModule());
      case 'trial':
        return this.trial.run(version, await readModule());
      case 'sbom':
        return this.sbom.run(version);
      case 'signature':
        return this.signature.run(version, await readModule());
    }
  }

  private async analyse(version: VersionToProcess, bytes: Uint8Array): Promise<void> {
    // Copied, not transferred, to the worker thread: the signature step signs these same bytes.
    const report = await this.analysis.analyze(bytes);
    const decision = decide(report.findings, this.config.analysis.policy);
    await this.versions.recordAnalysis(
      version.id,
      {
        analysis: { report, decision },
        summary: summarizeAnalysis({ report, decision }),
        kind: report.kind,
        abiVersion: report.proxyWasm?.abiVersion ?? null,
        languages: catalogLanguages(report.producers),
        hosts: [...new Set(report.compatibility.map((c) => c.host))],
        rejectedBecause: decision.status === 'rejected' ? rejectionSummary(decision) : null,
      },
      new Date(),
    );
  }
}

function stepDuration(step: PipelineStepName, outcome: 'done' | 'error', started: number): void {
  instruments().pipelineStepDuration.record((performance.now() - started) / 1000, { 'registry.pipeline.step': step, 'registry.pipeline.outcome': outcome });
}

function settled(status: 'ready' | 'rejected' | 'failed'): void {
  instruments().versionsSettled.add(1, { 'registry.version.status': status });
}

/** An error as a step's state and the version's status reason keep it: shortened. */
function errorMessage(error: unknown): string {
  return shorten(error instanceof Error ? error.message : String(error), MAX_STEP_ERROR_LENGTH);
}
