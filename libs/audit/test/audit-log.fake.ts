import type { AuditEventRecord, AuditFilter } from '../src/audit-log.repository.js';
import type { AuditLogReader } from '../src/audit.service.js';

/** An append-only log in memory, filtered and ordered as the table is; records each filter it was asked. */
export class FakeAuditLog implements AuditLogReader {
  readonly events: AuditEventRecord[] = [];
  readonly asked: AuditFilter[] = [];

  append(event: Partial<AuditEventRecord> & { action: string }): this {
    const id = BigInt(this.events.length + 1);
    this.events.push({ id, at: new Date(Number(id) * 1000), actor: 'admin', actorTokenId: null, namespace: null, plugin: null, version: null, details: {}, ...event });
    return this;
  }

  async list(filter: AuditFilter): Promise<AuditEventRecord[]> {
    this.asked.push(filter);
    return this.events
      .filter((e) => filter.action === undefined || e.action === filter.action)
      .filter((e) => filter.namespace === undefined || e.namespace === filter.namespace)
      .filter((e) => filter.plugin === undefined || e.plugin === filter.plugin)
      .filter((e) => filter.before === undefined || e.id < filter.before)
      .sort((a, b) => (a.id > b.id ? -1 : 1))
      .slice(0, filter.limit);
  }
}
