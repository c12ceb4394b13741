import { Injectable } from '@nestjs/common';
import type { Prisma } from '../../db/index.js';
import type { VersionChange, VersionLifecycleHook } from '../../versions/index.js';
import { refreshCatalogEntry } from './catalog-entries.js';

/** Keeps a plugin's catalog columns (latest version, last release) in step with its versions. */
@Injectable()
export class CatalogVersionHook implements VersionLifecycleHook {
  async onVersionChange(tx: Prisma.TransactionClient, change: VersionChange): Promise<void> {
    // Only ready, un-yanked versions count for the catalog: a pending, rejected or failed one changes nothing.
    if (['ready', 'yanked', 'unyanked', 'deleted'].includes(change.kind)) await refreshCatalogEntry(tx, change.version.pluginId);
  }
}
