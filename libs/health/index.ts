// Liveness and readiness: whether the process answers, and whether its database and storage do.
export { HealthController } from './src/health.controller.js';
export { HealthService } from './src/health.service.js';
