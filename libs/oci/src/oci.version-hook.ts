import { Injectable } from '@nestjs/common';
import type { Prisma } from '../../db/index.js';
import type { VersionChange, VersionLifecycleHook } from '../../versions/index.js';
import { storeOciArtifacts, storePushedManifest } from './oci-store.js';

/**
 * A version is served over OCI from the moment it is ready: its manifests are written once, with its final
 * state. A version pushed over OCI keeps the manifest it was pushed with, from the publishing transaction on.
 */
@Injectable()
export class OciVersionHook implements VersionLifecycleHook {
  async onVersionChange(tx: Prisma.TransactionClient, change: VersionChange): Promise<void> {
    if (change.kind === 'published' && change.pushedManifest !== undefined) await storePushedManifest(tx, change.version.id, change.pushedManifest);
    if (change.kind === 'ready') await storeOciArtifacts(tx, change.version.id);
  }
}
