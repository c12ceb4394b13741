import type { Prisma } from '../../db/index.js';

/** What a subscription can follow; the names are the audit log's, and every delivery's CloudEvents `type`. */
export const WEBHOOK_EVENT_TYPES = [
  'version.published',
  'version.ready',
  'version.rejected',
  'version.yanked',
  'version.unyanked',
  'version.deleted',
  'plugin.deprecated',
  'advisory.published',
  'advisory.updated',
  'advisory.withdrawn',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface WebhookEventInput {
  type: WebhookEventType;
  namespace: string;
  plugin: string;
  /** "namespace/plugin", "namespace/plugin@version" or an advisory id: the CloudEvents `subject`. */
  subject: string;
  data: Record<string, unknown>;
}

type OutboxWriter = Pick<Prisma.TransactionClient, '$executeRaw' | '$queryRaw'>;

/**
 * Writes an event and one pending delivery for every subscription that follows
 * it, with the client of the transaction that makes the change: a change and
 * its deliveries commit together or not at all (the outbox). Disabled
 * subscriptions get theirs too, delivered once they are enabled again. An
 * event nobody follows is not written.
 *
 * Deliveries go out in id order, so ids must follow commit order: the
 * transaction holds the advisory lock `webhook-outbox` from here to its commit
 * (the last lock of the protocol, libs/versions/src/version-locks.ts), and a
 * later one waits for it before taking its ids.
 */
export async function recordWebhookEvent(client: OutboxWriter, event: WebhookEventInput): Promise<void> {
  const [followed] = await client.$queryRaw<{ followed: boolean }[]>`
    SELECT EXISTS (SELECT 1 FROM webhook_subscriptions s
      WHERE ${event.type} = ANY(s.events) AND (cardinality(s.namespaces) = 0 OR ${event.namespace} = ANY(s.namespaces))) AS followed`;
  if (followed?.followed !== true) return;
  await client.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended('webhook-outbox', 0))`;
  await client.$executeRaw`
    WITH event AS (
      INSERT INTO webhook_events (type, namespace, plugin, subject, data)
      VALUES (${event.type}, ${event.namespace}, ${event.plugin}, ${event.subject}, ${JSON.stringify(event.data)}::jsonb)
      RETURNING id
    )
    INSERT INTO webhook_deliveries (subscription_id, event_id)
    SELECT s.id, event.id FROM webhook_subscriptions s, event
    WHERE ${event.type} = ANY(s.events) AND (cardinality(s.namespaces) = 0 OR ${event.namespace} = ANY(s.namespaces))
    ORDER BY s.id`;
}
