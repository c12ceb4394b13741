// The Proxy-Wasm sandbox: runs a plugin in V8 with the host functions Envoy gives it, under limits, and tells what it did (a trial trace). Plain TypeScript.
export * from './src/trial-types.js';
export { capMemory, type MemoryCap } from './src/memory-cap.js';
export { type DeferredTrialRequest, runTrial, TrialPool, type TrialPoolOptions, TrialsBusyError } from './src/trial-runner.js';
export { DEFAULT_REQUESTS, SYNTHETIC_AUTHORITY } from './src/default-requests.js';
export {
  COST_CAVEAT,
  HOST_CAVEAT,
  type TrialPosition,
  type TrialWatch,
  failTrace,
  performTrial,
  trialFindings,
} from './src/perform-trial.js';
export { NODE_METADATA, PROPERTY_NAMES } from './src/properties.js';
export { OWN_TRIAL_LIMITS, PIPELINE_TRIAL_LIMITS, TRACE_BOUNDS } from './src/trial-limits.js';
export {
  type BehaviourDiff,
  type CapabilityDiff,
  type CapabilityDiffSide,
  type DiffChange,
  COST_INCREASE_THRESHOLD,
  DIFF_LIMITS,
  MEMORY_INCREASE_THRESHOLD,
  capabilityDiff,
  capabilityDiffSide,
} from './src/capability-diff.js';
