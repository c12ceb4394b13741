// Wasm module analysis: what a module imports, exports and needs from its host, the findings and the policy that judges them. Plain TypeScript; runs in a worker thread.
export { analyzeInWorker } from './src/analysis-runner.js';
export { analyzeModule } from './src/analyze-module.js';
export { shorten } from './src/bound-report.js';
export { type AnalysisPolicy, DEFAULT_POLICY, decide, parsePolicy, rejectionSummary } from './src/policy.js';
export { HOST_FUNCTIONS } from './src/proxy-wasm-abi.js';
export { REPORT_LIMITS } from './src/report-limits.js';
export { ANALYSIS_REPORT_SCHEMA } from './src/report.schema.js';
export {
  type AnalysisReport,
  type Capability,
  type Finding,
  type HostCompatibility,
  type ProducerValue,
  type Producers,
} from './src/report.js';
export { type AnalysisSummary, type StoredAnalysis, summarizeAnalysis } from './src/stored-analysis.js';
export { lowerThreadPriority } from './src/thread-priority.js';
export { validateModule } from './src/validate.js';
export { encodeUnsignedLeb128, parseWasm } from './src/wasm-binary.js';
