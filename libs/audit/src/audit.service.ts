import { Inject, Injectable } from '@nestjs/common';
import { requireAdmin, type Principal } from '../../auth/index.js';
import { nameProblem, invalidInput, type FieldProblem } from '../../domain/index.js';
import { AUDIT_ACTIONS, type AuditAction } from './audit-actions.js';
import { AuditLogRepository, type AuditEventRecord, type AuditFilter } from './audit-log.repository.js';
import type { AuditEventView, AuditPage } from './audit.views.js';

/** What the service needs of the audit log (AuditLogRepository). */
export interface AuditLogReader {
  /** Newest first. */
  list(filter: AuditFilter): Promise<AuditEventRecord[]>;
}

/** The query as the client sent it: every member is untrusted text. */
export interface AuditQuery {
  action?: string | undefined;
  namespace?: string | undefined;
  plugin?: string | undefined;
  limit?: string | undefined;
  cursor?: string | undefined;
}

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 200;
const MAX_BIGINT = 2n ** 63n - 1n;

/** Reading the audit log: admins only, newest first, in pages with a cursor. */
@Injectable()
export class AuditService {
  constructor(@Inject(AuditLogRepository) private readonly log: AuditLogReader) {}

  async list(reader: Principal, query: AuditQuery): Promise<AuditPage> {
    // The log names every token and namespace that changed anything: for admins only.
    requireAdmin(reader);
    const { action, namespace, plugin, limit, cursor } = query;
    const problems: FieldProblem[] = [];
    if (action !== undefined && !(AUDIT_ACTIONS as readonly string[]).includes(action)) {
      problems.push({ field: 'query.action', message: `${JSON.stringify(action)} is not one of: ${AUDIT_ACTIONS.join(', ')}` });
    }
    for (const [field, value] of [['query.namespace', namespace], ['query.plugin', plugin]] as const) {
      const problem = value === undefined ? null : nameProblem(field, value);
      if (problem !== null) problems.push(problem);
    }
    const size = limit === undefined ? AUDIT_PAGE_DEFAULT : Number(limit);
    if (!Number.isInteger(size) || size < 1 || size > AUDIT_PAGE_MAX) problems.push({ field: 'query.limit', message: `must be a whole number from 1 to ${AUDIT_PAGE_MAX}` });
    // Event ids are PostgreSQL bigints: a larger number is no cursor of ours (and PostgreSQL would refuse it).
    if (cursor !== undefined && !(/^\d{1,19}$/.test(cursor) && BigInt(cursor) <= MAX_BIGINT)) problems.push({ field: 'query.cursor', message: 'is not a cursor returned by this endpoint' });
    if (problems.length > 0) throw invalidInput(problems);
    // One more than the page: whether it exists says whether there is a next page.
    const rows = await this.log.list({
      ...(action !== undefined ? { action: action as AuditAction } : {}),
      ...(namespace !== undefined ? { namespace } : {}),
      ...(plugin !== undefined ? { plugin } : {}),
      ...(cursor !== undefined ? { before: BigInt(cursor) } : {}),
      limit: size + 1,
    });
    const page = rows.slice(0, size);
    return { items: page.map(toView), nextCursor: rows.length > size ? String(page.at(-1)!.id) : null };
  }
}

function toView(row: AuditEventRecord): AuditEventView {
  return { ...row, id: String(row.id), at: row.at.toISOString() };
}
