import { Logger } from '@nestjs/common';
import type { PipelineJob } from '../../versions/index.js';
import type { JobCounts, JobProcessor, JobQueue, RetryOptions } from './job-queue.js';

/**
 * The embedded configuration's queue: the same processor, retries and backoff
 * as with BullMQ, in this process. Jobs not finished at shutdown are still in
 * the database (pending steps, undispatched or re-dispatched outbox entries
 * are not needed: the next start re-queues pending versions).
 */
export class InProcessQueue implements JobQueue {
  readonly kind = 'in-process' as const;
  private readonly logger = new Logger('InProcessQueue');
  private readonly waiting: { job: PipelineJob; attempt: number }[] = [];
  private readonly known = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly processor: JobProcessor,
    private readonly retry: RetryOptions,
    private readonly concurrency: number,
  ) {}

  async add(jobs: readonly PipelineJob[]): Promise<void> {
    for (const job of jobs) {
      if (this.known.has(job.jobId)) continue;
      this.known.add(job.jobId);
      this.waiting.push({ job, attempt: 1 });
    }
    // Started on a later tick: the caller may still hold a database transaction.
    setImmediate(() => this.startNext());
  }

  async isAlive(jobId: string): Promise<boolean> {
    return this.known.has(jobId);
  }

  async ping(): Promise<void> {}

  async jobCounts(): Promise<JobCounts> {
    return { waiting: this.waiting.length, active: this.running.size, delayed: this.timers.size };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    await Promise.allSettled([...this.running]);
  }

  private startNext(): void {
    while (!this.closed && this.running.size < this.concurrency && this.waiting.length > 0) {
      const next = this.waiting.shift()!;
      const run = this.run(next.job, next.attempt).finally(() => {
        this.running.delete(run);
        this.startNext();
      });
      this.running.add(run);
    }
  }

  private async run(job: PipelineJob, attempt: number): Promise<void> {
    const isLastAttempt = attempt >= this.retry.attempts;
    try {
      await this.processor(job, { number: attempt, isLastAttempt });
      this.known.delete(job.jobId);
    } catch (error) {
      if (isLastAttempt || this.closed) {
        this.known.delete(job.jobId);
        if (isLastAttempt) this.logger.warn(`job ${job.jobId} failed after ${attempt} attempts: ${String(error)}`);
        return;
      }
      const delay = this.retry.backoffMs * 2 ** (attempt - 1);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.waiting.push({ job, attempt: attempt + 1 });
        this.startNext();
      }, delay);
      this.timers.add(timer);
    }
  }
}
