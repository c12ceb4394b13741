import { createHmac, randomBytes } from 'node:crypto';

/** A delivery's body: a CloudEvents 1.0 event in structured JSON mode. */
export const CLOUD_EVENTS_CONTENT_TYPE = 'application/cloudevents+json; charset=utf-8';

export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: Record<string, unknown>;
}

export function toCloudEvent(event: { eventId: string; type: string; subject: string; occurredAt: Date; data: unknown }, source: string): CloudEvent {
  return {
    specversion: '1.0',
    id: event.eventId,
    source,
    type: event.type,
    subject: event.subject,
    time: event.occurredAt.toISOString(),
    datacontenttype: 'application/json',
    data: event.data as Record<string, unknown>,
  };
}

/** A new Standard Webhooks secret: "whsec_" and 32 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * The Standard Webhooks headers of one attempt: the signature is HMAC-SHA256,
 * keyed by the secret's bytes, over "<webhook-id>.<webhook-timestamp>.<body>",
 * so receivers verify with any Standard Webhooks library.
 */
export function webhookHeaders(secret: string, messageId: string, at: Date, body: string): Record<string, string> {
  const timestamp = Math.floor(at.getTime() / 1000).toString();
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const signature = createHmac('sha256', key).update(`${messageId}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': messageId, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}
