import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { RegistryError } from '../../domain/index.js';
import { assertScanInputSize, type DeploymentFile } from './module-references.js';
import type { ScanReading } from './scan.worker.js';

export const SCAN_READER_LIMITS = { threads: 2, heapMb: 256, deadlineMs: 5_000, queued: 8 } as const;

/**
 * Reads deployed configuration off the event loop: in a small pool of worker
 * threads with a heap limit, and a deadline after which the thread is
 * terminated. Sizes are checked here first, so a refusal names its status.
 */
export class ScanReader {
  // Made on the first scan: a process that never scans keeps no thread for it.
  private poolStarted: Piscina<DeploymentFile[], ScanReading> | null = null;

  private get pool(): Piscina<DeploymentFile[], ScanReading> {
    if (this.poolStarted === null) {
      this.poolStarted = new Piscina<DeploymentFile[], ScanReading>({
        filename: workerScript(),
        // One thread always once started: piscina hands queued tasks only to a live thread.
        minThreads: 1,
        maxThreads: SCAN_READER_LIMITS.threads,
        idleTimeout: 30_000,
        maxQueue: SCAN_READER_LIMITS.queued,
        resourceLimits: { maxOldGenerationSizeMb: SCAN_READER_LIMITS.heapMb, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
      });
      // A thread failing between tasks is replaced; without a listener the error would end the process.
      this.poolStarted.on('error', () => undefined);
    }
    return this.poolStarted;
  }

  async read(files: DeploymentFile[]): Promise<ScanReading> {
    assertScanInputSize(files);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), SCAN_READER_LIMITS.deadlineMs);
    try {
      return await this.pool.run(files, { signal: abort.signal });
    } catch (error) {
      if (abort.signal.aborted) {
        throw new RegistryError(422, 'scan_too_complex', 'Configuration too complex', `reading the configuration took longer than ${SCAN_READER_LIMITS.deadlineMs / 1000} s; send fewer or smaller files`);
      }
      if ((error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
        throw new RegistryError(422, 'scan_too_complex', 'Configuration too complex', `reading the configuration needed more than ${SCAN_READER_LIMITS.heapMb} MiB; send fewer or smaller files`);
      }
      if (/queue is at limit/i.test((error as Error).message)) {
        throw new RegistryError(503, 'scans_busy', 'Service unavailable', 'too many scans are waiting; try again shortly', { retryAfterSeconds: 5 });
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.poolStarted?.destroy();
  }
}

/** The compiled worker: next to this file in dist/, or in dist/ when this file runs from the sources (tests). */
function workerScript(): string {
  const beside = fileURLToPath(new URL('./scan.worker.js', import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL('../../../dist/libs/scans/src/scan.worker.js', import.meta.url));
}
