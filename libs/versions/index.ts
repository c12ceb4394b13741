// The owner of a version's life: creating it, every change of its status, the lock protocol, and the hooks that react.
export { InvalidationVersionHook } from './src/invalidation.version-hook.js';
export { PIPELINE_STEPS, jobIdFor, type PipelineJob, type PipelineStepName, type StepState, type StepStatus } from './src/pipeline-steps.js';
export { formatCoordinates, type ContractDocuments, type ContractSummary, type DeletedVersionRecord, type TrialSummary, type VersionCoordinates, type VersionRecord, type VersionStatus, type VersionToProcess } from './src/version.js';
export { VERSION_HOOKS, type PushedImageManifest, type VersionChange, type VersionChangeKind, type VersionLifecycleHook } from './src/version-hooks.js';
export { lockDigest, lockNamespacePluginCount, lockOciArtifacts, lockPluginName, lockPluginRow, lockPluginRowsOfVersions, lockVersion, tryLockVersion } from './src/version-locks.js';
export { VersionsModule } from './src/versions.module.js';
export {
  findLatestVersionId,
  findVersionById,
  toVersionRecord,
  versionRecordQuery,
  VersionsRepository,
  VersionTransaction,
  type AnalysisOutcome,
  type DeletedVersion,
  type DispatchedRound,
  type NewVersion,
  type ReconcileOutcome,
  type TrialOutcome,
  type VersionRefusal,
  type VersionStore,
} from './src/versions.repository.js';
