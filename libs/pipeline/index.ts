// The processing pipeline: after a publish, a version is analysed, tried in the Proxy-Wasm sandbox, described (SBOM) and signed by jobs from the outbox.
export { OutboxDispatcher } from './src/outbox-dispatcher.js';
export { PipelineReconciler } from './src/pipeline-reconciler.js';
export { PipelineModule, PipelineWorkerModule } from './src/pipeline.module.js';
export { PipelineRepository, type SignatureKind } from './src/pipeline.repository.js';
export { configurationText, EMPTY_CONFIGURATION, summarizeTrial, TRIAL_RUNNER, type TrialRunner, versionTrialRequest } from './src/trial-request.js';
