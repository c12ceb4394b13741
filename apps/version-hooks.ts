import type { Type } from '@nestjs/common';
import { AuditVersionHook } from '../libs/audit/src/audit.version-hook.js';
import { CatalogVersionHook } from '../libs/catalog/src/catalog.version-hook.js';
import { OciVersionHook } from '../libs/oci/src/oci.version-hook.js';
import { InvalidationVersionHook } from '../libs/versions/src/invalidation.version-hook.js';
import type { VersionLifecycleHook } from '../libs/versions/src/version-hooks.js';

/**
 * What reacts to a change of a version, in every process (API and worker), in
 * this order: the catalog first (OCI manifests and events see the plugin's new
 * latest version), then OCI artifacts, the audit event, and caches last.
 */
export const VERSION_LIFECYCLE_HOOKS: readonly Type<VersionLifecycleHook>[] = [CatalogVersionHook, OciVersionHook, AuditVersionHook, InvalidationVersionHook];
