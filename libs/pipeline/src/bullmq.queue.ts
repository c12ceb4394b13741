import { Logger } from '@nestjs/common';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { PipelineJob } from '../../versions/index.js';
import { QUEUE_NAME, type JobCounts, type JobProcessor, type JobQueue, type RetryOptions } from './job-queue.js';

const ADD_TIMEOUT_MS = 5000;

const ALIVE_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/**
 * The production queue. The API only adds jobs; it fails fast while Redis is
 * unreachable (no offline queue), so that the outbox keeps the jobs instead.
 */
export class BullMqQueue implements JobQueue {
  readonly kind = 'redis' as const;
  private readonly connection: Redis;
  private readonly queue: Queue;

  constructor(redisUrl: string, private readonly retry: RetryOptions) {
    this.connection = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
    // Reconnection is automatic; a refused connection is reported by add() and health, not thrown here.
    this.connection.on('error', () => undefined);
    this.queue = new Queue(QUEUE_NAME, { connection: this.connection });
    this.queue.on('error', () => undefined);
  }

  async add(jobs: readonly PipelineJob[]): Promise<void> {
    const adding = this.queue.addBulk(
      jobs.map((job) => ({
        name: QUEUE_NAME,
        data: job,
        opts: {
          jobId: job.jobId,
          attempts: this.retry.attempts,
          backoff: { type: 'exponential', delay: this.retry.backoffMs },
          removeOnComplete: { count: 10_000 },
          removeOnFail: { count: 10_000 },
        },
      })),
    );
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        adding,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Redis did not accept the jobs within ${ADD_TIMEOUT_MS} ms`)), ADD_TIMEOUT_MS);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async isAlive(jobId: string): Promise<boolean> {
    const job = await this.queue.getJob(jobId);
    if (job === undefined || job === null) return false;
    // Anything but completed, failed for good, or unknown (removed meanwhile).
    return ALIVE_STATES.has(await job.getState());
  }

  async ping(): Promise<void> {
    await this.connection.ping();
  }

  async jobCounts(): Promise<JobCounts> {
    const counts = await this.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed');
    return { waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0), active: counts.active ?? 0, delayed: counts.delayed ?? 0 };
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.connection.disconnect();
  }
}

export interface PipelineWorkerOptions extends RetryOptions {
  concurrency: number;
  /** A job whose worker stops renewing its lock this long is taken over by another worker. */
  lockMs: number;
}

/**
 * Runs jobs from Redis in a worker process. A worker killed mid-job stops
 * renewing the job's lock; BullMQ then moves the job back to the queue.
 */
export class BullMqWorker {
  private readonly logger = new Logger('PipelineWorker');
  private readonly worker: Worker<PipelineJob>;
  private readonly connection: Redis;

  constructor(redisUrl: string, processor: JobProcessor, private readonly options: PipelineWorkerOptions) {
    // Blocking commands need unlimited retries per request.
    this.connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    this.connection.on('error', () => undefined);
    this.worker = new Worker<PipelineJob>(
      QUEUE_NAME,
      async (job: Job<PipelineJob>) => {
        const attempts = job.opts.attempts ?? options.attempts;
        const number = job.attemptsMade + 1;
        await processor(job.data, { number, isLastAttempt: number >= attempts });
      },
      {
        connection: this.connection,
        concurrency: options.concurrency,
        lockDuration: options.lockMs,
        stalledInterval: Math.max(1000, Math.floor(options.lockMs / 2)),
        // A job may be taken over after a crash as often as it may be retried.
        maxStalledCount: options.attempts,
        autorun: false,
      },
    );
    this.worker.on('error', (error) => this.logger.warn(`queue error: ${error.message}`));
    this.worker.on('failed', (job, error) => job && this.logger.warn(`job ${job.id} attempt ${job.attemptsMade} failed: ${error.message}`));
  }

  start(): void {
    void this.worker.run();
  }

  /** Lets running jobs finish, takes no new ones. */
  async close(): Promise<void> {
    await this.worker.close();
    this.connection.disconnect();
  }
}
