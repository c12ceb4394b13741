import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database } from '../../db/index.js';
import type { PipelineJob, PipelineStepName, StepState } from '../../versions/index.js';

export type SignatureKind = 'message_signature' | 'attestation';

/** The pipeline's reads and writes: step states, results, the outbox and signing keys (a version's status is its owner's: VersionsRepository). */
@Injectable()
export class PipelineRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  private get prisma() {
    return this.database.prisma;
  }

  // Both upsert: a version published before a step existed (in flight when the registry was upgraded) has no row for it.

  async startStep(versionId: string, step: PipelineStepName, at: Date): Promise<void> {
    await this.prisma.pipelineStep.upsert({
      where: { versionId_step: { versionId, step } },
      update: { state: 'running', attempts: { increment: 1 }, startedAt: at, error: null },
      create: { versionId, step, state: 'running', attempts: 1, startedAt: at },
    });
  }

  async finishStep(versionId: string, step: PipelineStepName, state: Extract<StepState, 'done' | 'failed' | 'pending' | 'skipped'>, at: Date, error: string | null = null): Promise<void> {
    const data = { state, error, finishedAt: state === 'pending' ? null : at };
    await this.prisma.pipelineStep.upsert({ where: { versionId_step: { versionId, step } }, update: data, create: { versionId, step, ...data } });
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

  /**
   * Hands undispatched outbox entries to `dispatch` and marks them dispatched,
   * in one transaction with the rows locked (SKIP LOCKED): several API
   * processes never hand out the same entry, and a failed hand-off leaves it for later
   * (the mark, written first in the same statement as the lock, rolls back with it).
   */
  async dispatchOutbox(limit: number, dispatch: (jobs: PipelineJob[]) => Promise<void>): Promise<number> {
    return this.prisma.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<{ id: bigint; version_id: string; job_id: string; trace_context: Record<string, string> | null }[]>`
        UPDATE outbox SET dispatched_at = ${new Date()}
        WHERE id IN (SELECT id FROM outbox WHERE dispatched_at IS NULL ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
        RETURNING id, version_id::text AS version_id, job_id, trace_context`;
      if (rows.length === 0) return 0;
      // RETURNING keeps no order: jobs go to the queue in the outbox's.
      rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      await dispatch(rows.map((r) => ({ jobId: r.job_id, versionId: r.version_id, traceContext: r.trace_context })));
      return rows.length;
    });
  }

  /** Jobs of versions still pending, for a queue that does not survive a restart (in-process). */
  async pendingJobs(): Promise<PipelineJob[]> {
    const rows = await this.prisma.outboxEntry.findMany({
      where: { version: { status: 'pending' } },
      orderBy: { id: 'desc' },
      distinct: ['versionId'],
      select: { versionId: true, jobId: true, traceContext: true },
    });
    return rows.map((r) => ({ jobId: r.jobId, versionId: r.versionId, traceContext: r.traceContext as Record<string, string> | null }));
  }

  /** Outbox entries not yet handed to the queue, and when the oldest was written (null: none). */
  async outboxBacklog(): Promise<{ entries: number; oldest: Date | null }> {
    const [row] = await this.prisma.$queryRaw<{ entries: bigint; oldest: Date | null }[]>`
      SELECT count(*) AS entries, min(created_at) AS oldest FROM outbox WHERE dispatched_at IS NULL`;
    return { entries: Number(row?.entries ?? 0), oldest: row?.oldest ?? null };
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
