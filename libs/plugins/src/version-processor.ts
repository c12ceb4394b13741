import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { analyzeInWorker } from '../../analysis/src/analysis-runner.js';
import { decide } from '../../analysis/src/policy.js';
import type { StoredAnalysis } from '../../analysis/src/stored-analysis.js';
import { BLOB_STORE } from '../../blobs/src/blobs.module.js';
import type { BlobStore } from '../../blobs/src/blob-store.js';
import { REGISTRY_CONFIG } from '../../config/src/config.module.js';
import type { RegistryConfig } from '../../config/src/config.js';
import { PluginsRepository } from './plugins.repository.js';

/**
 * Takes published versions from `pending` to `ready` or `rejected`: reads the
 * module, analyses it in a worker thread and applies the policy. Runs inside
 * the API for now; the pipeline (BullMQ worker, signing, SBOM) takes its place.
 */
@Injectable()
export class VersionProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('VersionProcessor');
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly plugins: PluginsRepository,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  /** Versions left pending by a process that stopped before processing them. */
  async onApplicationBootstrap(): Promise<void> {
    for (const id of await this.plugins.pendingVersionIds()) this.enqueue(id);
  }

  enqueue(versionId: string): void {
    if (this.stopped || this.queued.has(versionId)) return;
    this.queued.add(versionId);
    this.queue.push(versionId);
    this.startNext();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    // What is still queued stays pending and is picked up at the next start.
    await Promise.allSettled([...this.running]);
  }

  private startNext(): void {
    while (!this.stopped && this.running.size < this.config.analysis.concurrency && this.queue.length > 0) {
      const versionId = this.queue.shift()!;
      const job = this.process(versionId).finally(() => {
        this.queued.delete(versionId);
        this.running.delete(job);
        this.startNext();
      });
      this.running.add(job);
    }
  }

  private async process(versionId: string): Promise<void> {
    try {
      const version = await this.plugins.findVersionById(versionId);
      if (version === null || version.status !== 'pending') return;
      const bytes = await this.readModule(version.digest, version.size);
      const report = await analyzeInWorker(bytes, this.config.analysis, { transfer: true });
      const decision = decide(report.findings, this.config.analysis.policy);
      const analysis: StoredAnalysis = { report, decision };
      await this.plugins.recordAnalysis(versionId, {
        status: decision.status,
        statusReason: decision.status === 'rejected' ? decision.reasons.map((f) => f.message).join(' ') : null,
        kind: report.kind,
        abiVersion: report.proxyWasm?.abiVersion ?? null,
        analysis,
        at: new Date(),
      });
      const name = `${version.namespace}/${version.plugin}@${version.version}`;
      if (decision.status === 'rejected') this.logger.warn(`rejected ${name}: ${decision.reasons.map((f) => f.code).join(', ')}`);
      else this.logger.log(`ready ${name}${decision.warnings.length > 0 ? ` with ${decision.warnings.length} warning(s)` : ''}`);
    } catch (error) {
      // Left pending: the next start picks it up again.
      this.logger.error(`could not process version ${versionId}: ${String(error)}`);
    }
  }

  /** The whole module in one buffer of its own (at most MAX_MODULE_SIZE), to hand to the worker without a copy. */
  private async readModule(digest: string, size: number): Promise<Uint8Array> {
    const bytes = new Uint8Array(size);
    const { body } = await this.blobs.open(digest);
    let offset = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (offset + chunk.length > size) throw new Error(`blob ${digest} is larger than its recorded ${size} bytes`);
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    if (offset !== size) throw new Error(`blob ${digest} has ${offset} bytes, ${size} recorded`);
    return bytes;
  }
}
