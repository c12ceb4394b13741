import { Injectable } from '@nestjs/common';
import { type Prisma, notifyInvalidation } from '../../db/index.js';
import type { VersionChange, VersionLifecycleHook } from './version-hooks.js';

/** A deleted version must leave every API process's caches: they hear of it when the delete commits. */
@Injectable()
export class InvalidationVersionHook implements VersionLifecycleHook {
  async onVersionChange(tx: Prisma.TransactionClient, change: VersionChange): Promise<void> {
    if (change.kind !== 'deleted') return;
    const { id, namespace, plugin, version, digest } = change.version;
    await notifyInvalidation(tx, { kind: 'version_deleted', namespace, plugin, version, versionId: id, digest });
  }
}
