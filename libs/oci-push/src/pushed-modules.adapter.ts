import { Inject, Injectable } from '@nestjs/common';
import { BLOB_STORE, type BlobStore, type ReceivedUpload } from '../../blobs/index.js';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import type { PushedModules } from '../../plugins/index.js';
import { BlobUploadsRepository } from './blob-uploads.repository.js';

/** Lets a publish name a module pushed as a blob of the plugin's repository (`moduleDigest`), checked as any module upload. */
@Injectable()
export class PushedModulesAdapter implements PushedModules {
  constructor(
    private readonly uploads: BlobUploadsRepository,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  async adopt(repository: { namespace: string; plugin: string }, digest: string): Promise<ReceivedUpload | null> {
    if ((await this.uploads.mountableBlob(repository, digest)) === null) return null;
    return this.blobs.adopt(digest, this.config.maxModuleSize);
  }
}
