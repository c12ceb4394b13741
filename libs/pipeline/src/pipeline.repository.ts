import { Inject, Injectable } from '@nestjs/common';
import type { AnalysisSummary, StoredAnalysis } from '../../analysis/index.js';
import { PIPELINE_ACTOR, type AuditActor, writeAuditEvent } from '../../audit/index.js';
import { catalogLanguages, refreshCatalogEntry } from '../../catalog/index.js';
import { storeOciArtifacts } from '../../oci/index.js';
import { DATABASE, type Database } from '../../db/index.js';
import type { PluginMetadata } from '../../domain/index.js';
import { jobIdFor, PIPELINE_STEPS, type PipelineJob, type PipelineStepName, type StepState, type StepStatus } from './pipeline-steps.js';

/** What the pipeline needs to know about a version to process it. */
export interface VersionToProcess {
  id: string;
  namespace: string;
  plugin: string;
  version: string;
  digest: string;
  size: number;
  status: 'pending' | 'ready' | 'rejected' | 'failed';
  statusReason: string | null;
  createdAt: Date;
  metadata: PluginMetadata;
  analysis: StoredAnalysis | null;
  declaredDependencies: unknown;
  steps: StepStatus[];
}

export type SignatureKind = 'message_signature' | 'attestation';

/** The pipeline's reads and writes: steps, results, status, the outbox and signing keys. */
@Injectable()
export class PipelineRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  private get prisma() {
    return this.database.prisma;
  }

  async findVersion(versionId: string): Promise<VersionToProcess | null> {
    const row = await this.prisma.version.findUnique({
      where: { id: versionId },
      include: { plugin: { include: { namespace: true } }, steps: true },
    });
    if (row === null) return null;
    const { plugin } = row;
    return {
      id: row.id,
      namespace: plugin.namespace.name,
      plugin: plugin.name,
      version: row.version,
      digest: row.digest,
      size: row.size,
      status: row.status,
      statusReason: row.statusReason,
      createdAt: row.createdAt,
      metadata: {
        description: plugin.description,
        license: plugin.license,
        homepage: plugin.homepage,
        repository: plugin.repository,
        keywords: plugin.keywords,
        categories: plugin.categories,
      },
      analysis: row.analysis as StoredAnalysis | null,
      declaredDependencies: row.declaredDependencies,
      steps: sortSteps(row.steps),
    };
  }

  async stepStatuses(versionIds: readonly string[]): Promise<Map<string, StepStatus[]>> {
    const rows = await this.prisma.pipelineStep.findMany({ where: { versionId: { in: [...versionIds] } } });
    const byVersion = new Map<string, StepStatus[]>();
    for (const id of versionIds) byVersion.set(id, sortSteps(rows.filter((r) => r.versionId === id)));
    return byVersion;
  }

  async startStep(versionId: string, step: PipelineStepName, at: Date): Promise<void> {
    await this.prisma.pipelineStep.update({
      where: { versionId_step: { versionId, step } },
      data: { state: 'running', attempts: { increment: 1 }, startedAt: at, error: null },
    });
  }

  async finishStep(versionId: string, step: PipelineStepName, state: Extract<StepState, 'done' | 'failed' | 'pending' | 'skipped'>, at: Date, error: string | null = null): Promise<void> {
    await this.prisma.pipelineStep.update({
      where: { versionId_step: { versionId, step } },
      data: { state, error, finishedAt: state === 'pending' ? null : at },
    });
  }

  /** Stores the analysis; a rejected version leaves `pending` here, with the rest of its steps skipped. */
  async recordAnalysis(
    versionId: string,
    outcome: { analysis: StoredAnalysis; summary: AnalysisSummary; kind: string; abiVersion: string | null; rejectedBecause: string | null },
    at: Date,
  ): Promise<void> {
    const { report } = outcome.analysis;
    await this.prisma.$transaction(async (tx) => {
      const row = await tx.version.update({
        where: { id: versionId },
        data: {
          analysis: outcome.analysis as object,
          analysisSummary: outcome.summary as object,
          kind: outcome.kind,
          abiVersion: outcome.abiVersion,
          analyzedAt: at,
          languages: catalogLanguages(report.producers),
          hosts: [...new Set(report.compatibility.map((c) => c.host))],
        },
        include: versionNames,
      });
      if (outcome.rejectedBecause !== null) {
        const { count } = await tx.version.updateMany({ where: { id: versionId, status: 'pending' }, data: { status: 'rejected', statusReason: outcome.rejectedBecause } });
        await tx.pipelineStep.updateMany({ where: { versionId, step: { not: 'analysis' }, state: { not: 'done' } }, data: { state: 'skipped', finishedAt: at } });
        if (count === 1) {
          await writeAuditEvent(tx, { action: 'version.rejected', actor: PIPELINE_ACTOR, ...coordinates(row), details: { digest: row.digest, reason: outcome.rejectedBecause } });
        }
      }
    });
  }

  async findSbom(versionId: string): Promise<{ json: unknown; xml: string } | null> {
    return this.prisma.sbom.findUnique({ where: { versionId }, select: { json: true, xml: true } });
  }

  /** Keeps the first SBOM stored for a version: re-running the step never replaces it. */
  async saveSbom(versionId: string, sbom: { json: object; xml: string }): Promise<void> {
    await this.prisma.sbom.createMany({ data: [{ versionId, json: sbom.json, xml: sbom.xml }], skipDuplicates: true });
  }

  async findSignatures(versionId: string): Promise<{ kind: SignatureKind; keyId: string; bundle: unknown; createdAt: Date }[]> {
    const rows = await this.prisma.signature.findMany({ where: { versionId }, orderBy: { kind: 'asc' } });
    return rows.map((r) => ({ kind: r.kind as SignatureKind, keyId: r.keyId, bundle: r.bundle, createdAt: r.createdAt }));
  }

  /** Keeps the first bundle of each kind: signatures are randomised, so a re-run must not store a second one. */
  async saveSignatures(versionId: string, signatures: { kind: SignatureKind; keyId: string; bundle: object }[]): Promise<void> {
    await this.prisma.signature.createMany({ data: signatures.map((s) => ({ versionId, ...s })), skipDuplicates: true });
  }

  /** Ready, and in the catalog: the plugin's latest version is recomputed in the same transaction. */
  async markReady(versionId: string, at: Date): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.version.updateMany({ where: { id: versionId, status: 'pending' }, data: { status: 'ready', readyAt: at, statusReason: null } });
      if (count === 0) return false;
      const row = await tx.version.findUniqueOrThrow({ where: { id: versionId }, include: versionNames });
      await refreshCatalogEntry(tx, row.pluginId);
      // Served over OCI from now on: its manifests are written once, with the version's final state.
      await storeOciArtifacts(tx, versionId);
      await writeAuditEvent(tx, { action: 'version.ready', actor: PIPELINE_ACTOR, ...coordinates(row), details: { digest: row.digest } });
      return true;
    });
  }

  async markFailed(versionId: string, reason: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.version.updateMany({ where: { id: versionId, status: 'pending' }, data: { status: 'failed', statusReason: reason } });
      if (count === 0) return;
      const row = await tx.version.findUniqueOrThrow({ where: { id: versionId }, include: versionNames });
      await writeAuditEvent(tx, { action: 'version.failed', actor: PIPELINE_ACTOR, ...coordinates(row), details: { digest: row.digest, reason } });
    });
  }

  /**
   * Puts a failed version back to pending with its unfinished steps reset, and
   * queues a new job for it, in one transaction. False when it is not failed.
   */
  async requeueFailed(versionId: string, actor: AuditActor): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.version.updateMany({ where: { id: versionId, status: 'failed' }, data: { status: 'pending', statusReason: null } });
      if (count === 0) return false;
      const row = await tx.version.findUniqueOrThrow({ where: { id: versionId }, include: versionNames });
      await writeAuditEvent(tx, { action: 'version.retried', actor, ...coordinates(row) });
      await tx.pipelineStep.updateMany({ where: { versionId, state: { in: ['failed', 'running', 'pending'] } }, data: { state: 'pending', attempts: 0, error: null, startedAt: null, finishedAt: null } });
      const rounds = await tx.outboxEntry.count({ where: { versionId } });
      await tx.outboxEntry.create({ data: { versionId, jobId: jobIdFor(versionId, rounds + 1) } });
      return true;
    });
  }

  /**
   * Hands undispatched outbox entries to `dispatch` and marks them dispatched,
   * in one transaction with the rows locked (SKIP LOCKED): several API
   * processes never hand out the same entry, and a failed hand-off leaves it for later.
   */
  async dispatchOutbox(limit: number, dispatch: (jobs: PipelineJob[]) => Promise<void>): Promise<number> {
    return this.prisma.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<{ id: bigint; version_id: string; job_id: string }[]>`
        SELECT id, version_id, job_id FROM outbox WHERE dispatched_at IS NULL ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
      if (rows.length === 0) return 0;
      await dispatch(rows.map((r) => ({ jobId: r.job_id, versionId: r.version_id })));
      await tx.outboxEntry.updateMany({ where: { id: { in: rows.map((r) => r.id) } }, data: { dispatchedAt: new Date() } });
      return rows.length;
    });
  }

  /** Jobs of versions still pending, for a queue that does not survive a restart (in-process). */
  async pendingJobs(): Promise<PipelineJob[]> {
    const rows = await this.prisma.outboxEntry.findMany({
      where: { version: { status: 'pending' } },
      orderBy: { id: 'desc' },
      distinct: ['versionId'],
      select: { versionId: true, jobId: true },
    });
    return rows.map((r) => ({ jobId: r.jobId, versionId: r.versionId }));
  }

  async undispatchedCount(): Promise<number> {
    return this.prisma.outboxEntry.count({ where: { dispatchedAt: null } });
  }

  async registerSigningKey(key: { keyId: string; algorithm: string; publicKeyPem: string }): Promise<void> {
    await this.prisma.signingKey.createMany({ data: [key], skipDuplicates: true });
  }

  async signingKeys(): Promise<{ keyId: string; algorithm: string; publicKeyPem: string; createdAt: Date }[]> {
    return this.prisma.signingKey.findMany({ orderBy: { createdAt: 'asc' } });
  }
}

const versionNames = { plugin: { select: { name: true, namespace: { select: { name: true } } } } } as const;

function coordinates(row: { version: string; plugin: { name: string; namespace: { name: string } } }): { namespace: string; plugin: string; version: string } {
  return { namespace: row.plugin.namespace.name, plugin: row.plugin.name, version: row.version };
}

function sortSteps(rows: { step: string; state: StepState; attempts: number; error: string | null; startedAt: Date | null; finishedAt: Date | null }[]): StepStatus[] {
  return PIPELINE_STEPS.flatMap((step) => {
    const row = rows.find((r) => r.step === step);
    return row ? [{ step, state: row.state, attempts: row.attempts, error: row.error, startedAt: row.startedAt, finishedAt: row.finishedAt }] : [];
  });
}
