import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import { BlobUploadsService } from './blob-uploads.service.js';

/**
 * Every few minutes, in each API process: expired upload sessions go with their
 * chunks, and pushed blobs no manifest named in time go with their objects.
 * Sweeps in several processes at once are safe (rows are re-checked under the
 * digest's lock).
 */
@Injectable()
export class OciPushSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OciPush');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly uploads: BlobUploadsService,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweepOnce(), this.config.ociPush.sweepIntervalMs).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    await this.running;
  }

  /** One sweep; a sweep still running is not started again. */
  sweepOnce(): Promise<void> {
    this.running ??= this.uploads
      .sweep()
      .then(({ sessions, blobs }) => {
        if (sessions + blobs > 0) this.logger.log(`swept ${sessions} expired upload session(s) and ${blobs} unreferenced blob(s)`);
      })
      .catch((error: unknown) => this.logger.warn(`could not sweep OCI uploads: ${String(error)}`))
      .finally(() => (this.running = null));
    return this.running;
  }
}
