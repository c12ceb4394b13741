import { Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { PluginsRepository } from './plugins.repository.js';

/**
 * Moves published versions from `pending` to `ready`. For now the only check a
 * version needs is the one publishing already made (a WebAssembly header,
 * verified while streaming), so this in-process step just records the result.
 * The pipeline (analysis, signing, SBOM on a BullMQ worker) takes its place.
 */
@Injectable()
export class VersionProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('VersionProcessor');
  private readonly running = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly plugins: PluginsRepository) {}

  /** Versions left pending by a process that stopped before processing them. */
  async onApplicationBootstrap(): Promise<void> {
    for (const id of await this.plugins.pendingVersionIds()) this.enqueue(id);
  }

  enqueue(versionId: string): void {
    if (this.stopped) return;
    const job = this.process(versionId).finally(() => this.running.delete(job));
    this.running.add(job);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.running]);
  }

  private async process(versionId: string): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    try {
      await this.plugins.setVersionStatus(versionId, 'ready', null, new Date());
    } catch (error) {
      // Left pending: the next start picks it up again.
      this.logger.error(`could not process version ${versionId}: ${String(error)}`);
    }
  }
}
