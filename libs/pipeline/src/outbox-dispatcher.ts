import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import { QUEUE_NAME, type JobQueue } from './job-queue.js';
import { contextFromCarrier, inSpan, SpanKind } from '../../telemetry/index.js';
import type { PipelineJob } from '../../versions/index.js';
import { PipelineRepository } from './pipeline.repository.js';

export const JOB_QUEUE = Symbol('JobQueue');

const BATCH = 100;

/**
 * Moves committed work from the outbox to the queue: right after a publish,
 * and on a timer, so that work published while Redis was down reaches the
 * queue once it is back.
 */
@Injectable()
export class OutboxDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('OutboxDispatcher');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private failing = false;

  constructor(
    private readonly pipeline: PipelineRepository,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.queue.kind === 'in-process') {
      // That queue does not outlive the process: hand it the work of versions left pending.
      await this.queue.add(await this.pipeline.pendingJobs());
    }
    this.timer = setInterval(() => this.kick(), this.config.pipeline.outboxPollMs).unref();
    this.kick();
  }

  /** Dispatches soon; calls while a dispatch runs make it run once more. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.dispatchAll().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.queue.close();
  }

  /** A producer span per batch: a child of the publish when it holds one job, linked to each publish otherwise. */
  private enqueue(jobs: PipelineJob[]): Promise<void> {
    const contexts = jobs.map((job) => contextFromCarrier(job.traceContext));
    const attributes = { 'messaging.operation.type': 'send', 'messaging.destination.name': QUEUE_NAME, 'messaging.batch.message_count': jobs.length, 'registry.queue.kind': this.queue.kind };
    return inSpan('pipeline.enqueue', { kind: SpanKind.PRODUCER, attributes, ...(jobs.length === 1 ? { parent: contexts[0] } : { links: contexts }) }, () => this.queue.add(jobs));
  }

  private async dispatchAll(): Promise<void> {
    try {
      while ((await this.pipeline.dispatchOutbox(BATCH, (jobs) => this.enqueue(jobs))) === BATCH) {
        // a full batch: there may be more
      }
      if (this.failing) this.logger.log('the queue accepts jobs again');
      this.failing = false;
    } catch (error) {
      // The entries stay in the outbox; the timer tries again.
      if (!this.failing) this.logger.warn(`cannot hand jobs to the ${this.queue.kind} queue yet: ${error instanceof Error ? error.message : String(error)}`);
      this.failing = true;
    }
  }
}
