import { Inject, Injectable } from '@nestjs/common';
import { DownloadsRepository } from './downloads.repository.js';

/** Where marks are written (DownloadsRepository); each answers false when nothing is left to mark (deleted). */
export interface DownloadMarkStore {
  markVersionDownloaded(versionId: string): Promise<boolean>;
  markDigestDownloaded(digest: string): Promise<boolean>;
}

// What this process remembers as marked; past it, the oldest are forgotten and cost one more round trip.
const REMEMBERED_MARKS = 100_000;

/**
 * "Was this version ever downloaded?" answered durably, and before its bytes go
 * out: what keeps a version that deployments may pin from being deleted. Every
 * response that hands out a module (whole or a range, a 304, a presigned
 * redirect, an OCI pull of its manifest or layer) awaits its mark first. Each
 * process writes a mark at most once; later downloads find it here.
 */
@Injectable()
export class DownloadMarks {
  private readonly marked = new Set<string>();
  private readonly writing = new Map<string, Promise<boolean>>();

  constructor(@Inject(DownloadsRepository) private readonly downloads: DownloadMarkStore) {}

  /** False when the version was deleted meanwhile: it must not be served. */
  markVersion(versionId: string): Promise<boolean> {
    return this.once(`version:${versionId}`, () => this.downloads.markVersionDownloaded(versionId));
  }

  /**
   * A download by digest marks every version with these bytes (when the
   * process first serves them); false when none is left.
   */
  markDigest(digest: string): Promise<boolean> {
    return this.once(`digest:${digest}`, () => this.downloads.markDigestDownloaded(digest));
  }

  private once(key: string, write: () => Promise<boolean>): Promise<boolean> {
    if (this.marked.has(key)) return Promise.resolve(true);
    let written = this.writing.get(key);
    if (written === undefined) {
      // Concurrent first downloads share one write.
      written = write()
        .then((present) => {
          if (present) this.remember(key);
          return present;
        })
        .finally(() => this.writing.delete(key));
      this.writing.set(key, written);
    }
    return written;
  }

  private remember(key: string): void {
    this.marked.add(key);
    if (this.marked.size > REMEMBERED_MARKS) this.marked.delete(this.marked.values().next().value as string);
  }
}
