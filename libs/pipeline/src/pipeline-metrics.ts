import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { instruments } from '../../telemetry/index.js';
import type { JobQueue } from './job-queue.js';
import { JOB_QUEUE } from './outbox-dispatcher.js';
import { PipelineRepository } from './pipeline.repository.js';

/**
 * The pipeline's gauges, read when metrics are collected: jobs in the queue by state, and the
 * outbox's backlog (how many entries wait for the queue, and how long the oldest has waited).
 * Every process that holds the queue reports the same values: dashboards take the max.
 */
@Injectable()
export class PipelineMetrics implements OnModuleInit, OnModuleDestroy {
  private stop: (() => void) | null = null;

  constructor(
    private readonly pipeline: PipelineRepository,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  onModuleInit(): void {
    const metrics = instruments();
    const queueAttributes = { 'registry.queue.kind': this.queue.kind };
    this.stop = metrics.observe([metrics.queueJobs, metrics.outboxLag, metrics.outboxEntries], async (observe) => {
      const [counts, backlog] = await Promise.all([this.queue.jobCounts(), this.pipeline.outboxBacklog()]);
      for (const [state, value] of Object.entries(counts)) observe(metrics.queueJobs, value, { ...queueAttributes, 'registry.queue.state': state });
      observe(metrics.outboxEntries, backlog.entries);
      observe(metrics.outboxLag, backlog.oldest === null ? 0 : Math.max(0, (Date.now() - backlog.oldest.getTime()) / 1000));
    });
  }

  onModuleDestroy(): void {
    this.stop?.();
  }
}
