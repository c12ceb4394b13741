import type { StorageConfig } from '../../config/index.js';
import { FilesystemStorageDriver } from './filesystem.driver.js';
import type { StorageDriver } from './storage.driver.js';
import { ObservedStorageDriver } from './observed-storage.driver.js';

/** The driver the configuration asks for, observed (spans, error counts). Nothing is contacted until it is used. */
export async function createStorageDriver(config: StorageConfig): Promise<StorageDriver> {
  switch (config.kind) {
    case 'filesystem':
      return new ObservedStorageDriver(new FilesystemStorageDriver({ root: config.root }));
    case 's3': {
      // Loaded only for S3: the AWS SDK is the largest library the filesystem setup would otherwise hold.
      const { S3StorageDriver } = await import('./s3.driver.js');
      return new ObservedStorageDriver(new S3StorageDriver(config));
    }
  }
}
