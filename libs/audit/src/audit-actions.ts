import type { AuditActor } from '../../domain/index.js';

/** Every kind of audit event. The names are stable: admins filter on them. */
export const AUDIT_ACTIONS = [
  'namespace.created',
  'plugin.created',
  'plugin.metadata_updated',
  'plugin.deprecated',
  'plugin.undeprecated',
  'version.published',
  'version.ready',
  'version.rejected',
  'version.failed',
  'version.retried',
  'version.yanked',
  'version.unyanked',
  'version.deleted',
  'advisory.published',
  'advisory.updated',
  'advisory.withdrawn',
  'token.issued',
  'token.revoked',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

// Defined with the domain so that libraries below audit (versions) can name an actor too.
export { PIPELINE_ACTOR, type AuditActor } from '../../domain/index.js';

export interface AuditEventInput {
  action: AuditAction;
  actor: AuditActor;
  namespace?: string | null;
  plugin?: string | null;
  version?: string | null;
  details?: Record<string, unknown>;
}
