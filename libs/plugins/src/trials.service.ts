import { Inject, Injectable } from '@nestjs/common';
import type { StoredAnalysis } from '../../analysis/index.js';
import { BLOB_STORE, type BlobStore } from '../../blobs/index.js';
import type { ConfigExample } from '../../contract/index.js';
import { compareVersionsDescending, invalidInput, notFound, RegistryError } from '../../domain/index.js';
import { configurationText } from '../../pipeline/index.js';
import { capabilityDiff, capabilityDiffSide, OWN_TRIAL_LIMITS, TrialsBusyError, type CapabilityDiff, type TrialPool, type TrialTrace } from '../../sandbox/index.js';
import { formatCoordinates, type ContractDocuments, type VersionRecord, VersionsRepository } from '../../versions/index.js';
import type { OwnTrialInput } from './own-trial-input.js';
import { PluginsRepository } from './plugins.repository.js';
import { PluginsService } from './plugins.service.js';

/** Runs own trials, OWN_TRIAL_CONCURRENCY at once with OWN_TRIAL_QUEUE waiting; one more is refused (TrialsBusyError). */
export const OWN_TRIAL_POOL = Symbol('OwnTrialPool');

/** A version's stored trial, as the API serves it. */
export interface StoredTrial {
  version: VersionRecord;
  trace: TrialTrace;
  triedAt: Date;
}

/**
 * The trials of a version: the one the pipeline stored, your own (the same trial with your
 * configuration, within OWN_TRIAL_LIMITS, through a bounded pool; it never changes the version),
 * and what changed since the version before (capabilityDiff).
 */
@Injectable()
export class TrialsService {
  constructor(
    @Inject(PluginsService) private readonly plugins: Pick<PluginsService, 'findVersion'>,
    @Inject(PluginsRepository) private readonly pluginRows: Pick<PluginsRepository, 'listReadyVersionNumbers'>,
    @Inject(VersionsRepository) private readonly versions: Pick<VersionsRepository, 'findTrial' | 'findAnalysis' | 'findContractDocuments'>,
    @Inject(BLOB_STORE) private readonly blobs: Pick<BlobStore, 'readAll'>,
    @Inject(OWN_TRIAL_POOL) private readonly pool: Pick<TrialPool, 'run'>,
  ) {}

  async storedTrial(namespace: string, name: string, version: string): Promise<StoredTrial> {
    const record = await this.plugins.findVersion(namespace, name, version);
    const trial = await this.versions.findTrial(record.id);
    if (trial === null) throw notFound('trial_not_run', `${formatCoordinates(record)} has no trial: ${whyNoTrial(record)}`);
    return { version: record, ...trial };
  }

  /** Runs the version's module with the caller's configuration and requests; stores nothing. */
  async ownTrial(namespace: string, name: string, version: string, input: OwnTrialInput): Promise<TrialTrace> {
    const record = await this.plugins.findVersion(namespace, name, version);
    if (record.status !== 'ready') {
      throw new RegistryError(409, 'version_not_ready', 'Version not ready', `${formatCoordinates(record)} is ${record.status}: only ready versions are tried on demand`);
    }
    const analysis = await this.versions.findAnalysis(record.id);
    if (!isProxyWasmModule(analysis)) {
      throw new RegistryError(409, 'not_proxy_wasm', 'Not a Proxy-Wasm module', `${formatCoordinates(record)} is not a Proxy-Wasm module: there is nothing the sandbox could start`);
    }
    const configuration = 'example' in input.configuration ? await this.exampleText(record, input.configuration.example) : input.configuration.text;
    try {
      // The module is read once the trial has a slot: a refused trial costs no read.
      return await this.pool.run({
        limits: OWN_TRIAL_LIMITS,
        make: async () => ({
          module: await this.blobs.readAll(record.digest, record.size),
          configurations: [{ name: 'yours', text: configuration }],
          vmConfiguration: '',
          rootId: record.contract?.hostHints.rootId ?? '',
          ...(input.requests ? { requests: input.requests } : {}),
          ...(input.upstreams ? { upstreams: input.upstreams } : {}),
          limits: OWN_TRIAL_LIMITS,
        }),
      });
    } catch (error) {
      if (!(error instanceof TrialsBusyError)) throw error;
      throw new RegistryError(503, 'trials_busy', 'Trials busy', `${error.message}: this registry runs few trials at once`, {
        running: error.running,
        queued: error.queued,
        retryAfterSeconds: error.retryAfterSeconds,
      });
    }
  }

  /** What `version` may do that `from` (default: the highest ready version below it) could not. */
  async capabilityDiff(namespace: string, name: string, version: string, from: string | undefined): Promise<CapabilityDiff> {
    const target = await this.plugins.findVersion(namespace, name, version);
    const fromVersion = from ?? (await this.previousReadyVersion(target));
    if (fromVersion === null) {
      throw notFound('previous_version_not_found', `${formatCoordinates(target)} has no ready version before it: there is nothing to compare it with`);
    }
    if (fromVersion === version) throw invalidInput([{ field: 'query.from', message: 'must be another version than the one compared' }]);
    const source = await this.plugins.findVersion(namespace, name, fromVersion);
    const [before, after] = await Promise.all([this.side(source), this.side(target)]);
    return capabilityDiff(before, after);
  }

  private async side(record: VersionRecord) {
    const [analysis, trial] = await Promise.all([this.versions.findAnalysis(record.id), this.versions.findTrial(record.id)]);
    if (analysis === null) {
      throw new RegistryError(409, 'version_not_analysed', 'Version not analysed', `${formatCoordinates(record)} has not been analysed yet: its capabilities are not known`);
    }
    return capabilityDiffSide(record.version, analysis.report, trial?.trace ?? null);
  }

  private async previousReadyVersion(target: VersionRecord): Promise<string | null> {
    const numbers = await this.pluginRows.listReadyVersionNumbers(target.namespace, target.plugin);
    return numbers.filter((n) => compareVersionsDescending(n, target.version) > 0).sort(compareVersionsDescending)[0] ?? null;
  }

  private async exampleText(record: VersionRecord, name: string): Promise<string> {
    const documents: ContractDocuments | null = record.contract === null ? null : await this.versions.findContractDocuments(record.id);
    const examples = documents?.examples == null ? [] : (JSON.parse(documents.examples) as ConfigExample[]);
    const example = examples.find((e) => e.name === name);
    if (example === undefined) {
      throw invalidInput([
        {
          field: 'body.example',
          message:
            examples.length === 0
              ? `${formatCoordinates(record)} has no configuration examples`
              : `${JSON.stringify(name)} is not an example of ${formatCoordinates(record)}; its examples are: ${examples.map((e) => e.name).join(', ')}`,
        },
      ]);
    }
    return configurationText(example.configuration);
  }
}

function isProxyWasmModule(analysis: StoredAnalysis | null): boolean {
  return analysis !== null && analysis.report.kind === 'module' && analysis.report.proxyWasm !== null;
}

function whyNoTrial(record: VersionRecord): string {
  if (record.status === 'pending') return 'it is still being processed';
  if (record.analysisSummary?.kind === 'component' || record.analysisSummary?.envoyLoads === null) return 'the trial is skipped for what is not a Proxy-Wasm module';
  if (record.status === 'rejected') return 'it was rejected before its trial';
  return 'it was processed before the registry tried versions in its sandbox, or never got to the trial';
}
