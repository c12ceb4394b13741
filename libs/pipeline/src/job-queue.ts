import type { PipelineJob } from '../../versions/index.js';

/** How a job is processed; `isLastAttempt` lets the processor record a final failure. */
export type JobProcessor = (job: PipelineJob, attempt: { number: number; isLastAttempt: boolean }) => Promise<void>;

/**
 * Where the outbox dispatcher hands jobs: BullMQ on Redis in production, or
 * in-process in the embedded configuration. Both retry with exponential backoff.
 */
export interface JobQueue {
  readonly kind: 'redis' | 'in-process';
  /** Resolves once the queue holds the job; adding a job id it already holds is a no-op. */
  add(jobs: readonly PipelineJob[]): Promise<void>;
  /** Whether the queue still holds the job to run: waiting, running, or waiting to be retried. */
  isAlive(jobId: string): Promise<boolean>;
  /** Resolves when the queue's store answers (Redis), at once in process: for readiness. */
  ping(): Promise<void>;
  /** Jobs by state, for the queue-depth gauge. */
  jobCounts(): Promise<JobCounts>;
  close(): Promise<void>;
}

export interface JobCounts {
  waiting: number;
  active: number;
  /** Waiting for a retry's backoff. */
  delayed: number;
}

export interface RetryOptions {
  attempts: number;
  /** Delay before the first retry; doubles for each next one. */
  backoffMs: number;
}

export const QUEUE_NAME = 'process-version';
