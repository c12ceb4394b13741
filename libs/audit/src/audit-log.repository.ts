import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database, type Prisma } from '../../db/index.js';
import type { AuditAction, AuditEventInput } from './audit-actions.js';

export interface AuditEventRecord {
  id: bigint;
  at: Date;
  action: string;
  actor: string;
  actorTokenId: string | null;
  namespace: string | null;
  plugin: string | null;
  version: string | null;
  details: Record<string, unknown>;
}

export interface AuditFilter {
  action?: AuditAction;
  namespace?: string;
  plugin?: string;
  /** Only events with a smaller id (older): the cursor. */
  before?: bigint;
  limit: number;
}

type AuditWriter = Pick<Prisma.TransactionClient, 'auditEvent'>;

/**
 * Writes an audit event with the client it is given, so that callers put it in
 * the same transaction as the change it records: no change without its event.
 */
export async function writeAuditEvent(client: AuditWriter, event: AuditEventInput): Promise<void> {
  await client.auditEvent.create({
    data: {
      action: event.action,
      actor: event.actor.name,
      actorTokenId: event.actor.tokenId,
      namespace: event.namespace ?? null,
      plugin: event.plugin ?? null,
      version: event.version ?? null,
      details: (event.details ?? {}) as Prisma.InputJsonObject,
    },
  });
}

/** Reading the audit log; events are only ever appended. */
@Injectable()
export class AuditLogRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  async record(event: AuditEventInput): Promise<void> {
    await writeAuditEvent(this.database.prisma, event);
  }

  /** Newest first. */
  async list(filter: AuditFilter): Promise<AuditEventRecord[]> {
    const rows = await this.database.prisma.auditEvent.findMany({
      where: {
        ...(filter.action !== undefined ? { action: filter.action } : {}),
        ...(filter.namespace !== undefined ? { namespace: filter.namespace } : {}),
        ...(filter.plugin !== undefined ? { plugin: filter.plugin } : {}),
        ...(filter.before !== undefined ? { id: { lt: filter.before } } : {}),
      },
      orderBy: { id: 'desc' },
      take: filter.limit,
    });
    return rows.map((r) => ({ ...r, details: r.details as Record<string, unknown> }));
  }
}
