import { checkWasmHeader } from '../../domain/src/wasm-header.js';
import { ANALYSIS_REPORT_VERSION, type AnalysisReport } from './report.js';

/** The report of a module that could not be analysed: nothing is known but its header and size. */
export function failedAnalysis(header: Uint8Array, size: number, message: string): AnalysisReport {
  const check = checkWasmHeader(header);
  const kind = check.ok ? check.kind : 'module';
  return {
    reportVersion: ANALYSIS_REPORT_VERSION,
    size,
    kind,
    binaryVersion: header.length >= 6 ? header[4]! | (header[5]! << 8) : 0,
    layer: header.length >= 8 ? header[6]! | (header[7]! << 8) : 0,
    valid: false,
    validationError: null,
    imports: [],
    exports: [],
    memories: [],
    tables: [],
    startFunction: null,
    functionCount: 0,
    customSections: [],
    producers: null,
    targetFeatures: null,
    hasNameSection: false,
    component: null,
    proxyWasm: null,
    compatibility: [],
    capabilities: [],
    findings: [{ code: 'analysis_failed', severity: 'error', message: `The registry could not check this module: ${message}.` }],
  };
}
