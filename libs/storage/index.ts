// Object storage: one driver interface (filesystem or S3) and the key layout every object follows.
export { createStorageDriver } from './src/create-storage-driver.js';
export { FILESYSTEM_TEMP_DIR, FilesystemStorageDriver } from './src/filesystem.driver.js';
export { blobKey, ociUploadChunkKey, ociUploadPrefix, uploadKey } from './src/storage-keys.js';
export {
  type ByteRange,
  type StorageDriver,
  StorageNotFoundError,
  type StoredObjectInfo,
  type StoredObjectStream,
} from './src/storage.driver.js';
