import { Injectable } from '@nestjs/common';
import type { Prisma } from '../../db/index.js';
import type { VersionChange, VersionLifecycleHook } from '../../versions/index.js';
import { writeAuditEvent } from './audit-log.repository.js';

/** Every change of a version is in the audit log, written by the transaction that makes it. */
@Injectable()
export class AuditVersionHook implements VersionLifecycleHook {
  async onVersionChange(tx: Prisma.TransactionClient, change: VersionChange): Promise<void> {
    const { namespace, plugin, version } = change.version;
    await writeAuditEvent(tx, { action: `version.${change.kind}`, actor: change.actor, namespace, plugin, version, details: change.details });
  }
}
