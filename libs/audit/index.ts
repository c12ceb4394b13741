// The audit log: who changed what, written in the same transaction as the change, and the admin API that reads it.
export { type AuditActor, PIPELINE_ACTOR } from './src/audit-actions.js';
export { AuditLogRepository, writeAuditEvent } from './src/audit-log.repository.js';
export { AuditController } from './src/audit.controller.js';
export { AuditService } from './src/audit.service.js';
export { AuditVersionHook } from './src/audit.version-hook.js';
