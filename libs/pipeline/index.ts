// The processing pipeline: after a publish, a version is analysed, described (SBOM) and signed by jobs from the outbox.
export { OutboxDispatcher } from './src/outbox-dispatcher.js';
export { PipelineReconciler } from './src/pipeline-reconciler.js';
export { PipelineModule, PipelineWorkerModule } from './src/pipeline.module.js';
export { PipelineRepository, type SignatureKind } from './src/pipeline.repository.js';
