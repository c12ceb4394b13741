import { Global, Inject, Logger, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import { createStorageDriver, type StorageDriver } from '../../storage/index.js';
import { BlobStore } from './blob-store.js';

export const STORAGE_DRIVER = Symbol('StorageDriver');
export const BLOB_STORE = Symbol('BlobStore');

/** Uploads older than this are leftovers of a crash: no upload stays unpromoted for long. */
const ABANDONED_UPLOAD_AGE_MS = 60 * 60 * 1000;

@Global()
@Module({
  providers: [
    {
      provide: STORAGE_DRIVER,
      inject: [REGISTRY_CONFIG],
      useFactory: (config: RegistryConfig): Promise<StorageDriver> => createStorageDriver(config.storage),
    },
    {
      provide: BLOB_STORE,
      inject: [STORAGE_DRIVER],
      useFactory: (driver: StorageDriver): BlobStore => new BlobStore(driver),
    },
  ],
  exports: [STORAGE_DRIVER, BLOB_STORE],
})
export class BlobsModule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Blobs');
  private sweepTimer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(STORAGE_DRIVER) private readonly driver: StorageDriver,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  onApplicationBootstrap(): void {
    const sweep = (): void => {
      this.blobs
        .sweepAbandonedUploads(ABANDONED_UPLOAD_AGE_MS)
        .then((removed) => removed > 0 && this.logger.log(`removed ${removed} abandoned upload(s)`))
        .catch((error: unknown) => this.logger.warn(`could not sweep abandoned uploads: ${String(error)}`));
    };
    sweep();
    this.sweepTimer = setInterval(sweep, ABANDONED_UPLOAD_AGE_MS / 4).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    await this.driver.close();
  }
}
