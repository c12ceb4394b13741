import type { PolicyDecision } from './policy.js';
import type { AnalysisReport } from './report.js';

/** What is stored with a version: the report, and what the registry's policy made of it at the time. */
export interface StoredAnalysis {
  report: AnalysisReport;
  decision: PolicyDecision;
}
