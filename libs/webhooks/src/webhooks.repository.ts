import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database, Prisma, transaction } from '../../db/index.js';

export interface SubscriptionRecord {
  id: string;
  url: string;
  secret: string;
  events: string[];
  namespaces: string[];
  description: string;
  ownerTokenId: string | null;
  ownerName: string;
  ownerAdmin: boolean;
  createdAt: Date;
  disabledAt: Date | null;
  disabledReason: string | null;
  failingSince: Date | null;
  pendingDeliveries: number;
}

/** What a new subscription is made of; the rest (id, times, state) the database fills in. */
export type NewSubscription = Pick<SubscriptionRecord, 'url' | 'secret' | 'events' | 'namespaces' | 'description' | 'ownerTokenId' | 'ownerName' | 'ownerAdmin'>;

export interface SubscriptionChanges {
  url?: string;
  events?: string[];
  namespaces?: string[];
  description?: string;
  /** false disables (the owner's reason), true enables and forgets the failure run. */
  enabled?: boolean;
}

export interface AttemptRecord {
  at: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
}

export interface DeliveryRecord {
  /** The `webhook-id`. */
  deliveryId: string;
  /** Position in the subscription's order (the cursor). */
  sequence: bigint;
  state: 'pending' | 'delivered';
  attempts: number;
  nextAttemptAt: Date;
  deliveredAt: Date | null;
  createdAt: Date;
  redeliveryOf: string | null;
  event: { eventId: string; type: string; subject: string; occurredAt: Date };
  /** The newest attempts, newest first (at most ATTEMPTS_SHOWN). */
  recentAttempts: AttemptRecord[];
}

/** A delivery ready to go out: the head of its subscription's queue. */
export interface DueDelivery {
  id: bigint;
  deliveryId: string;
  attempts: number;
  subscription: { id: string; url: string; secret: string };
  event: { eventId: string; type: string; subject: string; occurredAt: Date; data: unknown };
}

export const ATTEMPTS_SHOWN = 20;

const subscriptionInclude = { _count: { select: { deliveries: { where: { state: 'pending' as const } } } } };
type SubscriptionRow = Prisma.WebhookSubscriptionGetPayload<{ include: typeof subscriptionInclude }>;

/** Subscriptions, deliveries and their attempts; the events themselves are written by recordWebhookEvent. */
@Injectable()
export class WebhooksRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  private get prisma() {
    return this.database.prisma;
  }

  async create(subscription: NewSubscription): Promise<SubscriptionRecord> {
    return toSubscription(await this.prisma.webhookSubscription.create({ data: subscription, include: subscriptionInclude }));
  }

  async countOwnedBy(ownerTokenId: string | null): Promise<number> {
    return this.prisma.webhookSubscription.count({ where: { ownerTokenId } });
  }

  async find(id: string): Promise<SubscriptionRecord | null> {
    const row = await this.prisma.webhookSubscription.findUnique({ where: { id }, include: subscriptionInclude });
    return row === null ? null : toSubscription(row);
  }

  /** All (owner undefined) or those of one token (null: the environment's admin token), oldest first. */
  async list(owner: { tokenId: string | null } | undefined): Promise<SubscriptionRecord[]> {
    const rows = await this.prisma.webhookSubscription.findMany({
      where: owner === undefined ? {} : { ownerTokenId: owner.tokenId },
      include: subscriptionInclude,
      orderBy: { id: 'asc' },
    });
    return rows.map(toSubscription);
  }

  async update(id: string, changes: SubscriptionChanges, at: Date): Promise<SubscriptionRecord | null> {
    const { enabled, ...fields } = changes;
    const state =
      enabled === undefined
        ? {}
        : enabled
          ? { disabledAt: null, disabledReason: null, failingSince: null }
          : { disabledAt: at, disabledReason: 'Disabled by its owner.' };
    try {
      return toSubscription(await this.prisma.webhookSubscription.update({ where: { id }, data: { ...fields, ...state }, include: subscriptionInclude }));
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2025') return null;
      throw error;
    }
  }

  /** Deletes it with its deliveries; false when there was none. */
  async delete(id: string): Promise<boolean> {
    return (await this.prisma.webhookSubscription.deleteMany({ where: { id } })).count === 1;
  }

  /** Newest first, before the cursor. */
  async deliveries(subscriptionId: string, query: { before: bigint | null; limit: number }): Promise<DeliveryRecord[]> {
    const rows = await this.prisma.webhookDelivery.findMany({
      where: { subscriptionId, ...(query.before !== null ? { id: { lt: query.before } } : {}) },
      include: {
        event: { select: { eventId: true, type: true, subject: true, occurredAt: true } },
        attemptLog: { orderBy: { id: 'desc' }, take: ATTEMPTS_SHOWN, select: { at: true, durationMs: true, statusCode: true, error: true } },
      },
      orderBy: { id: 'desc' },
      take: query.limit,
    });
    return rows.map((row) => ({
      deliveryId: row.deliveryId,
      sequence: row.id,
      state: row.state,
      attempts: row.attempts,
      nextAttemptAt: row.nextAttemptAt,
      deliveredAt: row.deliveredAt,
      createdAt: row.createdAt,
      redeliveryOf: row.redeliveryOf,
      event: row.event,
      recentAttempts: row.attemptLog,
    }));
  }

  /** Queues the event of a delivery again, at the end of the subscription's order. Null when the delivery is not the subscription's. */
  async redeliver(subscriptionId: string, deliveryId: string): Promise<string | null> {
    const original = await this.prisma.webhookDelivery.findFirst({ where: { subscriptionId, deliveryId }, select: { eventId: true } });
    if (original === null) return null;
    const created = await this.prisma.webhookDelivery.create({ data: { subscriptionId, eventId: original.eventId, redeliveryOf: deliveryId }, select: { deliveryId: true } });
    return created.deliveryId;
  }

  // The deliverer's side.

  /** Enabled subscriptions nobody holds whose oldest pending delivery is due. */
  async dueSubscriptions(limit: number): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      SELECT s.id FROM webhook_subscriptions s
      WHERE s.disabled_at IS NULL AND (s.leased_until IS NULL OR s.leased_until < now())
        AND (SELECT d.next_attempt_at FROM webhook_deliveries d
             WHERE d.subscription_id = s.id AND d.state = 'pending' ORDER BY d.id LIMIT 1) <= now()
      ORDER BY s.leased_until NULLS FIRST
      LIMIT ${limit}`;
    return rows.map((r) => r.id);
  }

  /** Takes the subscription for `leaseMs` unless another deliverer holds it. */
  async lease(subscriptionId: string, owner: string, leaseMs: number): Promise<boolean> {
    const taken = await this.prisma.$executeRaw`
      UPDATE webhook_subscriptions SET lease_owner = ${owner}, leased_until = now() + ${leaseMs} * interval '1 millisecond'
      WHERE id = ${subscriptionId}::uuid AND disabled_at IS NULL AND (leased_until IS NULL OR leased_until < now())`;
    return taken === 1;
  }

  async release(subscriptionId: string, owner: string): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE webhook_subscriptions SET lease_owner = NULL, leased_until = NULL WHERE id = ${subscriptionId}::uuid AND lease_owner = ${owner}`;
  }

  /** The oldest pending delivery of the subscription, if it is due. */
  async headDelivery(subscriptionId: string): Promise<DueDelivery | null> {
    const row = await this.prisma.webhookDelivery.findFirst({
      where: { subscriptionId, state: 'pending' },
      orderBy: { id: 'asc' },
      include: { subscription: { select: { id: true, url: true, secret: true } }, event: { select: { eventId: true, type: true, subject: true, occurredAt: true, data: true } } },
    });
    if (row === null || row.nextAttemptAt.getTime() > Date.now()) return null;
    return { id: row.id, deliveryId: row.deliveryId, attempts: row.attempts, subscription: row.subscription, event: row.event };
  }

  /**
   * Records one attempt and what follows from it, in one transaction: delivered,
   * or due again after `retryInMs`; the subscription's run of failures starts,
   * ends, or (past `disableAfterMs`) disables it with `disableReason`.
   */
  async recordAttempt(delivery: DueDelivery, attempt: AttemptRecord, retryInMs: number, disableAfterMs: number, disableReason: string): Promise<void> {
    await transaction(this.prisma, async (tx) => {
      await tx.webhookAttempt.create({ data: { deliveryId: delivery.id, ...attempt } });
      if (attempt.error === null) {
        await tx.webhookDelivery.update({ where: { id: delivery.id }, data: { state: 'delivered', attempts: { increment: 1 }, deliveredAt: attempt.at } });
        await tx.webhookSubscription.update({ where: { id: delivery.subscription.id }, data: { failingSince: null } });
        return;
      }
      await tx.$executeRaw`
        UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = now() + ${retryInMs} * interval '1 millisecond'
        WHERE id = ${delivery.id}`;
      await tx.$executeRaw`
        UPDATE webhook_subscriptions SET
          failing_since = coalesce(failing_since, ${attempt.at}),
          disabled_at = CASE WHEN coalesce(failing_since, ${attempt.at}) < now() - ${disableAfterMs} * interval '1 millisecond' THEN now() ELSE disabled_at END,
          disabled_reason = CASE WHEN coalesce(failing_since, ${attempt.at}) < now() - ${disableAfterMs} * interval '1 millisecond'
            THEN ${disableReason} || ' since ' || to_char(coalesce(failing_since, ${attempt.at}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ' (last: ' || ${attempt.error} || '). Fix the receiver, then enable it again (PATCH {"enabled": true}): nothing was dropped.'
            ELSE disabled_reason END
        WHERE id = ${delivery.subscription.id}::uuid`;
    });
  }
}

function toSubscription(row: SubscriptionRow): SubscriptionRecord {
  const { _count, leaseOwner: _owner, leasedUntil: _until, ...rest } = row;
  return { ...rest, pendingDeliveries: _count.deliveries };
}
