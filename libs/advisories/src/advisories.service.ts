import { Inject, Injectable } from '@nestjs/common';
import { actorOf, mayPublishTo, type Principal } from '../../auth/index.js';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import { assertNames, forbidden, invalidInput, notFound, RegistryError, textProblem, type FieldProblem } from '../../domain/index.js';
import { ADVISORY_ID_PATTERN, newAdvisoryId, parseAdvisoryContent } from './advisory.js';
import { AdvisoriesRepository, type AdvisoryBrief, type AdvisoryRecord, type AdvisoryRefusal } from './advisories.repository.js';
import { toOsv, type OsvRecord } from './osv.js';

export const FEED_PAGE_DEFAULT = 100;
export const FEED_PAGE_MAX = 500;
export const MAX_WITHDRAWAL_REASON_LENGTH = 500;

export interface FeedPage {
  advisories: OsvRecord[];
  nextCursor: string | null;
}

/**
 * The rules of advisories: who may publish (the plugin's publishers and
 * admins), what a valid one is, and how they are served (OSV records).
 */
@Injectable()
export class AdvisoriesService {
  constructor(
    @Inject(AdvisoriesRepository) private readonly advisories: Pick<AdvisoriesRepository, 'find' | 'findPluginId' | 'listForPlugin' | 'feed' | 'create' | 'update' | 'withdraw' | 'activeForVersions'>,
    @Inject(REGISTRY_CONFIG) private readonly config: Pick<RegistryConfig, 'publicUrl'>,
  ) {}

  async publish(principal: Principal, namespace: string, plugin: string, body: unknown): Promise<OsvRecord> {
    assertPluginKey(namespace, plugin);
    this.assertMayManage(principal, namespace);
    const content = parseAdvisoryContent(body, false);
    const pluginId = await this.advisories.findPluginId(namespace, plugin);
    if (pluginId === null) throw notFound('plugin_not_found', `no plugin named ${namespace}/${plugin}`);
    return this.osv(await this.advisories.create(pluginId, newAdvisoryId(), content, actorOf(principal), new Date()));
  }

  async update(principal: Principal, id: string, body: unknown): Promise<OsvRecord> {
    await this.existingManaged(principal, id);
    const changes = parseAdvisoryContent(body, true);
    return this.osv(this.settled(id, await this.advisories.update(id, changes, actorOf(principal), new Date())));
  }

  async withdraw(principal: Principal, id: string, body: unknown): Promise<OsvRecord> {
    await this.existingManaged(principal, id);
    const reason = withdrawalReason(body);
    return this.osv(this.settled(id, await this.advisories.withdraw(id, reason, actorOf(principal), new Date())));
  }

  async get(id: string): Promise<OsvRecord> {
    return this.osv(await this.existing(id));
  }

  async listForPlugin(namespace: string, plugin: string): Promise<OsvRecord[]> {
    assertPluginKey(namespace, plugin);
    const pluginId = await this.advisories.findPluginId(namespace, plugin);
    if (pluginId === null) throw notFound('plugin_not_found', `no plugin named ${namespace}/${plugin}`);
    return (await this.advisories.listForPlugin(pluginId)).map((a) => this.osv(a));
  }

  /** Every advisory in order of change, withdrawn ones too: `modifiedSince` and the cursor let a mirror follow. */
  async feed(query: { modifiedSince?: string | undefined; cursor?: string | undefined; limit?: string | undefined }): Promise<FeedPage> {
    const problems: FieldProblem[] = [];
    let modifiedSince: Date | null = null;
    if (query.modifiedSince !== undefined) {
      modifiedSince = new Date(query.modifiedSince);
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(query.modifiedSince) || Number.isNaN(modifiedSince.getTime())) {
        problems.push({ field: 'query.modifiedSince', message: 'must be an RFC 3339 timestamp such as 2026-12-01T00:00:00Z' });
      }
    }
    const limit = query.limit === undefined ? FEED_PAGE_DEFAULT : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > FEED_PAGE_MAX) problems.push({ field: 'query.limit', message: `must be an integer from 1 to ${FEED_PAGE_MAX}` });
    const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
    if (after === undefined) problems.push({ field: 'query.cursor', message: 'is not a cursor returned by this endpoint' });
    if (problems.length > 0) throw invalidInput(problems);
    const rows = await this.advisories.feed({ modifiedSince, after: after ?? null, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { advisories: page.map((a) => this.osv(a)), nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last) : null };
  }

  /** The advisories in force on each version (for version pages, lists and scans). */
  activeForVersions(versionIds: readonly string[]): Promise<Map<string, AdvisoryBrief[]>> {
    return this.advisories.activeForVersions(versionIds);
  }

  private osv(advisory: AdvisoryRecord): OsvRecord {
    return toOsv(advisory, this.config.publicUrl);
  }

  private async existing(id: string): Promise<AdvisoryRecord> {
    if (!ADVISORY_ID_PATTERN.test(id)) throw invalidInput([{ field: 'path.id', message: 'must be an advisory id such as WPR-2345-6789-cfgh' }]);
    const advisory = await this.advisories.find(id);
    if (advisory === null) throw notFound('advisory_not_found', `no advisory ${id}`);
    return advisory;
  }

  private async existingManaged(principal: Principal, id: string): Promise<AdvisoryRecord> {
    const advisory = await this.existing(id);
    this.assertMayManage(principal, advisory.namespace);
    return advisory;
  }

  private settled(id: string, outcome: AdvisoryRecord | AdvisoryRefusal): AdvisoryRecord {
    if (outcome === 'not_found') throw notFound('advisory_not_found', `no advisory ${id}`);
    if (outcome === 'withdrawn') throw new RegistryError(409, 'advisory_withdrawn', 'Advisory withdrawn', `${id} is withdrawn; a withdrawn advisory is not changed again (publish a new one)`);
    return outcome;
  }

  private assertMayManage(principal: Principal, namespace: string): void {
    if (!mayPublishTo(principal, namespace)) throw forbidden(`token "${principal.tokenName}" may not publish advisories for namespace "${namespace}"`);
  }
}

const assertPluginKey = (namespace: string, plugin: string): void => assertNames({ 'path.namespace': namespace, 'path.name': plugin });

function withdrawalReason(body: unknown): string {
  const rule = `must be a JSON object {"reason": "…"} saying why (1 to ${MAX_WITHDRAWAL_REASON_LENGTH} characters)`;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidInput([{ field: 'body', message: rule }]);
  const extra = Object.keys(body).filter((k) => k !== 'reason');
  if (extra.length > 0) throw invalidInput(extra.map((k) => ({ field: `body.${k}`, message: 'is not a known field; the only field is "reason"' })));
  const reason = (body as { reason?: unknown }).reason;
  if (typeof reason !== 'string' || reason.trim() === '' || reason.length > MAX_WITHDRAWAL_REASON_LENGTH) throw invalidInput([{ field: 'body.reason', message: rule }]);
  const problem = textProblem('body.reason', reason, 'lines');
  if (problem !== null) throw invalidInput([problem]);
  return reason.trim();
}

const encodeCursor = (a: AdvisoryRecord): string => Buffer.from(JSON.stringify([a.modifiedAt.toISOString(), a.id])).toString('base64url');

/** The position a cursor names; undefined when it is none of ours. */
function decodeCursor(cursor: string): { modifiedAt: Date; id: string } | undefined {
  if (cursor.length > 200) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string' || typeof value[1] !== 'string' || !ADVISORY_ID_PATTERN.test(value[1])) return undefined;
    const modifiedAt = new Date(value[0]);
    return Number.isNaN(modifiedAt.getTime()) ? undefined : { modifiedAt, id: value[1] };
  } catch {
    return undefined;
  }
}
