import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { instruments } from '../../telemetry/index.js';
import type { Readable } from 'node:stream';
import { actorOf, mayPublishTo, type Principal } from '../../auth/index.js';
import { BLOB_STORE, moduleTooLarge, type BlobStore, type ReceivedUpload } from '../../blobs/index.js';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import { assertVersionPath, type AuditActor, digestProblem, nameProblem, parsePluginMetadata, type PluginMetadata, forbidden, invalidInput, notFound, RegistryError, type FieldProblem } from '../../domain/index.js';
import {
  formatCoordinates,
  type DeletedVersionRecord,
  type PushedImageManifest,
  type VersionCoordinates,
  type VersionRecord,
  VersionsRepository,
  type VersionStore,
} from '../../versions/index.js';
import { PluginsRepository, type NamespaceRecord, type PluginRecord, type PublishTransaction } from './plugins.repository.js';
import { afterCommit } from '../../http/index.js';
import { OutboxDispatcher } from '../../pipeline/index.js';
import { readContract, type ContractParts, type VersionContract } from '../../contract/index.js';
import { readDeclaredDependencies, type DependencyFile } from '../../sbom/index.js';
import { ContractsService } from './contracts.service.js';
import { PUSHED_MODULES, type PushedModules } from './pushed-modules.js';

export type { VersionCoordinates };

/** How the controller hands over the request body, whatever its encoding. */
export interface PublishRequest {
  /** Content-Length of the whole body, when the client sent one. */
  declaredLength: number | null;
  /**
   * Reads the body: hands the module stream to `receiveModule` once and
   * returns what came beside it, each part read under its byte limit.
   */
  read(receiveModule: (module: Readable) => Promise<void>): Promise<PublishParts>;
}

/** What a publish carries beside the module (multipart); empty for a bare application/wasm body. */
export interface PublishParts {
  /** Lockfiles and purl lists; null when the body was not multipart. */
  dependencyFiles: DependencyFile[] | null;
  /** The manifest (ours, a Higress spec.yaml or a Kong meta.json), README and schema parts. */
  contract: ContractParts;
  /** The `moduleDigest` field: the module was pushed before as an OCI blob of this plugin's repository. */
  moduleDigest?: string;
}

export const NO_PUBLISH_PARTS: PublishParts = { dependencyFiles: null, contract: {} };

/** What is recorded with a new version beside its module. */
export interface PublishExtras {
  declaredDependencies: object | null;
  contract: VersionContract | null;
  /** Plugin metadata from the manifest: applied unless a higher version exists. */
  metadata: PluginMetadata | null;
  /** The image manifest an OCI push carried: kept byte for byte as the version's module image. */
  pushedManifest?: PushedImageManifest | null;
}

export const NO_EXTRAS: PublishExtras = { declaredDependencies: null, contract: null, metadata: null };

export interface PublishResult {
  version: VersionRecord;
  /** False when identical bytes were already published under this version. */
  created: boolean;
}

/** The rules of publishing: who may publish where, and that versions never change. */
@Injectable()
export class PublishService {
  private readonly logger = new Logger('Publish');

  constructor(
    private readonly plugins: PluginsRepository,
    @Inject(VersionsRepository) private readonly versions: Pick<VersionStore, 'retry' | 'removeObjectUnlessRecorded'>,
    private readonly dispatcher: OutboxDispatcher,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    @Inject(ContractsService) private readonly contracts: Pick<ContractsService, 'prepare'>,
    @Optional() @Inject(PUSHED_MODULES) private readonly pushed: PushedModules | null = null,
  ) {}

  /**
   * Everything that can be refused before a byte of the body is read: names,
   * version syntax, rights, and a declared length over the limit.
   */
  async checkBeforeUpload(principal: Principal, target: VersionCoordinates, declaredLength: number | null): Promise<void> {
    assertVersionPath(target);
    await this.assertMayPublish(principal, target.namespace);
    // Checked again under the version's lock; here it saves reading a module that will be refused.
    const deleted = await this.plugins.findDeletedVersion(target.namespace, target.plugin, target.version);
    if (deleted !== null) throw versionDeleted(target, deleted);
    if (declaredLength !== null && declaredLength > this.config.maxModuleSize) {
      throw moduleTooLarge(this.config.maxModuleSize);
    }
  }

  /**
   * Stores the module, then records the version with its pipeline work. The
   * blob is durable in storage before the version row commits; if anything
   * fails, neither is left behind.
   */
  async publish(principal: Principal, target: VersionCoordinates, request: PublishRequest): Promise<PublishResult> {
    try {
      await this.checkBeforeUpload(principal, target, request.declaredLength);
    } catch (error) {
      countPublish('http', 'refused');
      throw error;
    }
    let received: ReceivedUpload | null = null;
    let extras: PublishExtras;
    try {
      const parts = await request.read(async (module) => {
        if (received !== null) throw invalidInput([{ field: 'body.module', message: 'send exactly one module' }]);
        received = await this.blobs.receive(module, this.config.maxModuleSize);
      });
      if (parts.moduleDigest !== undefined) {
        if (received !== null) throw invalidInput([{ field: 'body.moduleDigest', message: 'send the module as a part or name it by digest, not both' }]);
        received = await this.adoptPushedModule(target, parts.moduleDigest);
      }
      if (received === null) {
        throw invalidInput([{ field: 'body.module', message: 'the WebAssembly module is missing (a file part named "module", or a "moduleDigest" field naming a blob pushed over OCI)' }]);
      }
      extras = await this.readExtras(parts, target);
    } catch (error) {
      countPublish('http', 'refused');
      if (received !== null) await this.blobs.discard(received).catch(() => undefined);
      throw error;
    }
    try {
      return await this.record(principal, target, received, extras);
    } finally {
      await this.blobs.discard(received).catch(() => undefined);
    }
  }

  /**
   * The parts beside the module, parsed and checked before anything is
   * recorded: declared dependencies, and the contract (schema against its
   * meta-schema, examples against the schema, README rendered) off the event loop.
   */
  async readExtras(parts: PublishParts, target: VersionCoordinates): Promise<PublishExtras> {
    const declaredDependencies = parts.dependencyFiles === null ? null : await readDeclaredDependencies(parts.dependencyFiles, 'body.dependencies');
    const draft = readContract(parts.contract, target.version, `${target.namespace}/${target.plugin}`);
    if (draft === null) return { declaredDependencies, contract: null, metadata: null };
    return { declaredDependencies, contract: await this.contracts.prepare(draft), metadata: draft.metadata };
  }

  /**
   * Records a received module as a new version, whichever way it came in (call
   * checkBeforeUpload first): its
   * blob is moved into place and the version row commits with its pipeline work,
   * or neither is left behind. Returns the existing version for identical bytes.
   */
  async record(principal: Principal, target: VersionCoordinates, upload: ReceivedUpload, extras: PublishExtras = NO_EXTRAS): Promise<PublishResult> {
    const via = extras.pushedManifest === undefined || extras.pushedManifest === null ? 'http' : 'oci';
    // Across retried attempts of the transaction: an object this publish moved into place.
    let promotedNewObject = false;
    let result: PublishResult;
    try {
      result = await this.plugins.transaction(async (tx) => {
        await tx.versions.lockVersion(target);
        await tx.versions.lockDigest(upload.digest);
        const actor = actorOf(principal);
        const namespace = (await tx.findNamespace(target.namespace)) ?? (await tx.createNamespace(target.namespace, actor));
        const { quotas } = this.config;
        const plugin = await this.lockedPlugin(tx, namespace, target.plugin, actor);
        const deleted = await tx.versions.findDeletedVersion(plugin.id, target.version);
        if (deleted !== null) throw versionDeleted(target, deleted);
        const existing = await tx.versions.findVersion(plugin.id, target.version);
        if (existing !== null) {
          if (existing.digest === upload.digest) return { version: existing, created: false };
          throw versionConflict(target, existing.digest, upload.digest);
        }
        if (!(await tx.versions.mayAddVersion(plugin.id, quotas.versionsPerPlugin))) throw versionQuotaExceeded(target, quotas.versionsPerPlugin);
        const hadBlobRecord = await tx.versions.blobExists(upload.digest);
        // Idempotent: an attempt run again after a deadlock finds the object in place.
        const promoted = await this.blobs.promote(upload);
        promotedNewObject ||= promoted.created && !hadBlobRecord;
        const version = await tx.versions.create(actor, {
          pluginId: plugin.id,
          version: target.version,
          digest: upload.digest,
          size: upload.size,
          storageKey: promoted.storageKey,
          declaredDependencies: extras.declaredDependencies,
          contract: extras.contract,
          pushedManifest: extras.pushedManifest ?? null,
        });
        if (extras.metadata !== null) {
          await tx.applyManifestMetadata({ id: plugin.id, namespace: target.namespace, name: target.plugin }, target.version, extras.metadata, actor);
        }
        return { version, created: true };
      });
    } catch (error) {
      countPublish(via, 'refused');
      if (promotedNewObject) await this.removeUnrecordedBlob(upload.digest);
      throw error;
    }
    countPublish(via, result.created ? 'created' : 'unchanged');
    // Committed: nothing from here on may fail the request (the outbox poll hands the job over anyway).
    if (result.created) {
      this.logger.log(`published ${formatCoordinates(target)} ${upload.digest} (${upload.size} bytes)`);
      await afterCommit(this.logger, 'handing the new version to the queue', () => this.dispatcher.kick());
    }
    return result;
  }

  /**
   * Puts a version that is not ready (pending, failed or rejected) through the
   * pipeline again (admin): whatever was lost or went wrong, this gets it moving.
   */
  async retry(principal: Principal, target: VersionCoordinates): Promise<VersionRecord> {
    assertVersionPath(target);
    const retried = await this.versions.retry(target, actorOf(principal));
    if (retried === 'not_found') throw notFound('version_not_found', `no version ${formatCoordinates(target)}`);
    if (retried === 'ready') {
      // The code predates retrying pending and rejected versions; clients match on it.
      throw new RegistryError(409, 'version_not_failed', 'Version ready', `${formatCoordinates(target)} is ready; only versions that are not ready (pending, failed or rejected) are retried`);
    }
    this.logger.log(`retrying ${formatCoordinates(target)}`);
    await afterCommit(this.logger, 'handing the retried version to the queue', () => this.dispatcher.kick());
    return retried;
  }

  /** Creates or replaces a plugin's metadata. */
  async savePluginMetadata(principal: Principal, namespace: string, name: string, input: unknown): Promise<{ plugin: PluginRecord; created: boolean }> {
    const problems = [nameProblem('path.namespace', namespace), nameProblem('path.name', name)].filter((p): p is FieldProblem => p !== null);
    if (problems.length > 0) throw invalidInput(problems);
    await this.assertMayPublish(principal, namespace);
    const metadata = parsePluginMetadata(input);
    const saved = await this.plugins.savePlugin(namespace, name, metadata, actorOf(principal), this.config.quotas.pluginsPerNamespace);
    if (saved === 'plugin_quota_exceeded') throw pluginQuotaExceeded(namespace, this.config.quotas.pluginsPerNamespace);
    return saved;
  }

  /**
   * Makes sure the plugin exists before something is pushed into it by digest
   * (an index, a signature), under the rules a publish follows: rights, the
   * namespace, the plugin quota.
   */
  async ensurePlugin(principal: Principal, namespace: string, name: string): Promise<void> {
    await this.assertMayPublish(principal, namespace);
    await this.plugins.transaction(async (tx) => {
      const actor = actorOf(principal);
      const ns = (await tx.findNamespace(namespace)) ?? (await tx.createNamespace(namespace, actor));
      await this.lockedPlugin(tx, ns, name, actor);
    });
  }

  /** The plugin, its row locked; one that does not exist yet is created if the namespace's plugin quota allows. */
  private async lockedPlugin(tx: PublishTransaction, namespace: NamespaceRecord, name: string, actor: AuditActor): Promise<{ id: string }> {
    const existing = await tx.lockExistingPlugin(namespace, name);
    if (existing !== null) return existing;
    const max = this.config.quotas.pluginsPerNamespace;
    if (!(await tx.mayAddPlugin(namespace, max))) throw pluginQuotaExceeded(namespace.name, max);
    return tx.ensurePlugin(namespace, name, actor);
  }

  /** The rule of publishing into a namespace, for other ways in (OCI push): 403 or 404 when refused. */
  async checkMayPublish(principal: Principal, namespace: string): Promise<void> {
    await this.assertMayPublish(principal, namespace);
  }

  /** Only an admin may create a namespace, which the first publish into it does. */
  private async assertMayPublish(principal: Principal, namespace: string): Promise<void> {
    if (!mayPublishTo(principal, namespace)) {
      throw forbidden(`token "${principal.tokenName}" may not publish into namespace "${namespace}"`);
    }
    if (!principal.admin && (await this.plugins.findNamespace(namespace)) === null) {
      throw notFound('namespace_not_found', `no namespace named "${namespace}"`);
    }
  }

  /** After a failed publish: delete the object it promoted unless a committed blob record now points at it. */
  /** A module pushed before as an OCI blob of this plugin's repository (a resumable, chunked upload). */
  private async adoptPushedModule(target: VersionCoordinates, digest: string): Promise<ReceivedUpload> {
    const problem = digestProblem('body.moduleDigest', digest);
    if (problem !== null) throw invalidInput([problem]);
    const adopted = this.pushed === null ? null : await this.pushed.adopt({ namespace: target.namespace, plugin: target.plugin }, digest);
    if (adopted === null) {
      throw invalidInput([
        {
          field: 'body.moduleDigest',
          message: `no blob ${digest} was pushed to ${target.namespace}/${target.plugin}: upload it first (POST, PATCH and PUT /v2/${target.namespace}/${target.plugin}/blobs/uploads/), or send the module as the "module" part`,
        },
      ]);
    }
    return adopted;
  }

  private async removeUnrecordedBlob(digest: string): Promise<void> {
    try {
      await this.versions.removeObjectUnlessRecorded(digest, () => this.blobs.remove(digest));
    } catch (error) {
      this.logger.error(`could not remove unrecorded blob ${digest}: ${String(error)}`);
    }
  }
}

/** As in npm, a deleted number stays burned: a pinned name@version never comes to mean other bytes. */
function versionDeleted(target: VersionCoordinates, deleted: DeletedVersionRecord): RegistryError {
  return new RegistryError(
    409,
    'version_deleted',
    'Version deleted',
    `${formatCoordinates(target)} was deleted on ${deleted.deletedAt.toISOString()} and version numbers are never reused: ` +
      'publish a new version instead.',
    { deletedAt: deleted.deletedAt.toISOString(), deletedDigest: deleted.digest },
  );
}

/**
 * Quotas bound what one publisher can make every reader pay for: the plugin and namespace pages list
 * versions and plugins. Yanked versions count; deleted ones do not (their numbers stay burned).
 */
function versionQuotaExceeded(target: VersionCoordinates, max: number): RegistryError {
  return new RegistryError(
    409,
    'quota_exceeded',
    'Quota exceeded',
    `${target.namespace}/${target.plugin} already has ${max} versions, the most one plugin may have (MAX_VERSIONS_PER_PLUGIN); ` +
      'ask an admin to delete versions nobody uses, or to raise the limit.',
    { quota: 'versions_per_plugin', limit: max },
  );
}

function pluginQuotaExceeded(namespace: string, max: number): RegistryError {
  return new RegistryError(
    409,
    'quota_exceeded',
    'Quota exceeded',
    `namespace "${namespace}" already has ${max} plugins, the most one namespace may have (MAX_PLUGINS_PER_NAMESPACE); ask an admin to raise the limit.`,
    { quota: 'plugins_per_namespace', limit: max },
  );
}

function versionConflict(target: VersionCoordinates, existingDigest: string, uploadedDigest: string): RegistryError {
  return new RegistryError(
    409,
    'version_exists',
    'Version already exists',
    `${formatCoordinates(target)} is already published with digest ${existingDigest}; ` +
      `the uploaded module has digest ${uploadedDigest}. Versions are immutable: publish a new version instead.`,
    { existingDigest, uploadedDigest },
  );
}

/** registry.publishes: every publish answered, over HTTP or as an OCI manifest push; unchanged = the same bytes again. */
function countPublish(via: 'http' | 'oci', outcome: 'created' | 'unchanged' | 'refused'): void {
  instruments().publishes.add(1, { 'registry.publish.via': via, 'registry.publish.outcome': outcome });
}
