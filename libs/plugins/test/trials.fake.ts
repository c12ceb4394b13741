import type { StoredAnalysis } from '../../analysis/index.js';
import { notFound } from '../../domain/index.js';
import type { DeferredTrialRequest, TrialRequest, TrialTrace } from '../../sandbox/index.js';
import type { ContractDocuments, VersionRecord } from '../../versions/index.js';

/** A plugin's versions, with their analyses, trials, documents and bytes, in memory: what TrialsService reads. */
export class FakeTrialVersions {
  readonly records = new Map<string, VersionRecord>();
  readonly analyses = new Map<string, StoredAnalysis>();
  readonly trials = new Map<string, { trace: TrialTrace; triedAt: Date }>();
  readonly documents = new Map<string, ContractDocuments>();

  add(version: string, options: { status?: VersionRecord['status']; proxyWasm?: boolean; imports?: string[]; trial?: TrialTrace; examples?: unknown[]; rootId?: string } = {}): this {
    const id = `acme/jwt@${version}`;
    this.records.set(version, {
      id, namespace: 'acme', plugin: 'jwt', version, digest: `sha256:${version}`, size: 8, status: options.status ?? 'ready', statusReason: null,
      createdAt: new Date(), readyAt: null, kind: 'module', abiVersion: '0.2.1', analysisSummary: null, analyzedAt: null, yankedAt: null, yankReason: null,
      firstDownloadedAt: null, trial: null,
      contract:
        options.examples || options.rootId
          ? { source: 'manifest', readmeDigest: null, configSchemaDigest: null, configSchemaDialect: null, exampleNames: [], examplesDigest: null,
              hostHints: { filterType: null, rootId: options.rootId ?? null, istioPhase: null, istioPriority: null, minHostVersions: {} } }
          : null,
    });
    if (options.status !== 'pending') {
      const imports = (options.imports ?? ['env.proxy_log']).map((i) => ({ module: i.split('.')[0]!, name: i.split('.')[1]!, kind: 'function' }));
      this.analyses.set(id, {
        report: { kind: 'module', imports, capabilities: [], omitted: {}, proxyWasm: options.proxyWasm === false ? null : { abiVersion: '0.2.1' } },
        decision: { status: 'ready', reasons: [], warnings: [] },
      } as unknown as StoredAnalysis);
    }
    if (options.trial) this.trials.set(id, { trace: options.trial, triedAt: new Date('2026-12-04T12:00:00Z') });
    if (options.examples) this.documents.set(id, { readme: null, readmeHtml: null, configSchema: null, examples: JSON.stringify(options.examples) });
    return this;
  }

  // PluginsService
  async findVersion(_namespace: string, _name: string, version: string): Promise<VersionRecord> {
    const record = this.records.get(version);
    if (record === undefined) throw notFound('version_not_found', `acme/jwt has no version ${version}`);
    return record;
  }
  // PluginsRepository
  async listReadyVersionNumbers(): Promise<string[]> {
    return [...this.records.values()].filter((r) => r.status === 'ready').map((r) => r.version);
  }
  // VersionsRepository
  async findTrial(id: string) {
    return this.trials.get(id) ?? null;
  }
  async findAnalysis(id: string) {
    return this.analyses.get(id) ?? null;
  }
  async findContractDocuments(id: string) {
    return this.documents.get(id) ?? null;
  }
  // BlobStore
  async readAll(digest: string): Promise<Uint8Array> {
    return new TextEncoder().encode(digest);
  }
}

/** A pool that answers with `answer` and keeps what it was asked. */
export class FakeTrialPool {
  readonly requests: TrialRequest[] = [];
  constructor(private readonly answer: (request: TrialRequest) => Promise<TrialTrace>) {}
  async run(request: TrialRequest | DeferredTrialRequest): Promise<TrialTrace> {
    const made = 'make' in request ? await request.make() : request;
    this.requests.push(made);
    return this.answer(made);
  }
}
