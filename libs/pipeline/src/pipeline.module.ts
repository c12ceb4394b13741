import { Inject, Injectable, Module, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import { AnalysisThreads } from './analysis-threads.js';
import type { BullMqWorker } from './bullmq.queue.js';
import { InProcessQueue } from './in-process.queue.js';
import type { JobQueue } from './job-queue.js';
import { JOB_QUEUE, OutboxDispatcher } from './outbox-dispatcher.js';
import { PipelineMetrics } from './pipeline-metrics.js';
import { QUEUE_HEALTH } from '../../health/index.js';
import { PipelineReconciler, RUNS_PIPELINE_JOBS } from './pipeline-reconciler.js';
import { PipelineRepository } from './pipeline.repository.js';
import { PipelineService } from './pipeline.service.js';
import { SbomStep } from './sbom.step.js';
import { SignatureStep } from './signature.step.js';
import { SigningKeys } from './signing-keys.js';
import { runTrial } from '../../sandbox/index.js';
import { TRIAL_RUNNER, type TrialRunner } from './trial-request.js';
import { TrialStep } from './trial.step.js';

const retryOf = (config: RegistryConfig) => ({ attempts: config.pipeline.attempts, backoffMs: config.pipeline.backoffMs });

// BullMQ and ioredis are loaded only with REDIS_URL: the embedded registry never holds them in memory.
const loadBullMq = () => import('./bullmq.queue.js');

/** What processes versions, in the API (embedded) and in the worker alike: steps, outbox and reconciler. */
const PROCESSING = [
  PipelineRepository,
  PipelineService,
  AnalysisThreads,
  SbomStep,
  SignatureStep,
  TrialStep,
  SigningKeys,
  OutboxDispatcher,
  PipelineReconciler,
  // Each trial in a fresh sandbox process; the pipeline's concurrency bounds how many run at once.
  { provide: TRIAL_RUNNER, useValue: { runTrial } satisfies TrialRunner },
];

/**
 * The processing pipeline. With REDIS_URL the queue is BullMQ and jobs run in
 * worker processes (PipelineWorkerModule); without it they run in this process.
 */
@Module({
  providers: [
    ...PROCESSING,
    // Embedded, jobs run in this process, and so does the reconciler; with Redis, in the workers.
    { provide: RUNS_PIPELINE_JOBS, inject: [REGISTRY_CONFIG], useFactory: (config: RegistryConfig) => config.redisUrl === null },
    {
      provide: JOB_QUEUE,
      inject: [REGISTRY_CONFIG, PipelineService],
      useFactory: async (config: RegistryConfig, pipeline: PipelineService): Promise<JobQueue> =>
        config.redisUrl !== null
          ? new (await loadBullMq()).BullMqQueue(config.redisUrl, retryOf(config))
          : new InProcessQueue((job, attempt) => pipeline.process(job, attempt), retryOf(config), config.pipeline.concurrency),
    },
    PipelineMetrics,
    { provide: QUEUE_HEALTH, useExisting: JOB_QUEUE },
  ],
  exports: [PipelineRepository, OutboxDispatcher, SigningKeys, JOB_QUEUE, QUEUE_HEALTH],
})
export class PipelineModule {}

/** Runs pipeline jobs from Redis: the body of `apps/worker`. */
@Injectable()
export class PipelineWorkerRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private worker: BullMqWorker | null = null;

  constructor(
    private readonly pipeline: PipelineService,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.redisUrl === null) throw new Error('the pipeline worker needs REDIS_URL');
    const { BullMqWorker } = await loadBullMq();
    this.worker = new BullMqWorker(this.config.redisUrl, (job, attempt) => this.pipeline.process(job, attempt), {
      ...retryOf(this.config),
      concurrency: this.config.pipeline.concurrency,
      lockMs: this.config.pipeline.lockMs,
    });
    this.worker.start();
  }

  /** On SIGTERM: running jobs finish, no new ones start. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.close();
  }
}

/**
 * The worker process: runs jobs, dispatches the outbox too (so that work never
 * waits for an API process), and reconciles lost work.
 */
@Module({
  providers: [
    ...PROCESSING,
    PipelineWorkerRunner,
    { provide: RUNS_PIPELINE_JOBS, useValue: true },
    { provide: JOB_QUEUE, inject: [REGISTRY_CONFIG], useFactory: async (config: RegistryConfig): Promise<JobQueue> => new (await loadBullMq()).BullMqQueue(config.redisUrl!, retryOf(config)) },
    PipelineMetrics,
    { provide: QUEUE_HEALTH, useExisting: JOB_QUEUE },
  ],
  exports: [QUEUE_HEALTH],
})
export class PipelineWorkerModule {}
