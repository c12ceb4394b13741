import { Injectable } from '@nestjs/common';
import type { Prisma } from '../../db/index.js';
import type { VersionChange, VersionLifecycleHook } from '../../versions/index.js';
import { storeOciArtifacts } from './oci-store.js';

/** A version is served over OCI from the moment it is ready: its manifests are written once, with its final state. */
@Injectable()
export class OciVersionHook implements VersionLifecycleHook {
  async onVersionChange(tx: Prisma.TransactionClient, change: VersionChange): Promise<void> {
    if (change.kind === 'ready') await storeOciArtifacts(tx, change.version.id);
  }
}
