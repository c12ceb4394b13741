import type { Type } from '@nestjs/common';
import { AdvisoryVersionHook } from '../libs/advisories/index.js';
import { AuditVersionHook } from '../libs/audit/index.js';
import { CatalogVersionHook } from '../libs/catalog/index.js';
import { OciVersionHook } from '../libs/oci/index.js';
import { WebhookVersionHook } from '../libs/webhooks/index.js';
import { InvalidationVersionHook, type VersionLifecycleHook } from '../libs/versions/index.js';

/**
 * What reacts to a change of a version, in every process (API and worker), in
 * this order: the catalog first (OCI manifests and events see the plugin's new
 * latest version), then OCI artifacts, the advisories a new version falls under, the audit event, the webhooks' outbox, and caches last.
 */
export const VERSION_LIFECYCLE_HOOKS: readonly Type<VersionLifecycleHook>[] = [CatalogVersionHook, OciVersionHook, AdvisoryVersionHook, AuditVersionHook, WebhookVersionHook, InvalidationVersionHook];
