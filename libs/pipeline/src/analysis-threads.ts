import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { instruments } from '../../telemetry/index.js';
import { AnalysisPool, type AnalysisReport } from '../../analysis/index.js';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';

/**
 * The warm analysis threads of a process that runs pipeline jobs
 * (ANALYSIS_THREADS, with ANALYSIS_MEMORY_MB and ANALYSIS_TIMEOUT_MS), closed
 * with the application so that no thread keeps the process alive: last, once
 * the queue has let running jobs finish (beforeApplicationShutdown), since an
 * analysis cut short by a closing pool would be recorded as the module's.
 */
@Injectable()
export class AnalysisThreads implements OnApplicationShutdown {
  private readonly logger = new Logger('Analysis');
  private readonly pool: AnalysisPool;

  constructor(@Inject(REGISTRY_CONFIG) config: RegistryConfig) {
    this.pool = new AnalysisPool(config.analysis, {
      threads: config.analysis.threads,
      onThreadError: (error) => this.logger.warn(`an analysis thread failed between analyses (replaced): ${String(error)}`),
    });
  }

  async analyze(bytes: Uint8Array): Promise<AnalysisReport> {
    const started = performance.now();
    let outcome: 'done' | 'error' = 'error';
    try {
      const report = await this.pool.analyze(bytes);
      outcome = 'done';
      return report;
    } finally {
      instruments().analysisDuration.record((performance.now() - started) / 1000, { 'registry.analysis.outcome': outcome });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
  }
}
