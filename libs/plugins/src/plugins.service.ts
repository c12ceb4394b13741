import { AdvisoriesRepository, fixedVersionFor, type AdvisoryBrief } from '../../advisories/index.js';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import {
  digestProblem,
  nameProblem,
  blobLink,
  moduleLink,
  pluginLink,
  versionLink,
  invalidInput,
  notFound,
  RegistryError,
  type FieldProblem,
  compareVersionsDescending,
  latestOf,
  versionProblem,
} from '../../domain/index.js';
import { InvalidatedCache, Invalidations } from '../../db/index.js';
import { answerAfterCommit } from '../../http/index.js';
import { DownloadMarks, DownloadsRepository } from '../../downloads/index.js';
import { formatCoordinates, PIPELINE_STEPS, type ContractSummary, type StepStatus, type VersionCoordinates, VersionsRepository } from '../../versions/index.js';
import type { ContractSummaryView } from './contract.views.js';
import { OciRepository } from '../../oci/index.js';
import type { StoredAnalysis } from '../../analysis/index.js';
import type { AnalysisSummaryView, AnalysisView, FindingView, NamespaceView, PluginDetailView, PluginView, VersionView } from './plugin.views.js';
import { PluginsRepository, type NamespaceRecord, type PluginRecord, type VersionRecord } from './plugins.repository.js';

// Long polling re-reads the version this often: short, so that a waiting publisher hears of `ready` soon.
/** How often a long poll reads the version while settlement notices could be missed. */
const WAIT_POLL_MS = 50;
/** A backstop while notices arrive: a lost one delays the answer by at most this. */
const WAIT_RECHECK_MS = 1_000;
export const MAX_WAIT_SECONDS = 60;

/** What serving a module needs; none of it changes once published, until an admin deletes it. */
export interface DownloadTarget {
  digest: string;
  size: number;
  /** The version a download is counted for (by digest: the first published with the bytes). */
  versionId: string;
  /** Where the module was asked for: by version (marks that version) or by digest (marks every version with it). */
  by: { kind: 'version'; namespace: string; plugin: string; version: string } | { kind: 'digest' };
}

const DOWNLOAD_CACHE_ENTRIES = 10_000;
// A backstop only: deletions reach every process's cache at once (Invalidations).
const DOWNLOAD_CACHE_TTL_MS = 60_000;

const versionKey = (version: VersionCoordinates): string => `version:${formatCoordinates(version)}`;
const digestKey = (digest: string): string => `blob:${digest}`;

/** Reading the catalog: plugins, their versions, and where to fetch them. */
@Injectable()
export class PluginsService {
  private readonly logger = new Logger('Downloads');
  private readonly downloadTargets: InvalidatedCache<DownloadTarget>;
  private readonly reportedMissing = new Set<string>();
  private readonly committedLogger = new Logger('Answers');

  constructor(
    private readonly plugins: PluginsRepository,
    private readonly downloads: DownloadsRepository,
    private readonly marks: DownloadMarks,
    private readonly versions: VersionsRepository,
    private readonly oci: OciRepository,
    @Inject(AdvisoriesRepository) private readonly advisories: Pick<AdvisoriesRepository, 'activeForVersions'>,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    private readonly invalidations: Invalidations,
  ) {
    this.downloadTargets = new InvalidatedCache(
      invalidations,
      DOWNLOAD_CACHE_ENTRIES,
      DOWNLOAD_CACHE_TTL_MS,
      (key, deleted) => key === versionKey(deleted) || key === digestKey(deleted.digest),
    );
  }

  async getPlugin(namespace: string, name: string): Promise<PluginDetailView> {
    const plugin = await this.findPlugin(namespace, name);
    const versions = await this.plugins.listVersions(plugin.id);
    const totals = await this.downloads.totalsForVersions(versions.map((v) => v.id));
    const steps = await this.versions.stepStatuses(versions.map((v) => v.id));
    const manifests = await this.oci.moduleManifestDigests(versions.map((v) => v.id));
    const advisories = await this.advisories.activeForVersions(versions.map((v) => v.id));
    return {
      ...this.pluginView(plugin, versions),
      versions: sortNewestFirst(versions).map((v) => this.versionView(v, totals.get(v.id) ?? 0, steps.get(v.id) ?? [], manifests.get(v.id) ?? null, advisories.get(v.id) ?? [])),
    };
  }

  /**
   * A version; with `waitSeconds`, a pending version is answered once it has
   * left `pending` or the wait is over (long polling), so publishers need not guess.
   */
  async getVersion(namespace: string, name: string, version: string, waitSeconds = 0): Promise<VersionView> {
    const deadline = Date.now() + waitSeconds * 1000;
    let record: VersionRecord;
    if (waitSeconds === 0) {
      record = await this.findVersion(namespace, name, version);
    } else {
      // Woken by the version's settlement (a notice from whichever process settled it), not by
      // reading it every few milliseconds: on PGlite those reads queued in front of the pipeline's.
      // Watched before the first read, so that a settlement right after it is not missed.
      const watch = this.invalidations.watchVersion({ namespace, plugin: name, version });
      try {
        record = await this.findVersion(namespace, name, version);
        while (record.status === 'pending' && Date.now() < deadline) {
          await watch.next(Math.min(deadline - Date.now(), this.invalidations.live ? WAIT_RECHECK_MS : WAIT_POLL_MS));
          record = await this.findVersion(namespace, name, version);
        }
      } finally {
        watch.close();
      }
    }
    // Independent reads, sent together: PGlite answers them back to back instead of one round trip each.
    const [steps, manifests, advisories, downloads] = await Promise.all([
      this.versions.stepStatuses([record.id]),
      this.oci.moduleManifestDigests([record.id]),
      this.advisories.activeForVersions([record.id]),
      this.downloads.totalForVersion(record.id),
    ]);
    return this.versionView(record, downloads, steps.get(record.id) ?? [], manifests.get(record.id) ?? null, advisories.get(record.id) ?? []);
  }

  /**
   * The answer to a change of a version that has committed: read afresh, or, if the database went
   * away right after the commit, built from the committed record (counts and steps it could not
   * read are left at zero and empty, or at their start for a version just created).
   */
  committedVersion(record: VersionRecord, created = false): Promise<VersionView> {
    const steps: StepStatus[] = created
      ? PIPELINE_STEPS.map((step) => ({ step, state: 'pending', attempts: 0, error: null, startedAt: null, finishedAt: null }))
      : [];
    return answerAfterCommit(
      this.committedLogger,
      `a change of ${formatCoordinates(record)}`,
      () => this.getVersion(record.namespace, record.plugin, record.version),
      () => this.versionView(record, 0, steps, null, []),
    );
  }

  /** As committedVersion, for a plugin (its latest version is left out if it cannot be read). */
  committedPlugin(record: PluginRecord): Promise<PluginView> {
    return answerAfterCommit(
      this.committedLogger,
      `a change of ${record.namespace}/${record.name}`,
      async () => {
        const { versions: _versions, ...plugin } = await this.getPlugin(record.namespace, record.name);
        return plugin;
      },
      () => this.pluginView(record, []),
    );
  }

  /** A version's stored analysis (report and decision); null until analysed. */
  async storedAnalysis(record: VersionRecord): Promise<StoredAnalysis | null> {
    return this.plugins.findAnalysis(record.id);
  }

  async findVersion(namespace: string, name: string, version: string): Promise<VersionRecord> {
    assertValid([nameProblem('path.namespace', namespace), nameProblem('path.name', name), versionProblem('path.version', version)]);
    const record = await this.plugins.findVersion(namespace, name, version);
    if (record === null) {
      const plugin = await this.plugins.findPlugin(namespace, name);
      throw plugin === null
        ? notFound('plugin_not_found', `no plugin named ${namespace}/${name}`)
        : notFound('version_not_found', `${namespace}/${name} has no version ${version}`);
    }
    return record;
  }

  async getAnalysis(namespace: string, name: string, version: string): Promise<AnalysisView> {
    const record = await this.findVersion(namespace, name, version);
    const analysis = record.analyzedAt === null || record.status === 'pending' ? null : await this.plugins.findAnalysis(record.id);
    if (analysis === null || record.analyzedAt === null) {
      throw new RegistryError(
        409,
        'analysis_pending',
        'Analysis pending',
        `${namespace}/${name}@${version} is still being analysed; its status leaves "pending" when the report is ready`,
      );
    }
    const { report, decision } = analysis;
    return {
      namespace: record.namespace,
      plugin: record.plugin,
      version: record.version,
      digest: record.digest,
      status: decision.status,
      analyzedAt: record.analyzedAt.toISOString(),
      rejections: decision.reasons.map(findingView),
      warnings: decision.warnings.map(findingView),
      report,
    };
  }

  /**
   * A ready version's module, for downloads; cached because the answer never
   * changes. Pending and rejected versions are refused (409): only what the
   * registry checked is served by version. Blobs stay reachable by digest, for audit.
   */
  async versionDownload(namespace: string, name: string, version: string): Promise<DownloadTarget> {
    // Only ready versions are cached: pending ones change, rejected ones are refused.
    return this.downloadTargets.getOrLoad(versionKey({ namespace, plugin: name, version }), async () => {
      const record = await this.findVersion(namespace, name, version);
      if (record.status === 'pending') {
        throw new RegistryError(409, 'version_pending', 'Version pending', `${namespace}/${name}@${version} is still being checked; download it once its status is "ready"`, {
          retryAfterSeconds: 1,
        });
      }
      if (record.status === 'failed') {
        throw new RegistryError(409, 'version_failed', 'Version failed', `processing ${namespace}/${name}@${version} failed and it is not served: ${record.statusReason ?? ''}`);
      }
      if (record.status === 'rejected') {
        throw new RegistryError(
          409,
          'version_rejected',
          'Version rejected',
          `${namespace}/${name}@${version} was rejected and is not served by version: ${record.statusReason ?? 'see its analysis'}`,
          { analysis: `${this.config.publicUrl}/api/v1/plugins/${namespace}/${name}/versions/${version}/analysis` },
        );
      }
      return { digest: record.digest, size: record.size, versionId: record.id, by: { kind: 'version', namespace, plugin: name, version } };
    });
  }

  /**
   * A stored module by digest, and the version its downloads are counted for
   * (the first published with it). Modules are served by digest while any
   * version has them, whatever its status, for audit.
   */
  async blobDownload(digest: string): Promise<DownloadTarget> {
    assertValid([digestProblem('path.digest', digest)]);
    return this.downloadTargets.getOrLoad(digestKey(digest), async () => {
      const blob = await this.plugins.findBlob(digest);
      const version = blob === null ? null : await this.plugins.findFirstVersionWithDigest(digest);
      if (blob === null || version === null) throw blobNotFound(digest);
      return { digest: blob.digest, size: blob.size, versionId: version.id, by: { kind: 'digest' } };
    });
  }

  /**
   * Records that the target was downloaded, before anything of it goes out (see
   * DownloadMarks). A version deleted since it was looked up is a 404, and forgotten.
   */
  async markDownloaded(target: DownloadTarget): Promise<void> {
    const { by } = target;
    const present = by.kind === 'version' ? await this.marks.markVersion(target.versionId) : await this.marks.markDigest(target.digest);
    if (present) return;
    if (by.kind === 'version') {
      this.downloadTargets.forget(versionKey(by));
      throw notFound('version_not_found', `${by.namespace}/${by.plugin} has no version ${by.version}`);
    }
    this.downloadTargets.forget(digestKey(target.digest));
    throw blobNotFound(target.digest);
  }

  /** Storage has no object for a target the database knows: forget it, and answer 404 rather than fail. */
  moduleMissing(target: DownloadTarget): RegistryError {
    const { by } = target;
    this.downloadTargets.forget(by.kind === 'version' ? versionKey(by) : digestKey(target.digest));
    // Once per digest (for a while): a client asking again and again must not flood the log.
    if (!this.reportedMissing.has(target.digest)) {
      if (this.reportedMissing.size >= DOWNLOAD_CACHE_ENTRIES) this.reportedMissing.clear();
      this.reportedMissing.add(target.digest);
      this.logger.warn(`storage has no object for ${target.digest}, which the database records: answered 404`);
    }
    return blobNotFound(target.digest);
  }

  versionView(record: VersionRecord, downloads: number, steps: readonly StepStatus[], manifestDigest: string | null, advisories: readonly AdvisoryBrief[]): VersionView {
    const plugin = pluginLink(this.config.publicUrl, record.namespace, record.plugin);
    const self = versionLink(this.config.publicUrl, record.namespace, record.plugin, record.version);
    const blob = blobLink(this.config.publicUrl, record.digest);
    const host = new URL(this.config.publicUrl).host;
    const repository = `${host}/${record.namespace}/${record.plugin}`;
    return {
      namespace: record.namespace,
      plugin: record.plugin,
      version: record.version,
      digest: record.digest,
      size: record.size,
      status: record.status,
      statusReason: record.statusReason,
      createdAt: record.createdAt.toISOString(),
      readyAt: record.readyAt?.toISOString() ?? null,
      downloads,
      firstDownloadedAt: record.firstDownloadedAt?.toISOString() ?? null,
      yanked: record.yankedAt !== null,
      yankedAt: record.yankedAt?.toISOString() ?? null,
      yankReason: record.yankReason,
      yankAdvisory: record.yankAdvisoryId,
      advisories: advisories.map((a) => ({ id: a.id, summary: a.summary, severity: a.severity.rating, score: a.severity.score, fixedIn: fixedVersionFor(record.version, a.affected) })),
      analysis: analysisSummary(record),
      pinned:
        record.status !== 'ready'
          ? null
          : {
              url: blob,
              sha256: record.digest.slice('sha256:'.length),
              oci:
                manifestDigest === null
                  ? null
                  : {
                      reference: `${repository}:${record.version}`,
                      pinnedReference: `${repository}@${manifestDigest}`,
                      url: `oci://${repository}:${record.version}`,
                      manifestDigest,
                      sha256: manifestDigest.slice('sha256:'.length),
                    },
            },
      contract: contractSummaryView(record.contract, self),
      trial: record.trial ? { ...record.trial, findings: [...record.trial.findings], triedAt: record.trial.triedAt.toISOString() } : null,
      pipeline: steps.map((s) => ({
        step: s.step,
        state: s.state,
        attempts: s.attempts,
        error: s.error,
        startedAt: s.startedAt?.toISOString() ?? null,
        finishedAt: s.finishedAt?.toISOString() ?? null,
      })),
      links: {
        self,
        module: moduleLink(this.config.publicUrl, record.namespace, record.plugin, record.version),
        blob,
        plugin,
        analysis: `${self}/analysis`,
        sbom: `${self}/sbom`,
        signature: `${self}/signature`,
        attestations: `${self}/attestations`,
        wait: `${self}?wait=30`,
        envoyConfig: `${self}/config/envoy`,
        istioConfig: `${self}/config/istio`,
        stats: `${plugin}/stats`,
        validateConfig: `${self}/config/validate`,
        upgradeNotes: `${self}/upgrade-notes`,
        trial: `${self}/trial`,
        capabilityDiff: `${self}/capability-diff`,
      },
    };
  }

  pluginView(record: PluginRecord, versions: readonly VersionRecord[]): PluginView {
    const self = pluginLink(this.config.publicUrl, record.namespace, record.name);
    const latest = latestOf(versions.filter((v) => v.status === 'ready' && v.yankedAt === null));
    return {
      namespace: record.namespace,
      name: record.name,
      description: record.description,
      license: record.license,
      homepage: record.homepage,
      repository: record.repository,
      keywords: record.keywords,
      categories: record.categories,
      latestVersion: latest?.version ?? null,
      latestAnalysis: latest ? analysisSummary(latest) : null,
      downloads: Number(record.downloads),
      deprecation: record.deprecatedAt === null ? null : { message: record.deprecationMessage ?? '', deprecatedAt: record.deprecatedAt.toISOString() },
      createdAt: record.createdAt.toISOString(),
      updatedAt: record.updatedAt.toISOString(),
      links: { self, versions: `${self}/versions`, namespace: `${this.config.publicUrl}/api/v1/namespaces/${record.namespace}` },
    };
  }

  private async findPlugin(namespace: string, name: string): Promise<PluginRecord> {
    assertValid([nameProblem('path.namespace', namespace), nameProblem('path.name', name)]);
    const plugin = await this.plugins.findPlugin(namespace, name);
    if (plugin === null) throw notFound('plugin_not_found', `no plugin named ${namespace}/${name}`);
    return plugin;
  }
}

function blobNotFound(digest: string): RegistryError {
  return notFound('blob_not_found', `no module with digest ${digest} is stored here`);
}

function findingView({ code, severity, message, host, offset }: StoredAnalysis['report']['findings'][number]): FindingView {
  return { code, severity, message, ...(host !== undefined ? { host } : {}), ...(offset !== undefined ? { offset } : {}) };
}

function analysisSummary(record: VersionRecord): AnalysisSummaryView | null {
  const summary = record.analysisSummary;
  if (summary === null || record.analyzedAt === null) return null;
  return {
    kind: summary.kind,
    abiVersion: summary.abiVersion,
    envoyLoads: summary.envoyLoads,
    filterTypes: summary.filterTypes,
    compatibility: summary.compatibility,
    capabilities: summary.capabilities,
    warnings: summary.warnings.map(findingView),
    rejections: summary.rejections.map(findingView),
    omitted: summary.omitted,
    truncated: summary.truncated,
    analyzedAt: record.analyzedAt.toISOString(),
  };
}

function assertValid(problems: readonly (FieldProblem | null)[]): void {
  const found = problems.filter((p): p is FieldProblem => p !== null);
  if (found.length > 0) throw invalidInput(found);
}

function sortNewestFirst(versions: readonly VersionRecord[]): VersionRecord[] {
  return [...versions].sort((a, b) => compareVersionsDescending(a.version, b.version));
}

function contractSummaryView(contract: ContractSummary | null, self: string): ContractSummaryView | null {
  if (contract === null) return null;
  return {
    source: contract.source,
    readme: contract.readmeDigest === null ? null : { digest: contract.readmeDigest, url: `${self}/readme` },
    configSchema:
      contract.configSchemaDigest === null ? null : { digest: contract.configSchemaDigest, dialect: contract.configSchemaDialect ?? 'draft-07', url: `${self}/schema` },
    examples: contract.examplesDigest === null ? null : { digest: contract.examplesDigest, names: contract.exampleNames, url: `${self}/examples` },
    hostHints: contract.hostHints,
  };
}
