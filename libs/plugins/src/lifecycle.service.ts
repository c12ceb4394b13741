import { Inject, Injectable, Logger } from '@nestjs/common';
import { ADVISORY_ID_PATTERN } from '../../advisories/index.js';
import { actorOf, mayPublishTo, type Principal } from '../../auth/index.js';
import { BLOB_STORE, type BlobStore } from '../../blobs/index.js';
import { assertVersionPath, nameProblem, forbidden, invalidInput, notFound, RegistryError, type FieldProblem, textProblem } from '../../domain/index.js';
import { formatCoordinates, type VersionCoordinates, VersionsRepository, type VersionRefusal, type VersionStore } from '../../versions/index.js';
import { LifecycleRepository } from './lifecycle.repository.js';
import { PluginsRepository, type PluginRecord, type VersionRecord } from './plugins.repository.js';

export const MAX_REASON_LENGTH = 500;

/**
 * The rules of a plugin's life after publishing. Nothing is silently deleted:
 * a yanked version stays downloadable by version and digest (pinned deployments
 * keep working); only a version nobody can have pinned may be deleted, by an admin.
 */
@Injectable()
export class LifecycleService {
  private readonly logger = new Logger('Lifecycle');

  constructor(
    @Inject(LifecycleRepository) private readonly lifecycle: Pick<LifecycleRepository, 'setDeprecated'>,
    @Inject(VersionsRepository) private readonly versions: Pick<VersionStore, 'setYanked' | 'delete' | 'removeObjectUnlessRecorded'>,
    @Inject(PluginsRepository) private readonly plugins: Pick<PluginsRepository, 'findPlugin'>,
    @Inject(BLOB_STORE) private readonly blobs: Pick<BlobStore, 'remove'>,
  ) {}

  /** Returns the version as the commit left it, for the answer (see PluginsService.committedVersion). */
  async yank(principal: Principal, key: VersionCoordinates, body: unknown): Promise<VersionRecord> {
    assertVersionPath(key);
    const yank = yankBody(body);
    this.assertMayManage(principal, key.namespace);
    const outcome = await this.versions.setYanked(key, yank, actorOf(principal), new Date());
    if (typeof outcome === 'string') return this.refusal(key, outcome, 'yanked');
    return outcome;
  }

  async unyank(principal: Principal, key: VersionCoordinates): Promise<VersionRecord> {
    assertVersionPath(key);
    this.assertMayManage(principal, key.namespace);
    const outcome = await this.versions.setYanked(key, null, actorOf(principal), new Date());
    if (typeof outcome === 'string') return this.refusal(key, outcome, 'un-yanked');
    return outcome;
  }

  /** Returns the plugin as the commit left it, for the answer. */
  async deprecate(principal: Principal, namespace: string, plugin: string, body: unknown): Promise<PluginRecord | null> {
    assertPluginKey(namespace, plugin);
    const message = optionalText(body, 'message');
    if (message === null || message.trim() === '') {
      throw invalidInput([{ field: 'body.message', message: `is required: say why, and what to use instead (1 to ${MAX_REASON_LENGTH} characters)` }]);
    }
    this.assertMayManage(principal, namespace);
    const before = await this.plugins.findPlugin(namespace, plugin);
    const at = new Date();
    if (!(await this.lifecycle.setDeprecated(namespace, plugin, { message: message.trim() }, actorOf(principal), at))) {
      throw notFound('plugin_not_found', `no plugin named ${namespace}/${plugin}`);
    }
    return before && { ...before, deprecatedAt: before.deprecatedAt ?? at, deprecationMessage: message.trim() };
  }

  async undeprecate(principal: Principal, namespace: string, plugin: string): Promise<PluginRecord | null> {
    assertPluginKey(namespace, plugin);
    this.assertMayManage(principal, namespace);
    const before = await this.plugins.findPlugin(namespace, plugin);
    if (!(await this.lifecycle.setDeprecated(namespace, plugin, null, actorOf(principal), new Date()))) {
      throw notFound('plugin_not_found', `no plugin named ${namespace}/${plugin}`);
    }
    return before && { ...before, deprecatedAt: null, deprecationMessage: null };
  }

  /** Admin only (the guard checks): deletes a version that was never downloaded, and its module if no other version uses it. */
  async deleteVersion(principal: Principal, key: VersionCoordinates): Promise<void> {
    assertVersionPath(key);
    const result = await this.versions.delete(key, actorOf(principal));
    if (typeof result === 'string') return this.refusal(key, result, 'deleted');
    this.logger.log(`deleted ${formatCoordinates(key)} (${result.digest}) for ${principal.tokenName}`);
    if (result.blobOrphaned) {
      await this.versions
        .removeObjectUnlessRecorded(result.digest, () => this.blobs.remove(result.digest))
        .catch((error: unknown) => this.logger.error(`could not remove the module ${result.digest}: ${String(error)}`));
    }
  }

  private assertMayManage(principal: Principal, namespace: string): void {
    if (!mayPublishTo(principal, namespace)) throw forbidden(`token "${principal.tokenName}" may not manage plugins of namespace "${namespace}"`);
  }

  private async refusal(key: VersionCoordinates, refusal: VersionRefusal, verb: string): Promise<never> {
    const name = formatCoordinates(key);
    switch (refusal) {
      case 'not_found':
        throw (await this.plugins.findPlugin(key.namespace, key.plugin)) === null
          ? notFound('plugin_not_found', `no plugin named ${key.namespace}/${key.plugin}`)
          : notFound('version_not_found', `${key.namespace}/${key.plugin} has no version ${key.version}`);
      case 'not_ready':
        throw new RegistryError(409, 'version_not_ready', 'Version not ready', `${name} cannot be ${verb}: only ready versions are yanked (rejected and failed ones are never served by version)`);
      case 'pending':
        throw new RegistryError(409, 'version_pending', 'Version pending', `${name} cannot be ${verb} while the pipeline is processing it; try again once it has left "pending"`);
      case 'advisory_not_found':
        throw invalidInput([{ field: 'body.advisory', message: `is not an advisory of ${key.namespace}/${key.plugin} (GET /api/v1/plugins/${key.namespace}/${key.plugin}/advisories lists them)` }]);
      case 'downloaded':
        throw new RegistryError(
          409,
          'version_in_use',
          'Version in use',
          `${name} has been downloaded, so deployments may pin it: it cannot be deleted. Yank it instead (PUT …/versions/${key.version}/yank): it stops being "latest" and stays downloadable.`,
        );
    }
  }
}

function assertPluginKey(namespace: string, plugin: string): void {
  const problems = [nameProblem('path.namespace', namespace), nameProblem('path.name', plugin)].filter((p): p is FieldProblem => p !== null);
  if (problems.length > 0) throw invalidInput(problems);
}


/** A yank's optional body: {"reason": "…", "advisory": "WPR-…"}. */
function yankBody(body: unknown): { reason: string; advisoryId: string | null } {
  const reason = optionalText(body, 'reason', ['advisory']) ?? '';
  const advisory = body !== null && typeof body === 'object' ? (body as Record<string, unknown>).advisory : undefined;
  if (advisory === undefined || advisory === null) return { reason, advisoryId: null };
  if (typeof advisory !== 'string' || !ADVISORY_ID_PATTERN.test(advisory)) {
    throw invalidInput([{ field: 'body.advisory', message: 'must be the id of one of the plugin\'s advisories, such as WPR-2345-6789-cfgh' }]);
  }
  return { reason, advisoryId: advisory };
}

/** A string field of an optional JSON object body; null when absent. `others` are fields read elsewhere. */
function optionalText(body: unknown, field: string, others: readonly string[] = []): string | null {
  if (body === undefined || body === null || body === '') return null;
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidInput([{ field: 'body', message: `must be a JSON object such as {"${field}": "…"}` }]);
  const known = [field, ...others];
  const unknown = Object.keys(body).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw invalidInput(unknown.map((k) => ({ field: `body.${k}`, message: `is not a known field; the fields are ${known.map((k) => `"${k}"`).join(', ')}` })));
  const value = (body as Record<string, unknown>)[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length > MAX_REASON_LENGTH) {
    throw invalidInput([{ field: `body.${field}`, message: `must be a string of at most ${MAX_REASON_LENGTH} characters` }]);
  }
  const problem = textProblem(`body.${field}`, value, 'lines');
  if (problem !== null) throw invalidInput([problem]);
  return value;
}
