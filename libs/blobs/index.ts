// Module bytes by digest (content addressing over a storage driver): an upload is checked while it streams, then kept under its digest.
export { BlobStore, type ReceivedUpload, streamThrough } from './src/blob-store.js';
export { BLOB_STORE, BlobsModule, STORAGE_DRIVER } from './src/blobs.module.js';
export { ModuleDelivery, type ModuleSource } from './src/module-delivery.js';
export { ModuleBytesCache } from './src/module-bytes-cache.js';
export { moduleTooLarge } from './src/module-inspector.js';
export { collectingYoungGarbage } from './src/young-garbage.js';
