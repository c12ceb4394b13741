import { Injectable } from '@nestjs/common';
import type { Prisma } from '../../db/index.js';
import type { VersionChange, VersionLifecycleHook } from '../../versions/index.js';
import { matchNewVersion } from './advisories.repository.js';

/** A version published into a range an advisory already covers is affected from its first moment. */
@Injectable()
export class AdvisoryVersionHook implements VersionLifecycleHook {
  async onVersionChange(tx: Prisma.TransactionClient, change: VersionChange): Promise<void> {
    if (change.kind !== 'published') return;
    await matchNewVersion(tx, { id: change.version.id, pluginId: change.version.pluginId, version: change.version.version });
  }
}
