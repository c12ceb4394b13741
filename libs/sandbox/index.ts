// The Proxy-Wasm sandbox: runs a plugin in V8 with the host functions Envoy gives it, under limits, and tells what it did (a trial trace). Plain TypeScript.
export * from './src/trial-types.js';
export { capMemory, type MemoryCap } from './src/memory-cap.js';
export { runTrial, TrialPool, type TrialPoolOptions, TrialsBusyError } from './src/trial-runner.js';
