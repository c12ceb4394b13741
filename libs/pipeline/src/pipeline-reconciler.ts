import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import { VersionsRepository, type VersionStore } from '../../versions/index.js';
import type { JobQueue } from './job-queue.js';
import { JOB_QUEUE, OutboxDispatcher } from './outbox-dispatcher.js';

/** Whether this process runs pipeline jobs (a worker, or the API when embedded): the reconciler runs only there. */
export const RUNS_PIPELINE_JOBS = Symbol('RunsPipelineJobs');

/** Rounds looked at per pass; the oldest first, the rest on the next pass. */
const BATCH = 100;

export interface ReconcileResult {
  redispatched: number;
  gaveUp: number;
}

/**
 * Makes sure no version stays `pending` for good. A round of the pipeline is
 * handed to the queue once (the outbox); if the queue then loses it (Redis
 * restarted empty, or the job failed for good while the database was down and
 * the version could not be marked failed), nothing else would look at it again.
 * Periodically, the reconciler asks the queue about every pending version whose
 * latest round was dispatched more than PIPELINE_STUCK_AFTER_MS ago, and puts
 * a new round in the outbox for each one whose job is gone, under the version's
 * lock (several processes never both do it), or marks it failed after
 * PIPELINE_RECONCILE_MAX_ROUNDS lost rounds in a row.
 */
@Injectable()
export class PipelineReconciler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('PipelineReconciler');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    @Inject(VersionsRepository) private readonly versions: Pick<VersionStore, 'findDispatchedRounds' | 'redispatchLost'>,
    @Inject(JOB_QUEUE) private readonly queue: Pick<JobQueue, 'isAlive'>,
    @Inject(OutboxDispatcher) private readonly dispatcher: Pick<OutboxDispatcher, 'kick'>,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    @Inject(RUNS_PIPELINE_JOBS) private readonly runsJobs: boolean,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.runsJobs) return;
    this.timer = setInterval(() => {
      this.running ??= this.reconcile()
        .catch((error: unknown) => this.logger.warn(`could not look for lost work yet: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => (this.running = null));
    }, this.config.pipeline.reconcileIntervalMs).unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass. */
  async reconcile(now: Date = new Date()): Promise<ReconcileResult> {
    const { stuckAfterMs, reconcileMaxRounds } = this.config.pipeline;
    const rounds = await this.versions.findDispatchedRounds(new Date(now.getTime() - stuckAfterMs), BATCH);
    const result: ReconcileResult = { redispatched: 0, gaveUp: 0 };
    for (const round of rounds) {
      if (await this.queue.isAlive(round.jobId)) continue;
      const outcome = await this.versions.redispatchLost(round, reconcileMaxRounds);
      if (outcome === 'redispatched') {
        result.redispatched++;
        this.logger.warn(`version ${round.versionId}: the queue lost job ${round.jobId}; dispatched again`);
      } else if (outcome === 'gave_up') {
        result.gaveUp++;
        this.logger.error(`version ${round.versionId}: its work was lost ${reconcileMaxRounds} time(s) in a row; marked failed`);
      }
    }
    if (result.redispatched > 0) this.dispatcher.kick();
    return result;
  }
}
