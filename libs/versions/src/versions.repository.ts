import { Inject, Injectable } from '@nestjs/common';
import { currentTraceCarrier } from '../../telemetry/index.js';
import type { AnalysisSummary, StoredAnalysis } from '../../analysis/index.js';
import { DATABASE, type Database, Prisma, transaction } from '../../db/index.js';
import { latestOf, PIPELINE_ACTOR, type AuditActor } from '../../domain/index.js';
import { jobIdFor, PIPELINE_STEPS, type StepState, type StepStatus } from './pipeline-steps.js';
import { NO_HOST_HINTS, type ContractSource, type HostHints, type SchemaDialect, type VersionContract } from '../../contract/index.js';
import type { TrialFindingCode, TrialTrace } from '../../sandbox/index.js';
import type { ContractDocuments, ContractSummary, DeletedVersionRecord, TrialSummary, VersionCoordinates, VersionRecord, VersionToProcess } from './version.js';
import { VERSION_HOOKS, type PushedImageManifest, type VersionChange, type VersionLifecycleHook } from './version-hooks.js';
import { lockDigest, lockNamespacePluginCount, lockPluginRow, lockPluginRowOfVersion, lockVersion, tryLockVersion } from './version-locks.js';
import { readCoordinates, readVersionRecord, readVersionRecordAt, readVersionToProcess } from './version-rows.js';

const contractSummarySelect = {
  source: true,
  readmeDigest: true,
  configSchemaDigest: true,
  configSchemaDialect: true,
  exampleNames: true,
  examplesDigest: true,
  hostHints: true,
} as const;
const trialSummarySelect = {
  started: true,
  configurationsAccepted: true,
  configurationsTried: true,
  findings: true,
  medianMicros: true,
  p95Micros: true,
  createdAt: true,
} as const;
const versionInclude = {
  plugin: { select: { name: true, namespace: { select: { name: true } } } },
  contract: { select: contractSummarySelect },
  // The summary columns only: a trace is read on its own (findTrial).
  trial: { select: trialSummarySelect },
} as const;
// Neither is part of a VersionRecord, and both may be large: the report (a few hundred KiB; the
// analysis endpoints read it with findAnalysis) and the declared dependencies (20,000 packages, 5 MiB).
const versionOmit = { analysis: true, declaredDependencies: true } as const;
/** How to read a VersionRecord as part of another query (a plugin's latest version). */
export const versionRecordQuery = { include: versionInclude, omit: versionOmit } as const;
type VersionRow = Prisma.VersionGetPayload<{ include: typeof versionInclude; omit: typeof versionOmit }>;

export const toVersionRecord = (row: VersionRow): VersionRecord => ({
  id: row.id,
  namespace: row.plugin.namespace.name,
  plugin: row.plugin.name,
  version: row.version,
  digest: row.digest,
  size: row.size,
  status: row.status,
  statusReason: row.statusReason,
  createdAt: row.createdAt,
  readyAt: row.readyAt,
  kind: row.kind,
  abiVersion: row.abiVersion,
  analysisSummary: row.analysisSummary as AnalysisSummary | null,
  analyzedAt: row.analyzedAt,
  yankedAt: row.yankedAt,
  yankReason: row.yankReason,
  yankAdvisoryId: row.yankAdvisoryId,
  firstDownloadedAt: row.firstDownloadedAt,
  contract: row.contract === null ? null : toContractSummary(row.contract),
  trial: row.trial === null ? null : toTrialSummary(row.trial),
});

function toTrialSummary(row: Prisma.VersionTrialGetPayload<{ select: typeof trialSummarySelect }>): TrialSummary {
  return {
    started: row.started,
    configurationsAccepted: row.configurationsAccepted,
    configurationsTried: row.configurationsTried,
    findings: row.findings as TrialFindingCode[],
    medianMicros: row.medianMicros,
    p95Micros: row.p95Micros,
    triedAt: row.createdAt,
  };
}

function toContractSummary(row: Prisma.VersionContractGetPayload<{ select: typeof contractSummarySelect }>): ContractSummary {
  return {
    source: row.source as ContractSource,
    readmeDigest: row.readmeDigest,
    configSchemaDigest: row.configSchemaDigest,
    configSchemaDialect: row.configSchemaDialect as SchemaDialect | null,
    exampleNames: row.exampleNames,
    examplesDigest: row.examplesDigest,
    hostHints: { ...NO_HOST_HINTS, ...(row.hostHints as Partial<HostHints>) },
  };
}

/**
 * A version by id, read with the caller's client: a lifecycle hook reads the
 * version in the transaction that changed it.
 */
export async function findVersionById(client: Pick<Prisma.TransactionClient, '$queryRaw'>, versionId: string): Promise<VersionRecord | null> {
  return readVersionRecord(client, versionId);
}

/**
 * The plugin's latest version, the highest ready one not yanked (pre-releases
 * only when nothing else is), read with the caller's client: the catalog
 * refreshes its entry in the transaction that changed a version.
 */
export async function findLatestVersionId(client: Pick<Prisma.TransactionClient, 'version'>, pluginId: string): Promise<string | null> {
  const candidates = await client.version.findMany({ where: { pluginId, status: 'ready', yankedAt: null }, select: { id: true, version: true, readyAt: true } });
  return latestOf(candidates)?.id ?? null;
}

/** Enough for the versions in flight in one process; the oldest is forgotten first. */
const REMEMBERED_COORDINATES = 1_000;

const byCoordinates = (v: VersionCoordinates) => ({ version: v.version, plugin: { name: v.plugin, namespace: { name: v.namespace } } });

/** Why a change did not happen; the service turns each into a problem. */
/** `advisory_not_found`: a yank named an advisory that is not one of the plugin's. */
export type VersionRefusal = 'not_found' | 'not_ready' | 'pending' | 'downloaded' | 'advisory_not_found';

export interface DeletedVersion {
  digest: string;
  /** True when no other version uses the digest: its blob record is gone and the object may be removed. */
  blobOrphaned: boolean;
}

export interface AnalysisOutcome {
  analysis: StoredAnalysis;
  summary: AnalysisSummary;
  kind: string;
  abiVersion: string | null;
  languages: string[];
  hosts: string[];
  /** Why the policy rejects the version; null when it passes. */
  rejectedBecause: string | null;
}

export interface TrialOutcome {
  trace: TrialTrace;
  summary: Omit<TrialSummary, 'triedAt'>;
  /** Why the policy rejects the version for what the trial found; null when it passes. */
  rejectedBecause: string | null;
}

/** A version whose latest round was handed to the queue and is still pending. */
export interface DispatchedRound {
  versionId: string;
  jobId: string;
  dispatchedAt: Date;
}

export type ReconcileOutcome = 'redispatched' | 'gave_up' | 'skipped';

export interface NewVersion {
  pluginId: string;
  version: string;
  digest: string;
  size: number;
  /** Where the blob's object is stored; its blob row is inserted unless it exists. */
  storageKey: string;
  declaredDependencies: object | null;
  /** README, schema, examples and host hints, checked; null when the publisher gave none. */
  contract: VersionContract | null;
  /** The image manifest an OCI push created the version from; absent for an HTTP publish. */
  pushedManifest?: PushedImageManifest | null;
}

/**
 * What services need of the owner of a version's life: the interface they
 * depend on, so that their tests hand them an in-memory stand-in.
 */
export interface VersionStore {
  findVersion(version: VersionCoordinates): Promise<VersionRecord | null>;
  findToProcess(versionId: string): Promise<VersionToProcess | null>;
  findContractDocuments(versionId: string): Promise<ContractDocuments | null>;
  recordAnalysis(versionId: string, outcome: AnalysisOutcome, at: Date): Promise<void>;
  findTrial(versionId: string): Promise<{ trace: TrialTrace; triedAt: Date } | null>;
  recordTrial(versionId: string, outcome: TrialOutcome, at: Date): Promise<void>;
  markReady(versionId: string, at: Date): Promise<boolean>;
  markFailed(versionId: string, reason: string): Promise<boolean>;
  retry(version: VersionCoordinates, actor: AuditActor): Promise<VersionRecord | 'not_found' | 'ready'>;
  setYanked(version: VersionCoordinates, yank: { reason: string; advisoryId: string | null } | null, actor: AuditActor, at: Date): Promise<VersionRecord | VersionRefusal>;
  delete(version: VersionCoordinates, actor: AuditActor): Promise<DeletedVersion | VersionRefusal>;
  removeObjectUnlessRecorded(digest: string, remove: () => Promise<void>): Promise<void>;
  findDispatchedRounds(dispatchedBefore: Date, limit: number): Promise<DispatchedRound[]>;
  redispatchLost(round: DispatchedRound, maxRounds: number): Promise<ReconcileOutcome>;
}

/**
 * The owner of the `versions` table and of a version's life: creating it (with
 * its blob row, steps and outbox entry), every change of its status, yanking
 * and deleting. Each change is one transaction that follows the lock protocol
 * (version-locks.ts), runs the lifecycle hooks (catalog, OCI, audit, caches)
 * before it commits, and is run again when it loses a deadlock.
 */
@Injectable()
export class VersionsRepository implements VersionStore {
  /**
   * Coordinates of versions changed or processed lately, by id: they never change and an id is never
   * reused, so a change of a version the pipeline just read takes its locks without reading them again.
   * A version deleted since is found gone under its locks (lockedRow), as before.
   */
  private readonly coordinates = new Map<string, VersionCoordinates>();

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(VERSION_HOOKS) private readonly hooks: readonly VersionLifecycleHook[],
  ) {}

  private get prisma() {
    return this.database.prisma;
  }

  /**
   * Runs `work` in one transaction, from the start again if it loses a deadlock:
   * `work` must be safe to run twice (its writes are rolled back; its side effects
   * outside the database must be idempotent).
   */
  transaction<T>(work: (tx: VersionTransaction) => Promise<T>): Promise<T> {
    // Publishing may move a large object in storage while the transaction is open.
    return transaction(this.prisma, (tx) => work(new VersionTransaction(tx, this.hooks)), { maxWait: 30_000, timeout: 120_000 });
  }

  // Reads.

  async findVersion(version: VersionCoordinates): Promise<VersionRecord | null> {
    return readVersionRecordAt(this.prisma, version);
  }

  async findVersionById(versionId: string): Promise<VersionRecord | null> {
    return findVersionById(this.prisma, versionId);
  }

  /** The ready version (yanked or not) with this number, or null: what is served by version. */
  async findReadyVersion(pluginId: string, version: string): Promise<VersionRecord | null> {
    const row = await this.prisma.version.findFirst({ where: { pluginId, version, status: 'ready' }, ...versionRecordQuery });
    return row === null ? null : toVersionRecord(row);
  }

  /** The numbers of the plugin's ready versions, yanked included (pinned pulls keep working). */
  async readyVersionNumbers(pluginId: string): Promise<string[]> {
    const rows = await this.prisma.version.findMany({ where: { pluginId, status: 'ready' }, select: { version: true } });
    return rows.map((r) => r.version);
  }

  async listVersions(pluginId: string): Promise<VersionRecord[]> {
    return (await this.prisma.version.findMany({ where: { pluginId }, ...versionRecordQuery })).map(toVersionRecord);
  }

  /** The first version published with these bytes: downloads by digest are counted for it. */
  async findFirstVersionWithDigest(digest: string): Promise<VersionRecord | null> {
    const row = await this.prisma.version.findFirst({ where: { digest }, ...versionRecordQuery, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    return row === null ? null : toVersionRecord(row);
  }

  /** The plugin's first ready version with these bytes: OCI pulls of a layer are counted for it, as downloads by digest are. */
  async findFirstReadyVersionWithDigest(pluginId: string, digest: string): Promise<VersionRecord | null> {
    const row = await this.prisma.version.findFirst({ where: { pluginId, digest, status: 'ready' }, ...versionRecordQuery, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    return row === null ? null : toVersionRecord(row);
  }

  /** When this version number was deleted (it is never published again), or null. */
  async findDeletedVersion(version: VersionCoordinates): Promise<DeletedVersionRecord | null> {
    return this.prisma.deletedVersion.findFirst({ where: byCoordinates(version), select: { digest: true, deletedAt: true } });
  }

  /** A version's stored analysis, report and all; null until analysed. */
  async findAnalysis(versionId: string): Promise<StoredAnalysis | null> {
    const row = await this.prisma.version.findUnique({ where: { id: versionId }, select: { analysis: true } });
    return (row?.analysis ?? null) as StoredAnalysis | null;
  }

  /** A version's README, schema and examples as stored; null when it has no contract. */
  async findContractDocuments(versionId: string): Promise<ContractDocuments | null> {
    return this.prisma.versionContract.findUnique({
      where: { versionId },
      select: { readme: true, readmeHtml: true, configSchema: true, examples: true },
    });
  }

  /** A version's stored trial trace; null until its trial ran (or when it was skipped). */
  async findTrial(versionId: string): Promise<{ trace: TrialTrace; triedAt: Date } | null> {
    const row = await this.prisma.versionTrial.findUnique({ where: { versionId }, select: { trace: true, createdAt: true } });
    return row === null ? null : { trace: row.trace as unknown as TrialTrace, triedAt: row.createdAt };
  }

  async findToProcess(versionId: string): Promise<VersionToProcess | null> {
    // Two statements, not seven: the job reads this before its first step and after the analysis and the trial.
    const [row, steps] = await Promise.all([readVersionToProcess(this.prisma, versionId), this.prisma.pipelineStep.findMany({ where: { versionId } })]);
    if (row === null) return null;
    this.rememberCoordinates(versionId, row.record);
    return { ...row.record, metadata: row.metadata, analysis: row.analysis, declaredDependencies: row.declaredDependencies, steps: sortSteps(steps) };
  }

  async stepStatuses(versionIds: readonly string[]): Promise<Map<string, StepStatus[]>> {
    const rows = await this.prisma.pipelineStep.findMany({ where: { versionId: { in: [...versionIds] } } });
    const byVersion = new Map<string, StepStatus[]>();
    for (const id of versionIds) byVersion.set(id, sortSteps(rows.filter((r) => r.versionId === id)));
    return byVersion;
  }

  // Changes of status, each one transaction.

  /** Stores the analysis; a version the policy rejects leaves `pending` here, with the rest of its steps skipped. */
  async recordAnalysis(versionId: string, outcome: AnalysisOutcome, at: Date): Promise<void> {
    await this.change(versionId, async (tx, row) => {
      await tx.client.version.update({
        where: { id: versionId },
        data: {
          analysis: outcome.analysis as object,
          analysisSummary: outcome.summary as object,
          kind: outcome.kind,
          abiVersion: outcome.abiVersion,
          analyzedAt: at,
          languages: outcome.languages,
          hosts: outcome.hosts,
        },
      });
      if (outcome.rejectedBecause === null || row.status !== 'pending') return;
      await tx.client.version.update({ where: { id: versionId }, data: { status: 'rejected', statusReason: outcome.rejectedBecause } });
      await tx.client.pipelineStep.updateMany({ where: { versionId, step: { not: 'analysis' }, state: { not: 'done' } }, data: { state: 'skipped', finishedAt: at } });
      await tx.changed('rejected', row, PIPELINE_ACTOR, { digest: row.digest, reason: outcome.rejectedBecause });
    });
  }

  /**
   * Stores the trial; the first trace stored is kept (a re-run after a crash stores nothing new).
   * A version the policy rejects for what the trial found leaves `pending` here, as with the analysis.
   */
  async recordTrial(versionId: string, outcome: TrialOutcome, at: Date): Promise<void> {
    await this.change(versionId, async (tx, row) => {
      const { count } = await tx.client.versionTrial.createMany({
        data: [{ versionId, trace: outcome.trace as unknown as Prisma.InputJsonValue, ...outcome.summary, createdAt: at }],
        skipDuplicates: true,
      });
      if (count === 0 || outcome.rejectedBecause === null || row.status !== 'pending') return;
      await tx.client.version.update({ where: { id: versionId }, data: { status: 'rejected', statusReason: outcome.rejectedBecause } });
      await tx.client.pipelineStep.updateMany({ where: { versionId, step: { notIn: ['analysis', 'trial'] }, state: { not: 'done' } }, data: { state: 'skipped', finishedAt: at } });
      await tx.changed('rejected', row, PIPELINE_ACTOR, { digest: row.digest, reason: outcome.rejectedBecause });
    });
  }

  /** Ready, and in the catalog and over OCI (the hooks), in one transaction. False when it was not pending. */
  async markReady(versionId: string, at: Date): Promise<boolean> {
    const marked = await this.change(versionId, async (tx, row) => {
      if (row.status !== 'pending') return false;
      await tx.client.version.update({ where: { id: versionId }, data: { status: 'ready', readyAt: at, statusReason: null } });
      await tx.changed('ready', row, PIPELINE_ACTOR, { digest: row.digest });
      return true;
    });
    return marked ?? false;
  }

  /** False when it was not pending (another run finished it). */
  async markFailed(versionId: string, reason: string): Promise<boolean> {
    const marked = await this.change(versionId, async (tx, row) => {
      if (row.status !== 'pending') return false;
      await tx.markFailed(row, reason);
      return true;
    });
    return marked ?? false;
  }

  /**
   * Runs a version that is not ready through the pipeline again: pending (its
   * work may be lost), failed, or rejected (the policy may have changed; its
   * analysis and trial run again). Its unfinished steps start over and a new round goes
   * to the outbox. Returns the version, pending.
   */
  async retry(version: VersionCoordinates, actor: AuditActor): Promise<VersionRecord | 'not_found' | 'ready'> {
    const id = await this.idOf(version);
    if (id === null) return 'not_found';
    const retried = await this.change(id, async (tx, row) => {
      if (row.status === 'ready') return 'ready' as const;
      const rejected = row.status === 'rejected';
      await tx.client.version.update({
        where: { id },
        data: {
          status: 'pending',
          statusReason: null,
          ...(rejected ? { analysis: Prisma.DbNull, analysisSummary: Prisma.DbNull, kind: null, abiVersion: null, analyzedAt: null, languages: [], hosts: [] } : {}),
        },
      });
      // Judged again too: the trial's findings may have been what the policy rejected.
      if (rejected) await tx.client.versionTrial.deleteMany({ where: { versionId: id } });
      const unfinished: StepState[] = rejected ? ['done', 'skipped', 'failed', 'running', 'pending'] : ['failed', 'running', 'pending'];
      await tx.client.pipelineStep.updateMany({
        where: { versionId: id, state: { in: unfinished } },
        data: { state: 'pending', attempts: 0, error: null, startedAt: null, finishedAt: null },
      });
      await tx.addRound(id, 'retry');
      await tx.changed('retried', row, actor, {});
      return 'retried' as const;
    });
    if (retried === undefined) return 'not_found';
    if (retried === 'ready') return 'ready';
    return (await this.findVersion(version)) ?? 'not_found';
  }

  /**
   * Yanks (reason given) or un-yanks (reason null) a ready version; returns it as committed, so
   * that the answer needs no read after the commit.
   */
  async setYanked(version: VersionCoordinates, yank: { reason: string; advisoryId: string | null } | null, actor: AuditActor, at: Date): Promise<VersionRecord | VersionRefusal> {
    const id = await this.idOf(version);
    if (id === null) return 'not_found';
    const outcome = await this.change(id, async (tx, row): Promise<VersionRecord | VersionRefusal> => {
      if (row.status !== 'ready') return 'not_ready';
      if (yank?.advisoryId != null) {
        const advisory = await tx.client.advisory.findUnique({ where: { id: yank.advisoryId }, select: { pluginId: true } });
        if (advisory === null || advisory.pluginId !== row.pluginId) return 'advisory_not_found';
      }
      // Yanking twice keeps the first time and reason; un-yanking twice is a no-op.
      if ((yank !== null) !== (row.yankedAt !== null)) {
        await tx.client.version.update({
          where: { id },
          data: yank === null ? { yankedAt: null, yankReason: null, yankAdvisoryId: null } : { yankedAt: at, yankReason: yank.reason, yankAdvisoryId: yank.advisoryId },
        });
        if (yank === null) await tx.changed('unyanked', row, actor, { digest: row.digest });
        else await tx.changed('yanked', row, actor, { digest: row.digest, reason: yank.reason, ...(yank.advisoryId !== null ? { advisory: yank.advisoryId } : {}) });
      }
      return (await readVersionRecord(tx.client, id))!;
    });
    return outcome ?? 'not_found';
  }

  /**
   * Deletes a version nobody can have pinned: never downloaded (by version or
   * by digest, in any process: the mark is written before any byte goes out)
   * and not being processed. Its number is burned (deleted_versions), its counts,
   * steps, signatures and SBOM go with it; the hooks keep its digest in the
   * audit log and tell every API process to drop what it cached.
   */
  async delete(version: VersionCoordinates, actor: AuditActor): Promise<DeletedVersion | VersionRefusal> {
    const id = await this.idOf(version);
    if (id === null) return 'not_found';
    const result = await this.change(
      id,
      async (tx, row): Promise<DeletedVersion | VersionRefusal> => {
        if (row.status === 'pending') return 'pending';
        // The row lock makes a concurrent first download wait: it either marked the version before
        // (read here) or finds the row gone after the commit and answers 404.
        const [locked] = await tx.client.$queryRaw<{ firstDownloadedAt: Date | null }[]>`
          SELECT first_downloaded_at AS "firstDownloadedAt" FROM versions WHERE id = ${id}::uuid FOR UPDATE`;
        if (locked === undefined) return 'not_found';
        if (locked.firstDownloadedAt !== null) return 'downloaded';
        const downloads = await tx.client.downloadCount.aggregate({ where: { versionId: id }, _sum: { count: true } });
        if ((downloads._sum.count ?? 0) > 0) return 'downloaded';
        await tx.client.version.delete({ where: { id } });
        const othersWithDigest = await tx.client.version.count({ where: { digest: row.digest } });
        if (othersWithDigest === 0) await tx.client.blob.delete({ where: { digest: row.digest } });
        await tx.client.deletedVersion.create({ data: { pluginId: row.pluginId, version: row.version, digest: row.digest, actor: actor.name } });
        await tx.changed('deleted', row, actor, { digest: row.digest, size: row.size, status: row.status, yanked: row.yankedAt !== null });
        return { digest: row.digest, blobOrphaned: othersWithDigest === 0 };
      },
      { lockDigest: true },
    );
    return result ?? 'not_found';
  }

  /**
   * Runs `remove` (which deletes the object) under the digest's lock unless a
   * blob row points at the digest: a publish of the same bytes may have
   * recorded it meanwhile. After a failed publish, and after a delete.
   */
  async removeObjectUnlessRecorded(digest: string, remove: () => Promise<void>): Promise<void> {
    await transaction(this.prisma, async (tx) => {
      await lockDigest(tx, digest);
      // An OCI push keeps its layers under the same content-addressed keys as modules.
      if ((await tx.blob.count({ where: { digest } })) === 0 && (await tx.ociPushedBlob.count({ where: { digest } })) === 0) await remove();
    });
  }

  // The download mark: a version once downloaded may be pinned somewhere, so it is never deleted (see delete).

  /**
   * Marks a version as downloaded (first_downloaded_at) unless it is already.
   * False when the version is gone: a delete that locked its row first has
   * committed, and nothing of it may be served. Once marked, a version cannot be
   * deleted (the delete locks the row and reads the mark), so true stays true.
   * One statement that locks only the version's row, outside the lock protocol.
   */
  async markFirstDownloaded(versionId: string): Promise<boolean> {
    const marked = await this.prisma.$queryRaw<{ id: string }[]>`
      UPDATE versions SET first_downloaded_at = now() WHERE id = ${versionId}::uuid AND first_downloaded_at IS NULL RETURNING id`;
    if (marked.length > 0) return true;
    // Not updated: already marked (by another process), or deleted. A new statement sees which.
    return (await this.prisma.version.count({ where: { id: versionId } })) > 0;
  }

  /** Marks every version with these bytes, as a download by digest does; false when no version has them any more. */
  async markFirstDownloadedByDigest(digest: string): Promise<boolean> {
    const marked = await this.prisma.$queryRaw<{ id: string }[]>`
      UPDATE versions SET first_downloaded_at = now() WHERE digest = ${digest} AND first_downloaded_at IS NULL RETURNING id`;
    if (marked.length > 0) return true;
    return (await this.prisma.version.count({ where: { digest } })) > 0;
  }

  // The reconciler's.

  /** Pending versions whose latest round was handed to the queue before `dispatchedBefore`, oldest first. */
  async findDispatchedRounds(dispatchedBefore: Date, limit: number): Promise<DispatchedRound[]> {
    const rows = await this.prisma.$queryRaw<{ version_id: string; job_id: string; dispatched_at: Date }[]>`
      SELECT version_id, job_id, dispatched_at FROM (
        SELECT DISTINCT ON (o.version_id) o.version_id, o.job_id, o.dispatched_at
        FROM outbox o JOIN versions v ON v.id = o.version_id
        WHERE v.status = 'pending'
        ORDER BY o.version_id, o.id DESC
      ) latest
      WHERE dispatched_at IS NOT NULL AND dispatched_at < ${dispatchedBefore}
      ORDER BY dispatched_at
      LIMIT ${limit}`;
    return rows.map((r) => ({ versionId: r.version_id, jobId: r.job_id, dispatchedAt: r.dispatched_at }));
  }

  /**
   * The queue lost the work of `round` (its job is gone, or failed for good
   * while the version stayed pending): puts a new round in the outbox, or marks
   * the version failed once `maxRounds` rounds in a row were lost. Skipped when
   * another process holds the version (it may be doing the same) or the version
   * moved on since `round` was read, so no round is ever dispatched twice.
   */
  async redispatchLost(round: DispatchedRound, maxRounds: number): Promise<ReconcileOutcome> {
    const coordinates = await this.coordinatesOf(round.versionId);
    if (coordinates === null) return 'skipped';
    return transaction(this.prisma, async (client) => {
      if (!(await tryLockVersion(client, coordinates))) return 'skipped';
      const tx = new VersionTransaction(client, this.hooks);
      const row = await tx.lockedRow(round.versionId);
      if (row === null || row.status !== 'pending') return 'skipped';
      const rounds = await client.outboxEntry.findMany({ where: { versionId: round.versionId }, orderBy: { id: 'desc' }, select: { jobId: true, origin: true } });
      if (rounds[0]?.jobId !== round.jobId) return 'skipped';
      // This round and the reconciler's rounds before it, back to the publish or an admin's retry.
      const reconciled = rounds.findIndex((r) => r.origin !== 'reconcile');
      const lost = (reconciled === -1 ? rounds.length - 1 : reconciled) + 1;
      if (lost >= maxRounds) {
        await tx.markFailed(row, `the pipeline's work was lost ${lost} time(s) in a row (its queued job disappeared or failed for good); an admin can retry it`);
        return 'gave_up';
      }
      await tx.addRound(round.versionId, 'reconcile');
      return 'redispatched';
    });
  }

  // The lock protocol for changing an existing version.

  private async idOf(version: VersionCoordinates): Promise<string | null> {
    return (await this.prisma.version.findFirst({ where: byCoordinates(version), select: { id: true } }))?.id ?? null;
  }

  private async coordinatesOf(versionId: string): Promise<VersionCoordinates | null> {
    const known = this.coordinates.get(versionId);
    if (known !== undefined) return known;
    const read = await readCoordinates(this.prisma, versionId);
    if (read !== null) this.rememberCoordinates(versionId, read);
    return read;
  }

  private rememberCoordinates(versionId: string, coordinates: VersionCoordinates): void {
    if (this.coordinates.size >= REMEMBERED_COORDINATES) this.coordinates.delete(this.coordinates.keys().next().value!);
    this.coordinates.set(versionId, { namespace: coordinates.namespace, plugin: coordinates.plugin, version: coordinates.version });
  }

  /**
   * Runs `work` on the version in one transaction, its locks taken in the
   * protocol's order: the version, its digest (if asked), its plugin row, then
   * the version row read again. Undefined when the version is gone (deleted).
   */
  private async change<T>(versionId: string, work: (tx: VersionTransaction, row: LockedVersion) => Promise<T>, options: { lockDigest?: boolean } = {}): Promise<T | undefined> {
    // A version's coordinates and digest never change, so they are read before the locks.
    const coordinates = await this.coordinatesOf(versionId);
    if (coordinates === null) return undefined;
    return transaction(this.prisma, async (client) => {
      await lockVersion(client, coordinates);
      const tx = new VersionTransaction(client, this.hooks);
      if (options.lockDigest) {
        const digest = await client.version.findUnique({ where: { id: versionId }, select: { digest: true } });
        if (digest === null) return undefined;
        await lockDigest(client, digest.digest);
      }
      const row = await tx.lockedRow(versionId);
      return row === null ? undefined : work(tx, row);
    });
  }
}

/** The version row a change works on, read under its plugin's row lock. */
export interface LockedVersion extends VersionCoordinates {
  id: string;
  pluginId: string;
  digest: string;
  size: number;
  status: VersionRecord['status'];
  yankedAt: Date | null;
}

/**
 * Writes that run inside a transaction someone opened through the owner (a
 * publish). Its lock methods are the protocol's steps; call them in order.
 */
export class VersionTransaction {
  constructor(
    readonly client: Prisma.TransactionClient,
    private readonly hooks: readonly VersionLifecycleHook[],
  ) {}

  lockVersion(version: VersionCoordinates): Promise<void> {
    return lockVersion(this.client, version);
  }

  lockDigest(digest: string): Promise<void> {
    return lockDigest(this.client, digest);
  }

  lockNamespacePluginCount(namespace: string): Promise<void> {
    return lockNamespacePluginCount(this.client, namespace);
  }

  /** Before any version row of the plugin is written. */
  lockPlugin(pluginId: string): Promise<void> {
    return lockPluginRow(this.client, pluginId);
  }

  async findVersion(pluginId: string, version: string): Promise<VersionRecord | null> {
    const row = await this.client.version.findUnique({ where: { pluginId_version: { pluginId, version } }, ...versionRecordQuery });
    return row === null ? null : toVersionRecord(row);
  }

  async findDeletedVersion(pluginId: string, version: string): Promise<DeletedVersionRecord | null> {
    return this.client.deletedVersion.findUnique({ where: { pluginId_version: { pluginId, version } }, select: { digest: true, deletedAt: true } });
  }

  /** Whether the plugin may get one more version; call with the plugin row locked (lockPlugin), which serialises the count. */
  async mayAddVersion(pluginId: string, max: number): Promise<boolean> {
    return (await this.client.version.count({ where: { pluginId } })) < max;
  }

  async blobExists(digest: string): Promise<boolean> {
    return (await this.client.blob.count({ where: { digest } })) > 0;
  }

  /**
   * Records a new version: its blob row (unless there is one), the version, its
   * pipeline steps and its first outbox entry, so that the work to do commits
   * with the version or not at all. Call with the version, digest and plugin locked.
   */
  async create(actor: AuditActor, input: NewVersion): Promise<VersionRecord> {
    await this.client.blob.createMany({ data: [{ digest: input.digest, size: input.size, storageKey: input.storageKey }], skipDuplicates: true });
    // Flat inserts: after a nested create, Prisma reads the row back in a statement of its own.
    const { id } = await this.client.version.create({
      data: { pluginId: input.pluginId, version: input.version, digest: input.digest, size: input.size, declaredDependencies: input.declaredDependencies ?? undefined },
      select: { id: true },
    });
    await this.client.pipelineStep.createMany({ data: PIPELINE_STEPS.map((step) => ({ versionId: id, step })) });
    if (input.contract) await this.client.versionContract.createMany({ data: [{ versionId: id, ...contractRow(input.contract) }] });
    // A new version has no round yet: the first needs no count.
    await this.addRound(id, 'publish', 0);
    // The catalog entry is refreshed when the version becomes ready: a pending version changes nothing search shows.
    await this.client.plugin.update({ where: { id: input.pluginId }, data: { updatedAt: new Date() } });
    const record = (await readVersionRecord(this.client, id))!;
    await this.changed('published', { ...record, pluginId: input.pluginId }, actor, {
      digest: record.digest,
      size: record.size,
      ...(input.pushedManifest ? { manifestDigest: input.pushedManifest.digest } : {}),
    }, input.pushedManifest ?? null);
    return record;
  }

  /** @internal The version row, after taking its plugin's row lock (the protocol's step 4). */
  async lockedRow(versionId: string): Promise<LockedVersion | null> {
    if (!(await lockPluginRowOfVersion(this.client, versionId))) return null;
    // Read after the lock, in a statement of its own: it sees what the transactions that held the lock committed.
    const [row] = await this.client.$queryRaw<LockedVersion[]>`
      SELECT v.id::text AS id, v.plugin_id::text AS "pluginId", v.version, v.digest, v.size, v.status::text AS status,
        v.yanked_at AS "yankedAt", n.name AS namespace, p.name AS plugin
      FROM versions v JOIN plugins p ON p.id = v.plugin_id JOIN namespaces n ON n.id = p.namespace_id
      WHERE v.id = ${versionId}::uuid`;
    return row ?? null;
  }

  /** @internal */
  async markFailed(row: LockedVersion, reason: string): Promise<void> {
    await this.client.version.update({ where: { id: row.id }, data: { status: 'failed', statusReason: reason } });
    await this.changed('failed', row, PIPELINE_ACTOR, { digest: row.digest, reason });
  }

  /** @internal A new round of the pipeline for the version, through the outbox. */
  async addRound(versionId: string, origin: 'publish' | 'retry' | 'reconcile', roundsBefore?: number): Promise<void> {
    const rounds = roundsBefore ?? (await this.client.outboxEntry.count({ where: { versionId } }));
    // The trace of what asked for the round rides with it to whichever process runs the job.
    const traceContext = currentTraceCarrier();
    await this.client.outboxEntry.create({ data: { versionId, jobId: jobIdFor(versionId, rounds + 1), origin, ...(traceContext === null ? {} : { traceContext }) } });
  }

  /** @internal Runs the hooks, in order, in this transaction. */
  async changed(
    kind: VersionChange['kind'],
    version: VersionChange['version'],
    actor: AuditActor,
    details: Record<string, unknown>,
    pushedManifest: PushedImageManifest | null = null,
  ): Promise<void> {
    const change: VersionChange = {
      kind,
      version: { id: version.id, pluginId: version.pluginId, namespace: version.namespace, plugin: version.plugin, version: version.version, digest: version.digest },
      actor,
      details,
      ...(pushedManifest !== null ? { pushedManifest } : {}),
    };
    for (const hook of this.hooks) await hook.onVersionChange(this.client, change);
  }
}

function sortSteps(rows: { step: string; state: StepState; attempts: number; error: string | null; startedAt: Date | null; finishedAt: Date | null }[]): StepStatus[] {
  return PIPELINE_STEPS.flatMap((step) => {
    const row = rows.find((r) => r.step === step);
    return row ? [{ step, state: row.state, attempts: row.attempts, error: row.error, startedAt: row.startedAt, finishedAt: row.finishedAt }] : [];
  });
}

function contractRow(contract: VersionContract): Omit<Prisma.VersionContractCreateManyInput, 'versionId'> {
  return {
    source: contract.source,
    readme: contract.readme?.markdown ?? null,
    readmeHtml: contract.readme?.html ?? null,
    readmeDigest: contract.readme?.digest ?? null,
    configSchema: contract.configSchema?.json ?? null,
    configSchemaDialect: contract.configSchema?.dialect ?? null,
    configSchemaDigest: contract.configSchema?.digest ?? null,
    examples: contract.examples?.json ?? null,
    exampleNames: contract.examples?.names ?? [],
    examplesDigest: contract.examples?.digest ?? null,
    hostHints: contract.hostHints as unknown as Prisma.InputJsonValue,
  };
}
