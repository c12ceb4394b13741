import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import { DownloadsRepository, type DownloadCountDelta } from './downloads.repository.js';

const DAY_MS = 86_400_000;

/** Where counts are written (DownloadsRepository): adds each delta to its version's day and to the plugin's total. */
export interface DownloadCountStore {
  addCounts(deltas: readonly DownloadCountDelta[]): Promise<void>;
}

/**
 * Counts downloads in memory and writes them in batches, so that serving a
 * module never waits for a database write. Counts not yet written survive a
 * failed flush (they are retried) and a clean shutdown (flushed on the way out);
 * a crash loses at most what the last interval or batch had not written yet.
 * Nothing else depends on this buffer: what keeps a downloaded version from
 * being deleted is its mark (DownloadMarks), written before its bytes go out.
 */
@Injectable()
export class DownloadCounter implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('DownloadCounter');
  private pending = new Map<string, DownloadCountDelta>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  /** Downloads recorded since the last flush took its batch. */
  private unflushed = 0;
  private flushQueued = false;
  /** After a failed write only the timer retries, so that a database outage is not met with a write per download. */
  private lastFlushFailed = false;
  private day = '';
  private dayStarts = Number.NEGATIVE_INFINITY;

  constructor(
    @Inject(DownloadsRepository) private readonly downloads: DownloadCountStore,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.config.downloadFlushIntervalMs).unref();
  }

  record(versionId: string, at?: Date): void {
    const day = at === undefined ? this.today() : at.toISOString().slice(0, 10);
    const key = `${versionId}/${day}`;
    const delta = this.pending.get(key);
    if (delta) delta.count += 1;
    else this.pending.set(key, { versionId, day, count: 1 });
    this.unflushed += 1;
    if (this.unflushed >= this.config.downloadFlushMaxPending && !this.flushQueued && !this.lastFlushFailed) void this.flush();
  }

  /** The UTC day now, formatted once a day rather than once a download. */
  private today(now = Date.now()): string {
    if (now < this.dayStarts || now >= this.dayStarts + DAY_MS) {
      this.dayStarts = now - (now % DAY_MS);
      this.day = new Date(this.dayStarts).toISOString().slice(0, 10);
    }
    return this.day;
  }

  /** Writes everything counted so far. Flushes never overlap. */
  flush(): Promise<void> {
    this.flushQueued = true;
    this.flushing = this.flushing.then(() => this.writePending());
    return this.flushing;
  }

  /** Before the database closes (it closes in onApplicationShutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    await this.flush();
    if (this.pending.size > 0) this.logger.error(`lost ${this.pending.size} unwritten download count(s) at shutdown`);
  }

  private async writePending(): Promise<void> {
    this.flushQueued = false;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.unflushed = 0;
    try {
      await this.downloads.addCounts([...batch.values()]);
      this.lastFlushFailed = false;
    } catch (error) {
      this.lastFlushFailed = true;
      // Put the batch back so that the next flush writes it.
      for (const [key, delta] of batch) {
        const newer = this.pending.get(key);
        if (newer) newer.count += delta.count;
        else this.pending.set(key, delta);
      }
      this.logger.warn(`could not write download counts, will retry: ${String(error)}`);
    }
  }
}
