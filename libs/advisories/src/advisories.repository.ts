import { Inject, Injectable } from '@nestjs/common';
import semver from 'semver';
import { type AuditActor, writeAuditEvent } from '../../audit/index.js';
import { DATABASE, type Database, Prisma, transaction } from '../../db/index.js';
import { lockPluginRow } from '../../versions/index.js';
import { recordWebhookEvent, type WebhookEventInput } from '../../webhooks/index.js';
import type { AdvisoryContent, AdvisoryCredit, AdvisoryReference } from './advisory.js';
import { isAffected, type AffectedRange } from './affected-ranges.js';
import { ratingOf, type Severity } from './cvss.js';

/** An advisory as stored, with its plugin's name and the published versions it affects. */
export interface AdvisoryRecord extends AdvisoryContent {
  id: string;
  pluginId: string;
  namespace: string;
  plugin: string;
  publishedAt: Date;
  modifiedAt: Date;
  withdrawnAt: Date | null;
  withdrawnReason: string | null;
  /** Versions of the plugin inside the ranges, lowest first; none while withdrawn. */
  affectedVersions: string[];
}

/** An advisory as lists, badges and scans show it beside a version. */
export interface AdvisoryBrief {
  id: string;
  summary: string;
  severity: Pick<Severity, 'score' | 'rating'>;
  affected: AffectedRange[];
}

export type AdvisoryRefusal = 'not_found' | 'withdrawn';

export interface FeedQuery {
  modifiedSince: Date | null;
  /** Keyset: strictly after this (modified, id). */
  after: { modifiedAt: Date; id: string } | null;
  limit: number;
}

const include = {
  plugin: { select: { name: true, namespace: { select: { name: true } } } },
  affectedVersions: { select: { version: { select: { version: true } } } },
} as const;
type AdvisoryRow = Prisma.AdvisoryGetPayload<{ include: typeof include }>;

type Writer = Prisma.TransactionClient;

/**
 * The owner of advisories and of which versions they affect. Every change is
 * one transaction with its audit event, under the plugin row's lock, which a
 * publish holds too: a version published while an advisory changes is matched
 * by one or the other, never by neither.
 */
@Injectable()
export class AdvisoriesRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  async find(id: string): Promise<AdvisoryRecord | null> {
    const row = await this.database.prisma.advisory.findUnique({ where: { id }, include });
    return row === null ? null : toRecord(row);
  }

  /** The plugin's id, or null when there is none. */
  async findPluginId(namespace: string, plugin: string): Promise<string | null> {
    const row = await this.database.prisma.plugin.findFirst({ where: { name: plugin, namespace: { name: namespace } }, select: { id: true } });
    return row?.id ?? null;
  }

  /** Every advisory of a plugin, withdrawn ones too, newest first. */
  async listForPlugin(pluginId: string): Promise<AdvisoryRecord[]> {
    const rows = await this.database.prisma.advisory.findMany({ where: { pluginId }, include, orderBy: [{ publishedAt: 'desc' }, { id: 'desc' }] });
    return rows.map(toRecord);
  }

  /** All advisories by (modified, id), oldest change first: what a mirror follows. */
  async feed(query: FeedQuery): Promise<AdvisoryRecord[]> {
    const where: Prisma.AdvisoryWhereInput[] = [];
    if (query.modifiedSince !== null) where.push({ modifiedAt: { gte: query.modifiedSince } });
    if (query.after !== null) {
      where.push({ OR: [{ modifiedAt: { gt: query.after.modifiedAt } }, { modifiedAt: query.after.modifiedAt, id: { gt: query.after.id } }] });
    }
    const rows = await this.database.prisma.advisory.findMany({ where: { AND: where }, include, orderBy: [{ modifiedAt: 'asc' }, { id: 'asc' }], take: query.limit });
    return rows.map(toRecord);
  }

  /** The advisories in force on each of these versions (withdrawn ones are not). */
  async activeForVersions(versionIds: readonly string[]): Promise<Map<string, AdvisoryBrief[]>> {
    const byVersion = new Map<string, AdvisoryBrief[]>();
    if (versionIds.length === 0) return byVersion;
    const rows = await this.database.prisma.advisoryAffectedVersion.findMany({
      where: { versionId: { in: [...versionIds] } },
      select: { versionId: true, advisory: { select: { id: true, summary: true, severityScore: true, affected: true } } },
      orderBy: [{ advisory: { severityScore: 'desc' } }, { advisoryId: 'asc' }],
    });
    for (const { versionId, advisory } of rows) {
      const list = byVersion.get(versionId) ?? [];
      list.push({ id: advisory.id, summary: advisory.summary, severity: { score: advisory.severityScore, rating: ratingOf(advisory.severityScore) }, affected: advisory.affected as unknown as AffectedRange[] });
      byVersion.set(versionId, list);
    }
    return byVersion;
  }

  async create(pluginId: string, id: string, content: AdvisoryContent, actor: AuditActor, at: Date): Promise<AdvisoryRecord> {
    return transaction(this.database.prisma, async (tx) => {
      await lockPluginRow(tx, pluginId);
      await tx.advisory.create({ data: { id, pluginId, ...columns(content), publishedAt: at, modifiedAt: at } });
      await this.matchVersions(tx, id, pluginId, content.affected);
      const record = toRecord(await tx.advisory.findUniqueOrThrow({ where: { id }, include }));
      await writeAuditEvent(tx, { action: 'advisory.published', actor, namespace: record.namespace, plugin: record.plugin, details: auditDetails(record) });
      await recordWebhookEvent(tx, webhookEvent('advisory.published', record));
      return record;
    });
  }

  async update(id: string, changes: Partial<AdvisoryContent>, actor: AuditActor, at: Date): Promise<AdvisoryRecord | AdvisoryRefusal> {
    return transaction(this.database.prisma, async (tx) => {
      const before = await tx.advisory.findUnique({ where: { id }, select: { pluginId: true, withdrawnAt: true } });
      if (before === null) return 'not_found';
      await lockPluginRow(tx, before.pluginId);
      const current = await tx.advisory.findUniqueOrThrow({ where: { id }, include });
      if (current.withdrawnAt !== null) return 'withdrawn';
      const merged = { ...toRecord(current), ...changes };
      await tx.advisory.update({ where: { id }, data: { ...columns(merged), modifiedAt: at } });
      if (changes.affected !== undefined) await this.matchVersions(tx, id, before.pluginId, merged.affected);
      const record = toRecord(await tx.advisory.findUniqueOrThrow({ where: { id }, include }));
      await writeAuditEvent(tx, {
        action: 'advisory.updated',
        actor,
        namespace: record.namespace,
        plugin: record.plugin,
        details: { ...auditDetails(record), changed: Object.keys(changes).sort() },
      });
      await recordWebhookEvent(tx, webhookEvent('advisory.updated', record));
      return record;
    });
  }

  /** Withdrawn for good: it stays served (withdrawn set) so mirrors learn of it, and no longer affects any version. */
  async withdraw(id: string, reason: string, actor: AuditActor, at: Date): Promise<AdvisoryRecord | AdvisoryRefusal> {
    return transaction(this.database.prisma, async (tx) => {
      const before = await tx.advisory.findUnique({ where: { id }, select: { pluginId: true } });
      if (before === null) return 'not_found';
      await lockPluginRow(tx, before.pluginId);
      const current = await tx.advisory.findUniqueOrThrow({ where: { id }, select: { withdrawnAt: true } });
      if (current.withdrawnAt !== null) return 'withdrawn';
      await tx.advisory.update({ where: { id }, data: { withdrawnAt: at, withdrawnReason: reason, modifiedAt: at } });
      await tx.advisoryAffectedVersion.deleteMany({ where: { advisoryId: id } });
      const record = toRecord(await tx.advisory.findUniqueOrThrow({ where: { id }, include }));
      await writeAuditEvent(tx, { action: 'advisory.withdrawn', actor, namespace: record.namespace, plugin: record.plugin, details: { ...auditDetails(record), reason } });
      await recordWebhookEvent(tx, webhookEvent('advisory.withdrawn', record));
      return record;
    });
  }

  /** Rewrites which of the plugin's versions the advisory affects. */
  private async matchVersions(tx: Writer, advisoryId: string, pluginId: string, ranges: readonly AffectedRange[]): Promise<void> {
    const versions = await tx.version.findMany({ where: { pluginId }, select: { id: true, version: true } });
    await tx.advisoryAffectedVersion.deleteMany({ where: { advisoryId } });
    const affected = versions.filter((v) => isAffected(v.version, ranges));
    if (affected.length > 0) await tx.advisoryAffectedVersion.createMany({ data: affected.map((v) => ({ advisoryId, versionId: v.id })) });
  }
}

/**
 * Matches a newly published version against its plugin's advisories in force,
 * with the publishing transaction (which holds the plugin row).
 */
export async function matchNewVersion(tx: Writer, version: { id: string; pluginId: string; version: string }): Promise<void> {
  const advisories = await tx.advisory.findMany({ where: { pluginId: version.pluginId, withdrawnAt: null }, select: { id: true, affected: true } });
  const affecting = advisories.filter((a) => isAffected(version.version, a.affected as unknown as AffectedRange[]));
  if (affecting.length > 0) await tx.advisoryAffectedVersion.createMany({ data: affecting.map((a) => ({ advisoryId: a.id, versionId: version.id })), skipDuplicates: true });
}

function columns(content: AdvisoryContent) {
  return {
    summary: content.summary,
    details: content.details,
    severityVector: content.severity.vector,
    severityScore: content.severity.score,
    affected: content.affected as unknown as Prisma.InputJsonArray,
    aliases: content.aliases,
    references: content.references as unknown as Prisma.InputJsonArray,
    credits: content.credits as unknown as Prisma.InputJsonArray,
  };
}

function webhookEvent(type: 'advisory.published' | 'advisory.updated' | 'advisory.withdrawn', record: AdvisoryRecord): WebhookEventInput {
  return {
    type,
    namespace: record.namespace,
    plugin: record.plugin,
    subject: record.id,
    data: {
      id: record.id,
      namespace: record.namespace,
      plugin: record.plugin,
      summary: record.summary,
      severity: record.severity.rating,
      score: record.severity.score,
      vector: record.severity.vector,
      affected: record.affected,
      affectedVersions: record.affectedVersions,
      modified: record.modifiedAt.toISOString(),
      ...(record.withdrawnAt !== null ? { withdrawn: record.withdrawnAt.toISOString(), withdrawnReason: record.withdrawnReason } : {}),
    },
  };
}

function auditDetails(record: AdvisoryRecord): Record<string, unknown> {
  return { advisory: record.id, summary: record.summary, severity: record.severity.vector, score: record.severity.score, affectedVersions: record.affectedVersions };
}

function toRecord(row: AdvisoryRow): AdvisoryRecord {
  const vector = row.severityVector;
  return {
    id: row.id,
    pluginId: row.pluginId,
    namespace: row.plugin.namespace.name,
    plugin: row.plugin.name,
    summary: row.summary,
    details: row.details,
    severity: { type: vector.startsWith('CVSS:4') ? 'CVSS_V4' : 'CVSS_V3', vector, score: row.severityScore, rating: ratingOf(row.severityScore) },
    affected: row.affected as unknown as AffectedRange[],
    aliases: row.aliases,
    references: row.references as unknown as AdvisoryReference[],
    credits: row.credits as unknown as AdvisoryCredit[],
    publishedAt: row.publishedAt,
    modifiedAt: row.modifiedAt,
    withdrawnAt: row.withdrawnAt,
    withdrawnReason: row.withdrawnReason,
    affectedVersions: row.affectedVersions.map((a) => a.version.version).sort(semverAscending),
  };
}

const semverAscending = (a: string, b: string): number => semver.compare(a, b);
