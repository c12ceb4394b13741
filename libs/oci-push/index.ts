// OCI push (/v2): upload sessions, pushed manifests that become versions, and the token endpoint OCI clients authenticate with.
export { BlobUploadsController } from './src/blob-uploads.controller.js';
export { BlobUploadsRepository } from './src/blob-uploads.repository.js';
export { BlobUploadsService } from './src/blob-uploads.service.js';
export { ManifestPushController } from './src/manifest-push.controller.js';
export { ManifestPushService } from './src/manifest-push.service.js';
export { OciAccessController } from './src/oci-access.controller.js';
export { OciAccessService } from './src/oci-access.service.js';
export { OciPushSweeper } from './src/oci-push-sweeper.js';
export { PushedManifestsRepository } from './src/pushed-manifests.repository.js';
export { UploadObjects } from './src/upload-objects.js';
export { PushedModulesAdapter } from './src/pushed-modules.adapter.js';
