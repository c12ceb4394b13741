import { boundReport, shorten } from './bound-report.js';
import { describeComponent as describeComponentWithWasmTools, type ComponentDescription } from './component.js';
import { failedAnalysis } from './failed-analysis.js';
import { deriveCompatibility } from './host-compatibility.js';
import {
  ABI_MARKER_PREFIX,
  ABI_MARKERS,
  CALLBACK_GROUP,
  CAPABILITIES,
  cppHostImport,
  NON_STANDARD_MARKERS,
  WASI_MODULES,
  type CallbackGroup,
} from './proxy-wasm-abi.js';
import { METADATA_LIMITS } from './report-limits.js';
import {
  ANALYSIS_REPORT_VERSION,
  type AnalysisReport,
  type Capability,
  type ComponentInfo,
  type ExportEntry,
  type Finding,
  type ImportEntry,
  type MemoryEntry,
  type ProxyWasmAbiVersion,
  type ProxyWasmInfo,
  type TableEntry,
} from './report.js';
import { validateModule, type ValidationError } from './validate.js';
import { parseWasm, type ParsedModule } from './wasm-binary.js';

export interface AnalyzeModuleOptions {
  /** Decodes components; the wasm-tools implementation by default, replaceable in tests. */
  describeComponent?: (bytes: Uint8Array) => Promise<ComponentDescription>;
}

/**
 * Describes a module from its bytes alone: structure, validity, Proxy-Wasm
 * ABI, the hosts that can run it and everything a publisher should know.
 * Never instantiates or runs the module, and never throws: an unexpected
 * failure becomes an `analysis_failed` finding. The report is bounded
 * (report-limits.ts) and says what it left out, whatever the module holds.
 */
export async function analyzeModule(bytes: Uint8Array, options: AnalyzeModuleOptions = {}): Promise<AnalysisReport> {
  let report: AnalysisReport;
  try {
    const parsed = parseWasm(bytes);
    report =
      parsed.header?.kind === 'component'
        ? await analyzeComponent(bytes, parsed, options.describeComponent ?? describeComponentWithWasmTools)
        : analyzeCore(bytes, parsed);
  } catch (error) {
    report = failedAnalysis(bytes.subarray(0, 8), bytes.length, error instanceof Error ? error.message : String(error));
  }
  return boundReport(report);
}

/** A name from the module as it appears inside a message: the whole name is in the report's lists. */
const NAME_IN_MESSAGE = 128;
const named = (text: string): string => shorten(text, NAME_IN_MESSAGE);

const SEVERITY_RANK: Record<Finding['severity'], number> = { error: 0, warning: 1, info: 2 };

/** Worst first; within a severity, the order they were found in (Array.prototype.sort is stable). */
function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
}

function finding(
  code: Finding['code'],
  severity: Finding['severity'],
  message: string,
  extra: { host?: string; offset?: number | null } = {},
): Finding {
  const result: Finding = { code, severity, message };
  if (extra.host !== undefined) result.host = extra.host;
  if (extra.offset !== undefined && extra.offset !== null) result.offset = extra.offset;
  return result;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The parts of the report read from the binary structure alone. */
function structuralReport(bytes: Uint8Array, parsed: ParsedModule): AnalysisReport {
  const imports: ImportEntry[] = parsed.imports.map(({ module, name, kind }) => ({ module, name, kind }));
  const exports: ExportEntry[] = parsed.exports.map(({ name, kind }) => ({ name, kind }));
  // Index space order: imported memories and tables come first.
  const memories: MemoryEntry[] = [
    ...parsed.imports.flatMap((i) => (i.memory ? [{ limits: i.memory, imported: true }] : [])),
    ...parsed.memories.map((limits) => ({ limits, imported: false })),
  ].map(({ limits, imported }) => ({
    initial: limits.initial,
    maximum: limits.maximum,
    shared: limits.shared,
    memory64: limits.memory64,
    imported,
  }));
  const tables: TableEntry[] = [
    ...parsed.imports.flatMap((i) => (i.table ? [{ table: i.table, imported: true }] : [])),
    ...parsed.tables.map((table) => ({ table, imported: false })),
  ].map(({ table, imported }) => ({
    elementType: table.elementType,
    initial: table.limits.initial,
    maximum: table.limits.maximum,
    imported,
  }));
  return {
    reportVersion: ANALYSIS_REPORT_VERSION,
    // Filled in by boundReport.
    truncated: false,
    omitted: {},
    shortenedStrings: 0,
    totals: { imports: 0, exports: 0, memories: 0, tables: 0, customSections: 0, findings: 0 },
    size: bytes.length,
    kind: parsed.header?.kind ?? 'module',
    binaryVersion: parsed.header?.version ?? 0,
    layer: parsed.header?.layer ?? 0,
    valid: false,
    validationError: null,
    imports,
    exports,
    memories,
    tables,
    startFunction: parsed.startFunction,
    functionCount: parsed.functionTypeIndices.length,
    customSections: parsed.customSections.map(({ name, size, offset }) => ({ name, size, offset })),
    producers: parsed.producers,
    targetFeatures: parsed.targetFeatures,
    hasNameSection: parsed.hasNameSection,
    component: null,
    proxyWasm: null,
    compatibility: [],
    capabilities: [],
    findings: parsed.warnings.map((w) => finding(w.code, 'warning', w.message, { offset: w.offset })),
  };
}

async function analyzeComponent(
  bytes: Uint8Array,
  parsed: ParsedModule,
  describe: (bytes: Uint8Array) => Promise<ComponentDescription>,
): Promise<AnalysisReport> {
  const report = structuralReport(bytes, parsed);
  report.findings.push(
    finding(
      'component_not_loadable_by_proxies',
      'error',
      'This is a WebAssembly component, not a core module: Envoy, Istio and MOSN load only core modules implementing the Proxy-Wasm ABI, so no proxy can run it.',
    ),
  );
  let description: ComponentDescription;
  try {
    description = await describe(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    report.validationError = { message: `The component could not be decoded: ${reason}`, offset: null };
    report.findings.push(finding('analysis_failed', 'error', `The component could not be decoded (${reason}); it was not checked.`));
    report.findings = sortFindings(report.findings);
    return report;
  }
  report.component = description.info;
  report.valid = description.error === null && description.info !== null;
  const excessive = excessiveMetadata(parsed, description.info);
  if (excessive) report.findings.push(excessive);
  if (description.error) {
    report.validationError = description.error;
    report.findings.push(
      finding('invalid_module', 'error', `The component is invalid: ${description.error.message}`, {
        offset: description.error.offset,
      }),
    );
  }
  report.findings = sortFindings(report.findings);
  return report;
}

function analyzeCore(bytes: Uint8Array, parsed: ParsedModule): AnalysisReport {
  const report = structuralReport(bytes, parsed);

  // Framing errors (not Wasm at all, truncated, sizes past the end) are clearer
  // from the structural reader; anything inside a section is V8's to judge.
  let validationError: ValidationError | null;
  if (parsed.error?.framing || parsed.header === null) {
    validationError = { message: capitalize(parsed.error?.message ?? 'not a WebAssembly binary'), offset: parsed.error?.offset ?? 0 };
  } else {
    validationError = validateModule(bytes);
    if (validationError === null && parsed.error) {
      report.findings.push(
        finding(
          'analysis_failed',
          'warning',
          `V8 accepts the module, but part of it could not be read here, so the report may be incomplete: ${parsed.error.message}`,
          { offset: parsed.error.offset },
        ),
      );
    }
  }
  report.valid = validationError === null;
  report.validationError = validationError;
  if (validationError) {
    report.findings.push(
      finding('invalid_module', 'error', `The module is not valid WebAssembly: ${validationError.message}`, {
        offset: validationError.offset,
      }),
    );
  }
  if (parsed.header === null) {
    report.findings = sortFindings(report.findings);
    return report;
  }
  const excessive = excessiveMetadata(parsed, null);
  if (excessive) report.findings.push(excessive);
  if (report.valid && parsed.functionTypeIndices.length === 0) {
    report.findings.push(
      finding(
        'no_code',
        'error',
        parsed.imports.some((i) => i.kind === 'function')
          ? 'The module defines no function: it only imports them, so it has no code of its own for a host to run. A Proxy-Wasm plugin defines at least its callbacks, its allocator and a proxy_abi_version_* marker.'
          : 'The module defines no function: it has no code for a host to run. A Proxy-Wasm plugin defines at least its callbacks, its allocator and a proxy_abi_version_* marker.',
      ),
    );
  }

  report.capabilities = capabilitiesOf(report.imports);
  const plugin = proxyWasmAnalysis(parsed, report);
  if (plugin) {
    report.proxyWasm = plugin.info;
    report.findings.push(...plugin.findings);
    report.compatibility = report.valid
      ? deriveCompatibility({
          abiVersion: plugin.info.abiVersion,
          functionExports: parsed.exports.filter((e) => e.kind === 'function').map((e) => e.name),
          imports: report.imports,
          cppHostLoads: plugin.info.envoy.loads,
        })
      : [];
  } else if (report.valid) {
    report.findings.push(
      finding(
        'not_a_proxy_wasm_plugin',
        'info',
        'This module neither exports a proxy_abi_version_* marker nor imports Proxy-Wasm host functions: it is not a Proxy-Wasm plugin, so no proxy will load it as a filter.',
      ),
    );
  }
  report.findings = sortFindings(report.findings);
  return report;
}

/**
 * `excessive_metadata` when counts or name lengths are beyond what any real
 * toolchain writes (METADATA_LIMITS), naming each excess; null otherwise.
 * The size of custom sections never counts: debug info makes them large in
 * real builds.
 */
function excessiveMetadata(parsed: ParsedModule, component: ComponentInfo | null): Finding | null {
  const problems: string[] = [];
  const n = (value: number): string => value.toLocaleString('en-US');
  const count = (what: string, value: number, limit: number): void => {
    if (value > limit) problems.push(`${n(value)} ${what} (at most ${n(limit)})`);
  };
  const longest = (what: string, names: Iterable<string>, limit: number): void => {
    let max = 0;
    for (const name of names) max = Math.max(max, name.length);
    if (max > limit) problems.push(`${what} of ${n(max)} characters (at most ${n(limit)})`);
  };
  count('imports', parsed.imports.length, METADATA_LIMITS.imports);
  count('exports', parsed.exports.length, METADATA_LIMITS.exports);
  count('custom sections', parsed.customSections.length, METADATA_LIMITS.customSections);
  longest(
    'a name',
    (function* () {
      for (const i of parsed.imports) yield* [i.module, i.name];
      for (const e of parsed.exports) yield e.name;
      for (const c of parsed.customSections) yield c.name;
      for (const f of parsed.targetFeatures ?? []) yield f.name;
    })(),
    METADATA_LIMITS.nameLength,
  );
  if (parsed.producers) {
    const fields = [parsed.producers.language, parsed.producers.processedBy, parsed.producers.sdk];
    count('values in one producers field', Math.max(...fields.map((f) => f.length)), METADATA_LIMITS.producerValues);
    longest(
      'a producers string',
      (function* () {
        for (const field of fields) for (const v of field) yield* [v.name, v.version];
      })(),
      METADATA_LIMITS.producerStringLength,
    );
  }
  count('target features', parsed.targetFeatures?.length ?? 0, METADATA_LIMITS.targetFeatures);
  if (component) {
    count('component imports', component.imports.length, METADATA_LIMITS.componentItems);
    count('component exports', component.exports.length, METADATA_LIMITS.componentItems);
    if (component.wit.length > METADATA_LIMITS.witLength) problems.push(`a WIT world of ${n(component.wit.length)} characters (at most ${n(METADATA_LIMITS.witLength)})`);
  }
  if (problems.length === 0) return null;
  return finding(
    'excessive_metadata',
    'error',
    `The module's metadata is beyond what any real toolchain writes: ${problems.join('; ')}. Build it with a standard toolchain, or strip the extra metadata (e.g. wasm-tools strip).`,
  );
}

function capabilitiesOf(imports: readonly ImportEntry[]): Capability[] {
  const byFunction = new Map<string, number>();
  CAPABILITIES.forEach((cap, index) => {
    for (const name of cap.env) byFunction.set(`env.${name}`, index);
    for (const name of cap.wasi) for (const module of WASI_MODULES) byFunction.set(`${module}.${name}`, index);
  });
  const functions: string[][] = CAPABILITIES.map(() => []);
  const seen = new Set<string>();
  for (const entry of imports) {
    if (entry.kind !== 'function') continue;
    const key = `${entry.module}.${entry.name}`;
    const index = byFunction.get(key);
    if (index === undefined || seen.has(key)) continue;
    seen.add(key);
    functions[index]!.push(key);
  }
  return CAPABILITIES.flatMap((cap, index) =>
    functions[index]!.length > 0 ? [{ id: cap.id, description: cap.description, functions: functions[index]! }] : [],
  );
}

function isProxyHostImport(entry: { module: string; name: string }): boolean {
  return entry.module === 'env' && (entry.name.startsWith('proxy_') || entry.name.startsWith('_proxy_'));
}

/**
 * Follows proxy-wasm-cpp-host, the host in Envoy and Istio: BytecodeUtil::getAbiVersion,
 * WasmBase::registerCallbacks / getFunctions / startVm, and the runtime's link().
 */
function proxyWasmAnalysis(
  parsed: ParsedModule,
  report: AnalysisReport,
): { info: ProxyWasmInfo; findings: Finding[] } | null {
  const functionExports = parsed.exports.filter((e) => e.kind === 'function');
  const markers = functionExports.filter((e) => e.name.startsWith(ABI_MARKER_PREFIX));
  const callbackExports = functionExports.filter((e) => CALLBACK_GROUP.has(e.name));
  const proxyImports = parsed.imports.filter(isProxyHostImport);
  if (markers.length === 0 && proxyImports.length === 0 && callbackExports.length === 0) return null;

  const findings: Finding[] = [];
  const envoyErrors: string[] = [];
  const envoyError = (code: Finding['code'], message: string, offset?: number) => {
    findings.push(finding(code, 'error', message, { host: 'envoy', offset }));
    envoyErrors.push(message);
  };

  // ABI version: the first known marker among function exports, in export order.
  const known = markers.flatMap((e) => {
    const version = ABI_MARKERS[e.name];
    return version ? [{ export: e, version }] : [];
  });
  const declaredAbiVersions: ProxyWasmAbiVersion[] = known.map((k) => k.version);
  const abiVersion = declaredAbiVersions[0] ?? null;
  const nonStandard = markers.filter((e) => !ABI_MARKERS[e.name]);
  const legacyUnversioned = markers.length === 0 && proxyImports.length > 0;

  if (known.length > 1) {
    findings.push(
      finding(
        'multiple_abi_versions',
        'warning',
        `The module exports ${known.map((k) => k.export.name).join(', ')}; Envoy uses the first, ${abiVersion}, and ignores the others. Export exactly one ABI marker.`,
        { host: 'envoy', offset: known[1]!.export.offset },
      ),
    );
  }
  for (const marker of nonStandard) {
    const hostInfo = NON_STANDARD_MARKERS[marker.name];
    const whose = hostInfo
      ? `a marker only ${hostInfo.host.toUpperCase()} recognises (${hostInfo.purpose})`
      : 'not a Proxy-Wasm ABI version any host this registry knows recognises';
    if (abiVersion === null) {
      envoyError(
        'unknown_abi_version',
        `Envoy will refuse to load this module ("Missing or unknown Proxy-Wasm ABI version"): its only ABI marker, ${named(marker.name)}, is ${whose}. Export proxy_abi_version_0_2_1 (or 0_2_0/0_1_0) to run on Envoy and Istio.`,
        marker.offset,
      );
    } else {
      findings.push(
        finding(
          'unknown_abi_version',
          'info',
          `${named(marker.name)} is ${whose}; Envoy ignores it and uses ABI ${abiVersion}.`,
          { host: 'envoy', offset: marker.offset },
        ),
      );
    }
  }
  if (legacyUnversioned) {
    const names = proxyImports.slice(0, 3).map((i) => `${named(i.module)}.${named(i.name)}`).join(', ');
    envoyError(
      'legacy_unversioned_plugin',
      `Envoy will refuse to load this module ("Missing or unknown Proxy-Wasm ABI version"): it imports Proxy-Wasm host functions (${names}${proxyImports.length > 3 ? ', …' : ''}) but exports no proxy_abi_version_* marker, like plugins built before mid-2020. Rebuild it with a current Proxy-Wasm SDK.`,
      proxyImports[0]!.offset,
    );
  } else if (markers.length === 0) {
    envoyError(
      'missing_abi_version',
      `Envoy will refuse to load this module ("Missing or unknown Proxy-Wasm ABI version"): it exports Proxy-Wasm callbacks (${callbackExports[0]!.name}) but no proxy_abi_version_* marker. Build it with a Proxy-Wasm SDK, which exports the marker.`,
      callbackExports[0]!.offset,
    );
  }

  // Linking: every import must be something the host provides for this ABI version.
  const hostImports: string[] = [];
  const unknownImports: string[] = [];
  const wasiImports: string[] = [];
  const later = new Map<string, string[]>();
  for (const entry of parsed.imports) {
    const key = `${entry.module}.${entry.name}`;
    if (entry.kind === 'function' && (WASI_MODULES as readonly string[]).includes(entry.module)) wasiImports.push(key);
    // Shortened for the message; no host function has a name anywhere near that long, so the verdict is the same.
    const shown = { ...entry, module: named(entry.module), name: named(entry.name) };
    const status = cppHostImport(shown, abiVersion);
    if (status.status === 'provided') {
      hostImports.push(key);
      if (status.availability.since === 'later') {
        const addedBy = status.availability.addedBy ?? 'a later release';
        const names = later.get(addedBy);
        if (names) names.push(key);
        else later.set(addedBy, [key]);
      }
    } else {
      unknownImports.push(key);
      envoyError(
        status.status === 'unsupported_kind' ? 'unsupported_import_kind' : 'unknown_host_import',
        `Envoy will refuse to load this module: ${status.reason}, so linking fails ("Failed to load Wasm module due to a missing import: ${shown.module}.${shown.name}"). Remove the import or build against a Proxy-Wasm SDK.`,
        entry.offset,
      );
    }
  }
  for (const [addedBy, names] of later) {
    findings.push(
      finding(
        'requires_recent_host',
        'warning',
        `Only recent Envoy and Istio releases load this module: it imports ${names.join(', ')}, which the Proxy-Wasm C++ host links only since ${addedBy}. Older releases refuse it with "missing import".`,
        { host: 'envoy', offset: parsed.imports.find((i) => `${i.module}.${i.name}` === names[0])?.offset },
      ),
    );
  }

  // getFunctions looks up malloc first, then proxy_on_memory_allocate.
  const exportedFunctions = new Set(functionExports.map((e) => e.name));
  const allocator = exportedFunctions.has('malloc')
    ? ('malloc' as const)
    : exportedFunctions.has('proxy_on_memory_allocate')
      ? ('proxy_on_memory_allocate' as const)
      : null;
  if (allocator === null) {
    envoyError(
      'missing_allocator',
      'Envoy will refuse to start this module ("Wasm module is missing malloc function"): it exports neither proxy_on_memory_allocate nor malloc, so the host cannot hand it data. Export proxy_on_memory_allocate (Proxy-Wasm SDKs do).',
    );
  }
  // The runtime takes whichever memory is exported, or the one it created for a memory import.
  const exportsMemory = parsed.exports.some((e) => e.kind === 'memory');
  const importsMemory = parsed.imports.some((i) => i.kind === 'memory');
  if (!exportsMemory && !importsMemory) {
    envoyError(
      'missing_memory_export',
      'Envoy cannot use this module: it exports no memory, so the host can neither read what the plugin writes nor pass it data. Export its linear memory (conventionally as "memory").',
    );
  }

  const entryPoint = exportedFunctions.has('_initialize')
    ? ('_initialize' as const)
    : exportedFunctions.has('_start')
      ? ('_start' as const)
      : null;

  const callbacks: ProxyWasmInfo['callbacks'] = { http: [], tcp: [], lifecycle: [], other: [] };
  for (const e of callbackExports) callbacks[CALLBACK_GROUP.get(e.name) as CallbackGroup].push(e.name);
  const filterTypes: ProxyWasmInfo['filterTypes'] = [];
  if (callbacks.http.length > 0) filterTypes.push('http');
  if (callbacks.tcp.length > 0) filterTypes.push('network');

  const reasons = report.validationError
    ? [`The module is not valid WebAssembly: ${report.validationError.message}`, ...envoyErrors]
    : envoyErrors;
  const info: ProxyWasmInfo = {
    declaredAbiVersions,
    abiVersion,
    nonStandardAbiMarkers: nonStandard.map((e) => e.name),
    legacyUnversioned,
    allocator,
    exportsMemory,
    entryPoint,
    hostImports,
    unknownImports,
    wasiImports,
    callbacks,
    filterTypes,
    envoy: { loads: reasons.length === 0, reasons },
  };
  return { info, findings };
}

