// The Proxy-Wasm sandbox: runs a plugin in V8 with the host functions Envoy gives it, under limits, and tells what it did (a trial trace). Plain TypeScript.
export * from './src/trial-types.js';
export * from './src/trial-limits.js';
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
