import { checkWasmHeader } from './wasm-header.js';
import { shorten } from './bound-report.js';
import { REPORT_LIMITS } from './report-limits.js';
import { ANALYSIS_REPORT_VERSION, type AnalysisReport } from './report.js';

/** The report of a module that could not be analysed: nothing is known but its header and size. */
export function failedAnalysis(header: Uint8Array, size: number, message: string): AnalysisReport {
  const check = checkWasmHeader(header);
  const kind = check.ok ? check.kind : 'module';
  const full = `The registry could not check this module: ${message}.`;
  const text = shorten(full, REPORT_LIMITS.maxMessageLength);
  return {
    reportVersion: ANALYSIS_REPORT_VERSION,
    truncated: text.length < full.length,
    omitted: {},
    shortenedStrings: text.length < full.length ? 1 : 0,
    totals: { imports: 0, exports: 0, memories: 0, tables: 0, customSections: 0, findings: 1 },
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
    findings: [{ code: 'analysis_failed', severity: 'error', message: text }],
  };
}
