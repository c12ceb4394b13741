import { ApiProperty } from '@nestjs/swagger';
import { WEBHOOK_EVENT_TYPES } from './webhook-events.js';
import type { DeliveryRecord, SubscriptionRecord } from './webhooks.repository.js';

export class WebhookView {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ format: 'uri' })
  url!: string;
  @ApiProperty({ type: [String], enum: WEBHOOK_EVENT_TYPES, isArray: true })
  events!: string[];
  @ApiProperty({ type: [String], description: 'Namespaces followed; empty follows every namespace (admin tokens only).' })
  namespaces!: string[];
  @ApiProperty()
  description!: string;
  @ApiProperty({ description: 'The name of the token that created it.' })
  owner!: string;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ description: 'False while disabled: deliveries wait, none is dropped.' })
  enabled!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  disabledAt!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why: failing for days (with since when and the last error), or its owner.' })
  disabledReason!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Deliveries have failed since then, without a success.' })
  failingSince!: string | null;
  @ApiProperty({ description: 'Deliveries not yet delivered.' })
  pendingDeliveries!: number;
}

export class CreatedWebhookView extends WebhookView {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'The Standard Webhooks signing secret. Shown once, now: keep it.' })
  secret!: string;
}

export class WebhookListView {
  @ApiProperty({ type: [WebhookView] })
  items!: WebhookView[];
}

export class WebhookAttemptView {
  @ApiProperty({ format: 'date-time' })
  at!: string;
  @ApiProperty()
  durationMs!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'The receiver\'s HTTP status; null when none came back.' })
  statusCode!: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why it failed; null on success.' })
  error!: string | null;
}

export class WebhookEventRefView {
  @ApiProperty({ format: 'uuid', description: 'The CloudEvents id.' })
  id!: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES })
  type!: string;
  @ApiProperty({ example: 'acme/jwt-auth@1.2.0' })
  subject!: string;
  @ApiProperty({ format: 'date-time' })
  time!: string;
}

export class WebhookDeliveryView {
  @ApiProperty({ format: 'uuid', description: 'The webhook-id header: the same on every attempt of this delivery.' })
  id!: string;
  @ApiProperty({ type: WebhookEventRefView })
  event!: WebhookEventRefView;
  @ApiProperty({ enum: ['pending', 'delivered'] })
  state!: string;
  @ApiProperty()
  attempts!: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When it is tried next; null once delivered.' })
  nextAttemptAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  deliveredAt!: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The delivery this one repeats, when asked for again.' })
  redeliveryOf!: string | null;
  @ApiProperty({ type: [WebhookAttemptView], description: 'The newest attempts, newest first (at most 20).' })
  recentAttempts!: WebhookAttemptView[];
}

export class WebhookDeliveryPage {
  @ApiProperty({ type: [WebhookDeliveryView], description: 'Newest first.' })
  items!: WebhookDeliveryView[];
  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}

export class RedeliveryView {
  @ApiProperty({ format: 'uuid', description: 'The new delivery, queued after the subscription\'s others.' })
  id!: string;
}

export function webhookView(s: SubscriptionRecord): WebhookView {
  return {
    id: s.id,
    url: s.url,
    events: s.events,
    namespaces: s.namespaces,
    description: s.description,
    owner: s.ownerName,
    createdAt: s.createdAt.toISOString(),
    enabled: s.disabledAt === null,
    disabledAt: s.disabledAt?.toISOString() ?? null,
    disabledReason: s.disabledReason,
    failingSince: s.failingSince?.toISOString() ?? null,
    pendingDeliveries: s.pendingDeliveries,
  };
}

export function deliveryView(d: DeliveryRecord): WebhookDeliveryView {
  return {
    id: d.deliveryId,
    event: { id: d.event.eventId, type: d.event.type, subject: d.event.subject, time: d.event.occurredAt.toISOString() },
    state: d.state,
    attempts: d.attempts,
    nextAttemptAt: d.state === 'pending' ? d.nextAttemptAt.toISOString() : null,
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
    createdAt: d.createdAt.toISOString(),
    redeliveryOf: d.redeliveryOf,
    recentAttempts: d.recentAttempts.map((a) => ({ at: a.at.toISOString(), durationMs: a.durationMs, statusCode: a.statusCode, error: a.error })),
  };
}
