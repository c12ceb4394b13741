import { Injectable } from '@nestjs/common';
import { type Prisma, notifyInvalidation } from '../../db/index.js';
import type { VersionChange, VersionLifecycleHook } from './version-hooks.js';

/**
 * A deleted version must leave every API process's caches, and a version leaving
 * pending ends the long polls waiting for it: every process hears of it when the
 * change commits, whichever process (API or worker) made it.
 */
@Injectable()
export class InvalidationVersionHook implements VersionLifecycleHook {
  async onVersionChange(tx: Prisma.TransactionClient, change: VersionChange): Promise<void> {
    const { id, namespace, plugin, version, digest } = change.version;
    if (change.kind === 'deleted') await notifyInvalidation(tx, { kind: 'version_deleted', namespace, plugin, version, versionId: id, digest });
    if (change.kind === 'ready' || change.kind === 'rejected' || change.kind === 'failed') await notifyInvalidation(tx, { kind: 'version_settled', namespace, plugin, version, versionId: id });
  }
}
