import type { TrialLimits } from './trial-types.js';

/** The trial every ready version gets in the pipeline. */
export const PIPELINE_TRIAL_LIMITS: TrialLimits = {
  memoryMb: 128,
  heapMb: 64,
  callbackMs: 1000,
  trialMs: 15_000,
  ticks: 3,
  costSamples: 50,
};

/** Anyone's own trial through the API: tighter, because anyone can ask for it. */
export const OWN_TRIAL_LIMITS: TrialLimits = {
  memoryMb: 64,
  heapMb: 48,
  callbackMs: 250,
  trialMs: 3000,
  ticks: 2,
  costSamples: 20,
};

/** How much of what a module does is kept in a trace (it is stored and served as JSON); the rest is counted in `omitted`. */
export const TRACE_BOUNDS = {
  logsPerSection: 100,
  callsOutPerSection: 50,
  logMessageBytes: 1024,
  headerNameBytes: 256,
  headerValueBytes: 1024,
  bodyShownBytes: 4096,
  metrics: 100,
  /** Values kept per histogram. */
  histogramValues: 20,
  sharedData: 100,
  requests: 8,
  /** Callbacks listed per request or connection (answers delivered to a module calling out in a loop add up). */
  steps: 64,
  /** Headers kept per header change list. */
  headerChanges: 50,
} as const;
