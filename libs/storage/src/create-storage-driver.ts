import type { StorageConfig } from '../../config/index.js';
import { FilesystemStorageDriver } from './filesystem.driver.js';
import { S3StorageDriver } from './s3.driver.js';
import type { StorageDriver } from './storage.driver.js';
import { ObservedStorageDriver } from './observed-storage.driver.js';

/** The driver the configuration asks for, observed (spans, error counts). Nothing is contacted until it is used. */
export function createStorageDriver(config: StorageConfig): StorageDriver {
  switch (config.kind) {
    case 'filesystem':
      return new ObservedStorageDriver(new FilesystemStorageDriver({ root: config.root }));
    case 's3':
      return new ObservedStorageDriver(new S3StorageDriver(config));
  }
}
