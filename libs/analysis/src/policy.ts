import { shorten } from './bound-report.js';
import { REPORT_LIMITS } from './report-limits.js';
import type { Finding, FindingCode } from './report.js';

/** What a finding does to a version: reject it, or let it be ready with the finding shown as a warning. */
export type PolicyAction = 'reject' | 'warn';

/**
 * What the trial (libs/sandbox) finds when it runs a version: the module traps or is refused at start,
 * or refuses every example configuration. The sandbox is V8 in the registry, not Envoy, so they warn by default.
 */
export const TRIAL_FINDING_CODES = ['trial_start_failed', 'trial_configuration_refused'] as const;

/** Every code the policy judges: the analysis's and the trial's. */
export type PolicyCode = FindingCode | (typeof TRIAL_FINDING_CODES)[number];

export type AnalysisPolicy = Readonly<Record<PolicyCode, PolicyAction>>;

/** What the policy reads of a finding: the analysis's Finding, or a trial's (which has no severity). */
export interface PolicyFinding {
  code: PolicyCode;
  severity?: Finding['severity'];
  message: string;
}

// A Record, so that a finding code added to report.ts without a place here fails to compile.
const ALL_FINDING_CODES: Record<PolicyCode, true> = {
  invalid_module: true,
  unknown_host_import: true,
  unsupported_import_kind: true,
  missing_abi_version: true,
  unknown_abi_version: true,
  multiple_abi_versions: true,
  legacy_unversioned_plugin: true,
  missing_allocator: true,
  missing_memory_export: true,
  requires_recent_host: true,
  malformed_custom_section: true,
  not_a_proxy_wasm_plugin: true,
  component_not_loadable_by_proxies: true,
  excessive_metadata: true,
  no_code: true,
  analysis_failed: true,
  trial_start_failed: true,
  trial_configuration_refused: true,
};

export const FINDING_CODES = Object.keys(ALL_FINDING_CODES) as PolicyCode[];

/**
 * Rejected by default: invalid modules, imports no host provides, modules
 * that could not be analysed, metadata no real toolchain writes (a producers
 * string of megabytes, a million custom sections) and modules with no code to
 * run. Everything else is ready, with its findings as warnings.
 */
const REJECTED_BY_DEFAULT: readonly PolicyCode[] = [
  'invalid_module',
  'unknown_host_import',
  'unsupported_import_kind',
  'analysis_failed',
  'excessive_metadata',
  'no_code',
];

export const DEFAULT_POLICY: AnalysisPolicy = Object.fromEntries(
  FINDING_CODES.map((code) => [code, REJECTED_BY_DEFAULT.includes(code) ? 'reject' : 'warn']),
) as AnalysisPolicy;

/**
 * Reads `code=reject|warn,…` over the defaults. Returns the problems instead of
 * throwing, so that configuration can report them with the variable's name.
 */
export function parsePolicy(text: string): { policy: AnalysisPolicy; problems: string[] } {
  const policy: Record<PolicyCode, PolicyAction> = { ...DEFAULT_POLICY };
  const problems: string[] = [];
  for (const entry of text.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const [code, action, ...rest] = entry.split('=').map((p) => p.trim());
    if (rest.length > 0 || !code || !action) {
      problems.push(`${JSON.stringify(entry)} must look like code=reject or code=warn`);
    } else if (!FINDING_CODES.includes(code as PolicyCode)) {
      problems.push(`${JSON.stringify(code)} is not a finding code; known: ${FINDING_CODES.join(', ')}`);
    } else if (action !== 'reject' && action !== 'warn') {
      problems.push(`${JSON.stringify(action)} for ${code} must be reject or warn`);
    } else {
      policy[code as PolicyCode] = action;
    }
  }
  return { policy, problems };
}

export interface PolicyDecision<F extends PolicyFinding = Finding> {
  status: 'ready' | 'rejected';
  /** The findings that rejected the version; empty when ready. */
  reasons: F[];
  /** Findings shown with a ready version. */
  warnings: F[];
}

/** Informational findings never reject and are not warnings. */
export function decide<F extends PolicyFinding>(findings: readonly F[], policy: AnalysisPolicy): PolicyDecision<F> {
  const reasons = findings.filter((f) => policy[f.code] === 'reject');
  const warnings = findings.filter((f) => policy[f.code] === 'warn' && f.severity !== 'info');
  return reasons.length > 0 ? { status: 'rejected', reasons, warnings } : { status: 'ready', reasons: [], warnings };
}

/** Rejections named in a version's status reason; the analysis has them all. */
const REASONS_IN_STATUS = 3;

/**
 * Why a rejected version was rejected, in a few sentences for its
 * `statusReason` (shown with every version, in lists too): the first
 * reasons, each bounded, and how many more the analysis holds.
 */
export function rejectionSummary(decision: PolicyDecision<PolicyFinding>): string {
  const shown = decision.reasons.slice(0, REASONS_IN_STATUS).map((f) => shorten(f.message, REPORT_LIMITS.maxMessageLength));
  const more = decision.reasons.length - shown.length;
  return more > 0 ? `${shown.join(' ')} (and ${more} more in the analysis)` : shown.join(' ');
}
