// The OCI distribution API (/v2): plugins as OCI artifacts for Envoy, Istio and any OCI client.
export { isOciPath, ociCodeForStatus, ociError, type OciErrorCode } from './src/oci-errors.js';
export { storeOciArtifacts } from './src/oci-store.js';
export { MEDIA_TYPES, sha256Digest, versionOfTag } from './src/oci-artifacts.js';
export { OciController } from './src/oci.controller.js';
export { assertRepositoryName, OCI_DIGEST, type OciRepositoryName } from './src/oci-names.js';
export { OciRepository } from './src/oci.repository.js';
export { OciService } from './src/oci.service.js';
export { OciVersionHook } from './src/oci.version-hook.js';
