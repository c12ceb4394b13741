import { randomUUID } from 'node:crypto';
import { inSpan, instruments, SpanKind } from '../../telemetry/index.js';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import { CLOUD_EVENTS_CONTENT_TYPE, toCloudEvent, webhookHeaders } from './cloud-event.js';
import { MAX_RESPONSE_BYTES, sendWebhook, type SendOutcome } from './webhook-sender.driver.js';
import { WebhooksRepository, type DueDelivery } from './webhooks.repository.js';

/** Whether this process delivers webhooks: the worker always, the API only when it runs jobs itself (embedded). */
export const RUN_WEBHOOK_DELIVERIES = Symbol('RunWebhookDeliveries');

/** The retry delay after `attempts` failed attempts: doubling from `base`, capped, with jitter so receivers coming back are not stampeded. */
export function retryDelayMs(attempts: number, base: number, max: number, random: () => number = Math.random): number {
  const ceiling = Math.min(max, base * 2 ** Math.min(attempts - 1, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Delivers the webhooks' outbox. Each subscription's deliveries go one at a
 * time in the order they were written: a deliverer leases the subscription
 * (a row lease, so any number of processes can deliver), sends its oldest
 * pending delivery, records the attempt, and lets go. A process killed
 * mid-delivery leaves a lease that runs out, and the delivery is sent again:
 * at least once, never lost, never out of order.
 */
@Injectable()
export class WebhookDeliverer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly inFlight = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;

  constructor(
    private readonly webhooks: WebhooksRepository,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    @Inject(RUN_WEBHOOK_DELIVERIES) private readonly enabled: boolean,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => void this.poll(), this.config.webhooks.pollMs).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    await this.polling;
    await Promise.allSettled(this.inFlight.values());
  }

  /** One look for due deliveries; a look still running is not started again. */
  poll(): Promise<void> {
    this.polling ??= this.startDue()
      .catch((error: unknown) => this.logger.warn(`could not look for webhook deliveries: ${String(error)}`))
      .finally(() => (this.polling = null));
    return this.polling;
  }

  private async startDue(): Promise<void> {
    const room = this.config.webhooks.concurrency - this.inFlight.size;
    if (room <= 0) return;
    for (const subscriptionId of await this.webhooks.dueSubscriptions(room)) {
      if (this.inFlight.has(subscriptionId)) continue;
      const work = this.deliverHead(subscriptionId)
        .catch((error: unknown) => this.logger.warn(`webhook delivery for subscription ${subscriptionId} failed to run: ${String(error)}`))
        .finally(() => this.inFlight.delete(subscriptionId));
      this.inFlight.set(subscriptionId, work);
    }
  }

  private async deliverHead(subscriptionId: string): Promise<void> {
    const { timeoutMs } = this.config.webhooks;
    // Longer than any attempt can take, so a lease only runs out under a deliverer that died.
    if (!(await this.webhooks.lease(subscriptionId, this.owner, 2 * timeoutMs + 5_000))) return;
    try {
      const delivery = await this.webhooks.headDelivery(subscriptionId);
      if (delivery !== null) await this.deliver(delivery);
    } finally {
      await this.webhooks.release(subscriptionId, this.owner);
    }
  }

  private async deliver(delivery: DueDelivery): Promise<void> {
    const { timeoutMs, allowPrivateTargets, backoffMs, maxBackoffMs, disableAfterMs } = this.config.webhooks;
    const body = JSON.stringify(toCloudEvent(delivery.event, this.config.publicUrl));
    const at = new Date();
    const headers = { 'content-type': CLOUD_EVENTS_CONTENT_TYPE, ...webhookHeaders(delivery.subscription.secret, delivery.deliveryId, at, body) };
    const outcome: SendOutcome = await inSpan('webhook.deliver', { kind: SpanKind.CLIENT, attributes: { 'registry.webhook.event': delivery.event.type } }, () =>
      sendWebhook(delivery.subscription.url, headers, body, { timeoutMs, allowPrivateTargets, maxResponseBytes: MAX_RESPONSE_BYTES }),
    );
    instruments().webhookDeliveries.add(1, { 'registry.webhook.outcome': outcome.error === null ? 'delivered' : 'failed' });
    const retryIn = retryDelayMs(delivery.attempts + 1, backoffMs, maxBackoffMs);
    await this.webhooks.recordAttempt(delivery, { at, ...outcome }, retryIn, disableAfterMs, `Deliveries to ${delivery.subscription.url} have failed`);
    if (outcome.error !== null) this.logger.warn(`webhook ${delivery.deliveryId} (${delivery.event.type}) to ${delivery.subscription.url}: ${outcome.error}; retry in ${retryIn} ms`);
  }
}
