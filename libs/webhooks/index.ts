// Webhooks: events written with the change that causes them (an outbox), delivered as signed CloudEvents, in order, at least once.
export { CLOUD_EVENTS_CONTENT_TYPE, newWebhookSecret, toCloudEvent, webhookHeaders, type CloudEvent } from './src/cloud-event.js';
export { addressProblem, hostProblem } from './src/target-address.js';
export { RUN_WEBHOOK_DELIVERIES, WebhookDeliverer, retryDelayMs } from './src/webhook-deliverer.js';
export { WEBHOOK_EVENT_TYPES, recordWebhookEvent, type WebhookEventInput, type WebhookEventType } from './src/webhook-events.js';
export { sendWebhook } from './src/webhook-sender.driver.js';
export { WebhookVersionHook } from './src/webhook.version-hook.js';
export { WebhooksController } from './src/webhooks.controller.js';
export { WebhooksRepository } from './src/webhooks.repository.js';
export { WebhooksService } from './src/webhooks.service.js';
