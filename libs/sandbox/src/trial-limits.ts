import type { TrialLimits } from './trial-types.js';

// Placeholder with the design's values until the host's trial-limits.ts is merged (theirs wins).
export const PIPELINE_TRIAL_LIMITS: TrialLimits = { memoryMb: 128, heapMb: 64, callbackMs: 1000, trialMs: 15_000, ticks: 3, costSamples: 50 };
export const OWN_TRIAL_LIMITS: TrialLimits = { memoryMb: 64, heapMb: 48, callbackMs: 250, trialMs: 3000, ticks: 2, costSamples: 20 };
export const TRACE_BOUNDS = {
  logsPerSection: 100,
  callsOutPerSection: 50,
  logMessageBytes: 1024,
  headerNameBytes: 256,
  headerValueBytes: 1024,
  bodyShownBytes: 4096,
  metrics: 100,
  sharedData: 100,
  requests: 8,
} as const;
