import type { AnalysisReport, Finding, ProducerValue, ReportTotals } from './report.js';
import { COMPACT_REPORT_LIMITS, REPORT_LIMITS, SUMMARY_REPORT_LIMITS, type ReportLimits } from './report-limits.js';

/** Ends every string cut to its limit. */
export const ELLIPSIS = '…';

/**
 * The report with every list and string within REPORT_LIMITS, saying what it
 * left out (`truncated`, `omitted`, `shortenedStrings`) and the true counts
 * (`totals`). When that is still over maxReportBytes serialised, the tighter
 * COMPACT_REPORT_LIMITS apply, and past those SUMMARY_REPORT_LIMITS, which
 * keep no list entries but one finding per code and a count of the rest: the
 * policy still sees every code. Runs in the analysis worker; costs one pass
 * over the report per level.
 */
export function boundReport(report: AnalysisReport): AnalysisReport {
  const totals: ReportTotals = {
    imports: report.imports.length,
    exports: report.exports.length,
    memories: report.memories.length,
    tables: report.tables.length,
    customSections: report.customSections.length,
    findings: report.findings.length,
  };
  let bounded = applyLimits(report, REPORT_LIMITS, totals);
  for (const tighter of [COMPACT_REPORT_LIMITS, SUMMARY_REPORT_LIMITS]) {
    if (serializedSize(bounded) <= REPORT_LIMITS.maxReportBytes) return bounded;
    bounded = applyLimits(report, tighter, totals);
  }
  return bounded;
}

/** The report as stored: UTF-8 bytes of its JSON. */
export function serializedSize(report: unknown): number {
  return Buffer.byteLength(JSON.stringify(report), 'utf8');
}

/**
 * `text` cut to at most `max` characters, the last being "…". NUL, which
 * PostgreSQL cannot store in text or JSON, becomes U+FFFD.
 */
export function shorten(text: string, max: number): string {
  const clean = text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
  if (clean.length <= max) return clean;
  if (max <= 0) return '';
  let end = max - 1;
  // Never split a surrogate pair: a lone surrogate is not valid UTF-8 (nor storable).
  const last = clean.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${clean.slice(0, end)}${ELLIPSIS}`;
}

/** Cuts lists and strings to `limits`, counting what it leaves out. */
class Bounds {
  readonly omitted: Record<string, number> = {};
  shortened = 0;

  constructor(readonly limits: ReportLimits) {}

  text(value: string, max: number = this.limits.maxStringLength): string {
    const out = shorten(value, max);
    if (out.length < value.length) this.shortened += 1;
    return out;
  }

  message(value: string): string {
    return this.text(value, this.limits.maxMessageLength);
  }

  list<T, U>(path: string, items: readonly T[], max: number, map: (item: T) => U): U[] {
    if (items.length > max) this.omitted[path] = (this.omitted[path] ?? 0) + items.length - max;
    return items.slice(0, Math.max(0, max)).map(map);
  }

  names(path: string, items: readonly string[], max: number = this.limits.maxNameList): string[] {
    return this.list(path, items, max, (name) => this.text(name));
  }

  producers(path: string, values: readonly ProducerValue[]): ProducerValue[] {
    return this.list(path, values, this.limits.maxProducerValues, (v) => ({ name: this.text(v.name), version: this.text(v.version) }));
  }
}

function applyLimits(report: AnalysisReport, limits: ReportLimits, totals: ReportTotals): AnalysisReport {
  const b = new Bounds(limits);
  const pw = report.proxyWasm;
  const bounded: AnalysisReport = {
    ...report,
    validationError: report.validationError && { message: b.message(report.validationError.message), offset: report.validationError.offset },
    imports: b.list('imports', report.imports, limits.maxImports, (i) => ({ module: b.text(i.module), name: b.text(i.name), kind: i.kind })),
    exports: b.list('exports', report.exports, limits.maxExports, (e) => ({ name: b.text(e.name), kind: e.kind })),
    memories: b.list('memories', report.memories, limits.maxMemories, (m) => ({ ...m })),
    tables: b.list('tables', report.tables, limits.maxTables, (t) => ({ ...t, elementType: b.text(t.elementType) })),
    customSections: b.list('customSections', report.customSections, limits.maxCustomSections, (c) => ({ ...c, name: b.text(c.name) })),
    producers: report.producers && {
      language: b.producers('producers.language', report.producers.language),
      processedBy: b.producers('producers.processedBy', report.producers.processedBy),
      sdk: b.producers('producers.sdk', report.producers.sdk),
    },
    targetFeatures:
      report.targetFeatures && b.list('targetFeatures', report.targetFeatures, limits.maxTargetFeatures, (f) => ({ prefix: f.prefix, name: b.text(f.name) })),
    component: report.component && {
      wit: b.text(report.component.wit, limits.maxWitLength),
      imports: b.names('component.imports', report.component.imports, limits.maxComponentItems),
      exports: b.names('component.exports', report.component.exports, limits.maxComponentItems),
    },
    proxyWasm: pw && {
      ...pw,
      declaredAbiVersions: b.list('proxyWasm.declaredAbiVersions', pw.declaredAbiVersions, limits.maxNameList, (v) => v),
      nonStandardAbiMarkers: b.names('proxyWasm.nonStandardAbiMarkers', pw.nonStandardAbiMarkers),
      hostImports: b.names('proxyWasm.hostImports', pw.hostImports),
      unknownImports: b.names('proxyWasm.unknownImports', pw.unknownImports),
      wasiImports: b.names('proxyWasm.wasiImports', pw.wasiImports),
      callbacks: {
        http: b.names('proxyWasm.callbacks.http', pw.callbacks.http),
        tcp: b.names('proxyWasm.callbacks.tcp', pw.callbacks.tcp),
        lifecycle: b.names('proxyWasm.callbacks.lifecycle', pw.callbacks.lifecycle),
        other: b.names('proxyWasm.callbacks.other', pw.callbacks.other),
      },
      filterTypes: [...pw.filterTypes],
      envoy: { loads: pw.envoy.loads, reasons: b.list('proxyWasm.envoy.reasons', pw.envoy.reasons, limits.maxEnvoyReasons, (r) => b.message(r)) },
    },
    compatibility: report.compatibility.map((c) => ({ host: b.text(c.host), versions: b.text(c.versions), reason: b.message(c.reason), source: b.message(c.source) })),
    capabilities: report.capabilities.map((c) => ({ ...c, functions: b.names('capabilities.functions', c.functions) })),
    findings: boundFindings(report.findings, b),
  };
  const truncated = Object.keys(b.omitted).length > 0 || b.shortened > 0;
  // The bookkeeping goes first, so that a reader of the JSON sees it before the lists.
  const { reportVersion, truncated: _truncated, omitted: _omitted, shortenedStrings: _shortened, totals: _totals, ...rest } = bounded;
  return { reportVersion, truncated, omitted: b.omitted, shortenedStrings: b.shortened, totals, ...rest };
}

/**
 * The first maxFindingsPerCode findings of each code (with the same severity
 * and host), then one finding per cut group that counts the rest; worst first,
 * as before. 100,000 unknown imports become 10 findings and a count, and the
 * policy, which decides by code, decides as it would have on all of them.
 */
function boundFindings(findings: readonly Finding[], b: Bounds): Finding[] {
  const max = b.limits.maxFindingsPerCode;
  const groups = new Map<string, { first: Finding; count: number }>();
  const kept: Finding[] = [];
  for (const f of findings) {
    const key = `${f.code}\n${f.severity}\n${f.host ?? ''}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { first: f, count: 1 });
    else group.count += 1;
    if ((group?.count ?? 1) <= max) kept.push({ ...f, message: b.message(f.message) });
  }
  let left = 0;
  for (const { first, count } of groups.values()) {
    if (count <= max) continue;
    left += count - max;
    const summary: Finding = {
      code: first.code,
      severity: first.severity,
      message: `…and ${(count - max).toLocaleString('en-US')} more ${first.code} findings like ${max === 1 ? 'the one' : `the ${max}`} above, left out of the report.`,
    };
    if (first.host !== undefined) summary.host = first.host;
    kept.push(summary);
  }
  if (left > 0) b.omitted.findings = left;
  // Stable: each summary stays after the findings it counts, within its severity.
  const rank = { error: 0, warning: 1, info: 2 } as const;
  return kept.sort((x, y) => rank[x.severity] - rank[y.severity]);
}
