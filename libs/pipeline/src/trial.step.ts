import { Inject, Injectable } from '@nestjs/common';
import { instruments } from '../../telemetry/index.js';
import { decide, rejectionSummary } from '../../analysis/index.js';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import { PIPELINE_TRIAL_LIMITS } from '../../sandbox/index.js';
import { VersionsRepository, type VersionStore, type VersionToProcess } from '../../versions/index.js';
import { summarizeTrial, TRIAL_RUNNER, type TrialRunner, versionTrialRequest } from './trial-request.js';

/**
 * Runs the version in the Proxy-Wasm sandbox (libs/sandbox): starts it, configures it with each of
 * its examples, sends it synthetic traffic and times it, within PIPELINE_TRIAL_LIMITS. The trial's
 * findings go through the analysis policy (warn by default: the sandbox is not Envoy). Whatever the
 * module does ends as a trace, never as an error of the step; the first trace stored is kept.
 */
@Injectable()
export class TrialStep {
  constructor(
    @Inject(VersionsRepository) private readonly versions: Pick<VersionStore, 'findTrial' | 'findContractDocuments' | 'recordTrial'>,
    @Inject(TRIAL_RUNNER) private readonly runner: TrialRunner,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  /** Only a Proxy-Wasm module can be started as Envoy would: a component, or a module that is no plugin, is skipped. */
  appliesTo(version: VersionToProcess): boolean {
    const report = version.analysis?.report;
    return report !== undefined && report.kind === 'module' && report.proxyWasm !== null;
  }

  async run(version: VersionToProcess, module: Uint8Array): Promise<void> {
    if ((await this.versions.findTrial(version.id)) !== null) return;
    const documents = version.contract === null ? null : await this.versions.findContractDocuments(version.id);
    const trace = await this.runner.runTrial(versionTrialRequest(module, version.contract, documents, PIPELINE_TRIAL_LIMITS));
    const metrics = instruments();
    metrics.trialDuration.record(trace.elapsedMs / 1000);
    if (trace.cost !== null) {
      metrics.trialRequestCpu.record(trace.cost.medianMicros / 1e6);
      metrics.trialModuleMemory.record(trace.cost.memoryBytesAfterStart);
    }
    // decide() takes only codes the policy knows: a finding code the sandbox adds must get a place there to compile.
    const decision = decide(trace.findings, this.config.analysis.policy);
    await this.versions.recordTrial(
      version.id,
      { trace, summary: summarizeTrial(trace), rejectedBecause: decision.status === 'rejected' ? rejectionSummary(decision) : null },
      new Date(),
    );
  }
}
