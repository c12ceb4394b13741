// Wasm analysis: the header check at upload, and what a module imports, exports and needs from its host, judged by the policy. Plain TypeScript; the analysis runs in a worker thread and loads no other library.
export { AnalysisPool, type AnalysisPoolOptions, analyzeInWorker, type AnalysisLimits } from './src/analysis-runner.js';
export { analyzeModule } from './src/analyze-module.js';
export { shorten } from './src/bound-report.js';
export { type AnalysisPolicy, DEFAULT_POLICY, decide, parsePolicy, type PolicyCode, type PolicyFinding, rejectionSummary, TRIAL_FINDING_CODES } from './src/policy.js';
export {
  ABI_MARKERS,
  ALLOCATOR_LOOKUP_ORDER,
  CALLBACKS,
  cppHostImport,
  EXTRA_ENV_FUNCTIONS,
  HOST_FUNCTIONS,
  WASI_FUNCTIONS,
  WASI_MODULES,
} from './src/proxy-wasm-abi.js';
export { restrictableCapabilities } from './src/proxy-wasm-abi.js';
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
export { WASM_HEADER_LENGTH, type WasmBinaryKind, checkWasmHeader } from './src/wasm-header.js';
