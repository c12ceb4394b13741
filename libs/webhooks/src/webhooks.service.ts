import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../../auth/index.js';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import { forbidden, invalidInput, nameProblem, notFound, RegistryError, textProblem, type FieldProblem } from '../../domain/index.js';
import { newWebhookSecret } from './cloud-event.js';
import { hostProblem } from './target-address.js';
import { WEBHOOK_EVENT_TYPES } from './webhook-events.js';
import { WebhooksRepository, type DeliveryRecord, type SubscriptionChanges, type SubscriptionRecord } from './webhooks.repository.js';

export const MAX_SUBSCRIPTIONS_PER_OWNER = 25;
export const MAX_URL_LENGTH = 2_048;
export const MAX_DESCRIPTION_LENGTH = 200;
export const DELIVERIES_PAGE_DEFAULT = 20;
export const DELIVERIES_PAGE_MAX = 100;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FIELDS = ['url', 'events', 'namespaces', 'description', 'enabled'] as const;

/**
 * The rules of webhook subscriptions: an admin's may follow every namespace,
 * a namespace token's only namespaces it may publish to; only the token that
 * created one (or an admin) sees and changes it; targets pass the SSRF guard.
 */
@Injectable()
export class WebhooksService {
  constructor(
    @Inject(WebhooksRepository) private readonly webhooks: Pick<WebhooksRepository, 'create' | 'countOwnedBy' | 'find' | 'list' | 'update' | 'delete' | 'deliveries' | 'redeliver'>,
    @Inject(REGISTRY_CONFIG) private readonly config: Pick<RegistryConfig, 'webhooks'>,
  ) {}

  async create(principal: Principal, body: unknown): Promise<SubscriptionRecord> {
    const fields = readBody(body, ['url', 'events', 'namespaces', 'description']);
    const problems: FieldProblem[] = [];
    for (const field of ['url', 'events'] as const) if (fields[field] === undefined) problems.push({ field: `body.${field}`, message: 'is required' });
    const draft = await this.check(principal, fields, problems);
    const ownerTokenId = ownerOf(principal);
    if ((await this.webhooks.countOwnedBy(ownerTokenId)) >= MAX_SUBSCRIPTIONS_PER_OWNER) {
      throw new RegistryError(409, 'too_many_webhooks', 'Too many webhooks', `token "${principal.tokenName}" has ${MAX_SUBSCRIPTIONS_PER_OWNER} webhook subscriptions already; delete one first`);
    }
    return this.webhooks.create({
      url: draft.url!,
      events: draft.events!,
      namespaces: draft.namespaces ?? (principal.admin ? [] : [...principal.namespaces].sort()),
      description: draft.description ?? '',
      secret: newWebhookSecret(),
      ownerTokenId,
      ownerName: principal.tokenName,
      ownerAdmin: principal.admin,
    });
  }

  list(principal: Principal): Promise<SubscriptionRecord[]> {
    return this.webhooks.list(principal.admin ? undefined : { tokenId: ownerOf(principal) });
  }

  get(principal: Principal, id: string): Promise<SubscriptionRecord> {
    return this.owned(principal, id);
  }

  async update(principal: Principal, id: string, body: unknown): Promise<SubscriptionRecord> {
    await this.owned(principal, id);
    const fields = readBody(body, FIELDS);
    const problems: FieldProblem[] = [];
    if (Object.keys(fields).length === 0) problems.push({ field: 'body', message: `names nothing to change; give at least one of ${FIELDS.join(', ')}` });
    const changes: SubscriptionChanges = await this.check(principal, fields, problems);
    const updated = await this.webhooks.update(id, changes, new Date());
    if (updated === null) throw notFound('webhook_not_found', `no webhook subscription ${id}`);
    return updated;
  }

  async delete(principal: Principal, id: string): Promise<void> {
    await this.owned(principal, id);
    await this.webhooks.delete(id);
  }

  async deliveries(principal: Principal, id: string, query: { cursor?: string | undefined; limit?: string | undefined }): Promise<{ items: DeliveryRecord[]; nextCursor: string | null }> {
    await this.owned(principal, id);
    const problems: FieldProblem[] = [];
    const limit = query.limit === undefined ? DELIVERIES_PAGE_DEFAULT : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > DELIVERIES_PAGE_MAX) problems.push({ field: 'query.limit', message: `must be an integer from 1 to ${DELIVERIES_PAGE_MAX}` });
    if (query.cursor !== undefined && !/^[1-9]\d{0,17}$/.test(query.cursor)) problems.push({ field: 'query.cursor', message: 'is not a cursor returned by this endpoint' });
    if (problems.length > 0) throw invalidInput(problems);
    const rows = await this.webhooks.deliveries(id, { before: query.cursor === undefined ? null : BigInt(query.cursor), limit: limit + 1 });
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? items.at(-1)!.sequence.toString() : null };
  }

  async redeliver(principal: Principal, id: string, deliveryId: string): Promise<string> {
    await this.owned(principal, id);
    if (!UUID.test(deliveryId)) throw invalidInput([{ field: 'path.deliveryId', message: 'must be a delivery id (a UUID) from the deliveries list' }]);
    const created = await this.webhooks.redeliver(id, deliveryId);
    if (created === null) throw notFound('delivery_not_found', `webhook subscription ${id} has no delivery ${deliveryId}`);
    return created;
  }

  private async owned(principal: Principal, id: string): Promise<SubscriptionRecord> {
    if (!UUID.test(id)) throw invalidInput([{ field: 'path.id', message: 'must be a webhook subscription id (a UUID)' }]);
    const subscription = await this.webhooks.find(id);
    // Another token's subscription is as good as absent: its existence is not the caller's business.
    if (subscription === null || !(principal.admin || subscription.ownerTokenId === ownerOf(principal))) throw notFound('webhook_not_found', `no webhook subscription ${id}`);
    return subscription;
  }

  /** Checks the given fields; throws every problem at once. */
  private async check(principal: Principal, fields: Record<string, unknown>, problems: FieldProblem[]): Promise<SubscriptionChanges> {
    const changes: SubscriptionChanges = {};
    if (fields.url !== undefined) {
      const url = fields.url;
      if (typeof url !== 'string' || url.length > MAX_URL_LENGTH || !URL.canParse(url) || !['http:', 'https:'].includes(new URL(url).protocol)) {
        problems.push({ field: 'body.url', message: `must be an http(s) URL of at most ${MAX_URL_LENGTH} characters` });
      } else if (new URL(url).username !== '' || new URL(url).password !== '') {
        problems.push({ field: 'body.url', message: 'must not carry credentials: deliveries are authenticated by their signature' });
      } else {
        const problem = await hostProblem(new URL(url).hostname, this.config.webhooks.allowPrivateTargets);
        if (problem !== null) problems.push({ field: 'body.url', message: `is refused: ${problem}. Webhooks call public addresses only (WEBHOOK_ALLOW_PRIVATE_TARGETS=true allows others)` });
        else changes.url = url;
      }
    }
    if (fields.events !== undefined) {
      const events = fields.events;
      const known = WEBHOOK_EVENT_TYPES as readonly string[];
      if (!Array.isArray(events) || events.length === 0 || events.some((e) => typeof e !== 'string' || !known.includes(e))) {
        problems.push({ field: 'body.events', message: `must be a non-empty array of ${WEBHOOK_EVENT_TYPES.join(', ')}` });
      } else changes.events = [...new Set(events as string[])].sort();
    }
    if (fields.namespaces !== undefined) {
      const namespaces = fields.namespaces;
      if (!Array.isArray(namespaces) || namespaces.length > 100 || namespaces.some((n) => typeof n !== 'string')) {
        problems.push({ field: 'body.namespaces', message: 'must be an array of at most 100 namespace names' });
      } else {
        namespaces.forEach((name: string, i) => {
          const problem = nameProblem(`body.namespaces[${i}]`, name);
          if (problem !== null) problems.push(problem);
        });
        if (!principal.admin && namespaces.length === 0) problems.push({ field: 'body.namespaces', message: 'must name at least one namespace: following every namespace needs an admin token' });
        const foreign = (namespaces as string[]).filter((n) => !principal.admin && !principal.namespaces.has(n));
        if (foreign.length > 0) throw forbidden(`token "${principal.tokenName}" may not follow namespace${foreign.length > 1 ? 's' : ''} ${foreign.join(', ')}`);
        changes.namespaces = [...new Set(namespaces as string[])].sort();
      }
    }
    if (fields.description !== undefined) {
      const description = fields.description;
      if (typeof description !== 'string' || description.length > MAX_DESCRIPTION_LENGTH) problems.push({ field: 'body.description', message: `must be a string of at most ${MAX_DESCRIPTION_LENGTH} characters` });
      else {
        const problem = textProblem('body.description', description, 'line');
        if (problem !== null) problems.push(problem);
        else changes.description = description;
      }
    }
    if (fields.enabled !== undefined) {
      if (typeof fields.enabled !== 'boolean') problems.push({ field: 'body.enabled', message: 'must be true or false' });
      else changes.enabled = fields.enabled;
    }
    if (problems.length > 0) throw invalidInput(problems);
    return changes;
  }
}

/** Subscriptions are owned by a stored token; the environment's admin token has no row (null). */
function ownerOf(principal: Principal): string | null {
  return UUID.test(principal.tokenId) ? principal.tokenId : null;
}

function readBody(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidInput([{ field: 'body', message: `must be a JSON object with ${allowed.join(', ')}` }]);
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw invalidInput(unknown.map((k) => ({ field: `body.${k}`, message: `is not a known field; the fields are ${allowed.join(', ')}` })));
  return body as Record<string, unknown>;
}
