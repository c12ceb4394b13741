import { shorten } from './bound-report.js';
import type { PolicyDecision } from './policy.js';
import { REPORT_LIMITS } from './report-limits.js';
import type { AnalysisReport, Finding } from './report.js';

/** What is stored with a version: the report, and what the registry's policy made of it at the time. */
export interface StoredAnalysis {
  report: AnalysisReport;
  decision: PolicyDecision;
}

/** Warnings and rejections a summary lists, each; the analysis has them all. */
export const SUMMARY_FINDINGS = 5;

/**
 * The analysis in brief, as version and plugin views show it with every
 * version (versions.analysis_summary): a few KiB at most whatever the module,
 * so that listing versions never reads their reports.
 */
export interface AnalysisSummary {
  kind: 'module' | 'component';
  abiVersion: string | null;
  envoyLoads: boolean | null;
  filterTypes: ('http' | 'network')[];
  compatibility: { host: string; versions: string }[];
  capabilities: string[];
  /** The first SUMMARY_FINDINGS warnings. */
  warnings: Finding[];
  /** The first SUMMARY_FINDINGS rejections. */
  rejections: Finding[];
  /** Warnings and rejections left out of the lists above, when any were. */
  omitted: { warnings?: number; rejections?: number };
  /** Whether the report itself leaves something out (report version 2). */
  truncated: boolean;
}

/**
 * The summary of a stored analysis. The migration that added
 * versions.analysis_summary computes the same in SQL for versions analysed
 * before it (a test holds the two together).
 */
export function summarizeAnalysis({ report, decision }: StoredAnalysis): AnalysisSummary {
  const omitted: AnalysisSummary['omitted'] = {};
  const first = (findings: readonly Finding[], key: 'warnings' | 'rejections'): Finding[] => {
    if (findings.length > SUMMARY_FINDINGS) omitted[key] = findings.length - SUMMARY_FINDINGS;
    // Reports stored before version 2 may hold longer messages.
    return findings.slice(0, SUMMARY_FINDINGS).map((f) => ({ ...f, message: shorten(f.message, REPORT_LIMITS.maxMessageLength) }));
  };
  const warnings = first(decision.warnings, 'warnings');
  const rejections = first(decision.reasons, 'rejections');
  return {
    kind: report.kind,
    abiVersion: report.proxyWasm?.abiVersion ?? null,
    envoyLoads: report.proxyWasm?.envoy.loads ?? null,
    filterTypes: report.proxyWasm?.filterTypes ?? [],
    compatibility: report.compatibility.map(({ host, versions }) => ({ host, versions })),
    capabilities: report.capabilities.map((c) => c.id),
    warnings,
    rejections,
    omitted,
    truncated: report.truncated ?? false,
  };
}
