// Liveness, readiness and metrics: whether the process answers, whether its database, storage and queue do, and what it measured.
export { HealthController } from './src/health.controller.js';
export { HealthService, QUEUE_HEALTH, type QueueHealth } from './src/health.service.js';
export { MetricsController } from './src/metrics.controller.js';
export { startObservabilityServer, type ObservabilityServer } from './src/observability-server.js';
