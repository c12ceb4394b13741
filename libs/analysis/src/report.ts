/**
 * The analysis report: what a module is and where it can run, computed from
 * its bytes alone. Stored as JSON with the version; `reportVersion` changes
 * whenever a field's meaning changes, so stored reports can be told apart.
 * 1: unbounded lists and strings, no `truncated`, `omitted`, `shortenedStrings`, `totals`.
 * 2: every list and string bounded (report-limits.ts), and the report says what it left out.
 */
export const ANALYSIS_REPORT_VERSION = 2;

export interface AnalysisReport {
  reportVersion: typeof ANALYSIS_REPORT_VERSION;
  /**
   * True when the report leaves something out: a list cut short (`omitted`)
   * or a string cut to its length limit (`shortenedStrings`).
   */
  truncated: boolean;
  /**
   * Entries left out of each list that was cut short, by the list's path in
   * the report: `imports`, `customSections`, `producers.language`,
   * `proxyWasm.unknownImports`, `findings` … Lists that are whole are absent.
   */
  omitted: Record<string, number>;
  /** Strings cut to their length limit; each ends with "…". */
  shortenedStrings: number;
  /** The module's true counts, whatever the lists show. */
  totals: ReportTotals;
  size: number;
  /** From the 8-byte header. */
  kind: 'module' | 'component';
  /** The header's version field: 1 for core modules, 0x0d for components. */
  binaryVersion: number;
  /** The header's layer field: 0 for core modules, 1 for components. */
  layer: number;
  /** Core modules: fully validated (V8). Components: decoded by wasm-tools. */
  valid: boolean;
  /** Why the module is invalid, and where when known. Null when valid. */
  validationError: { message: string; offset: number | null } | null;
  imports: ImportEntry[];
  exports: ExportEntry[];
  memories: MemoryEntry[];
  tables: TableEntry[];
  /** Index of the start function (start section), or null. */
  startFunction: number | null;
  functionCount: number;
  customSections: CustomSectionEntry[];
  /** The `producers` custom section, or null when absent or malformed. */
  producers: Producers | null;
  /** The `target_features` custom section, or null when absent or malformed. */
  targetFeatures: TargetFeature[] | null;
  hasNameSection: boolean;
  /** Components only. */
  component: ComponentInfo | null;
  /** Core modules that look like Proxy-Wasm plugins (ABI export or proxy_* imports); null otherwise. */
  proxyWasm: ProxyWasmInfo | null;
  /** Hosts and versions that can run the module; empty when none is known. */
  compatibility: HostCompatibility[];
  /** Sensitive host functions the module imports, grouped by what they let it do. */
  capabilities: Capability[];
  /** Everything worth telling, worst first; the registry's policy decides which reject a version. */
  findings: Finding[];
}

export interface ReportTotals {
  imports: number;
  exports: number;
  memories: number;
  tables: number;
  customSections: number;
  findings: number;
}

export type ExternalKind = 'function' | 'table' | 'memory' | 'global' | 'tag';

export interface ImportEntry {
  module: string;
  name: string;
  kind: ExternalKind;
}

export interface ExportEntry {
  name: string;
  kind: ExternalKind;
}

export interface MemoryEntry {
  /** In 64 KiB pages. */
  initial: number;
  maximum: number | null;
  shared: boolean;
  memory64: boolean;
  imported: boolean;
}

export interface TableEntry {
  elementType: string;
  initial: number;
  maximum: number | null;
  imported: boolean;
}

export interface CustomSectionEntry {
  name: string;
  /** Payload size in bytes, name included. */
  size: number;
  /** Offset of the section's id byte in the module. */
  offset: number;
}

export interface ProducerValue {
  name: string;
  version: string;
}

/** https://github.com/WebAssembly/tool-conventions/blob/main/ProducersSection.md */
export interface Producers {
  language: ProducerValue[];
  processedBy: ProducerValue[];
  sdk: ProducerValue[];
}

export interface TargetFeature {
  /** '+' used, '-' must not be used, '=' required (older toolchains). */
  prefix: '+' | '-' | '=';
  name: string;
}

export interface ComponentInfo {
  /** The component's WIT world as text, as wasm-tools prints it. */
  wit: string;
  /** Imported interfaces or functions, e.g. "wasi:cli/environment@0.2.0". */
  imports: string[];
  /** Exported interfaces or functions. */
  exports: string[];
}

export type ProxyWasmAbiVersion = '0.1.0' | '0.2.0' | '0.2.1';

export interface ProxyWasmInfo {
  /** Every `proxy_abi_version_*` function export, in export order (known versions only). */
  declaredAbiVersions: ProxyWasmAbiVersion[];
  /**
   * The version Envoy's C++ host would use: the first `proxy_abi_version_*`
   * export, in export order, whose version it knows (unknown ones are
   * skipped); null when there is none.
   */
  abiVersion: ProxyWasmAbiVersion | null;
  /** Exports that look like ABI markers but are not standard, e.g. `proxy_abi_mosn_version_0_2_0`. */
  nonStandardAbiMarkers: string[];
  /** Imports proxy_* host functions but exports no ABI marker at all (pre-versioned plugins). */
  legacyUnversioned: boolean;
  /** The allocator export the host calls, or null when there is none. */
  allocator: 'proxy_on_memory_allocate' | 'malloc' | null;
  exportsMemory: boolean;
  /** What the host calls to start the module: _initialize (reactor), _start or main (command), or nothing. */
  entryPoint: '_initialize' | '_start' | 'main' | null;
  /** `module.name` of each import the host provides (env.proxy_*, WASI). */
  hostImports: string[];
  /** `module.name` of each import no Proxy-Wasm host provides for this ABI version. */
  unknownImports: string[];
  /** WASI imports (wasi_snapshot_preview1 or wasi_unstable) as `module.name`. */
  wasiImports: string[];
  callbacks: {
    http: string[];
    tcp: string[];
    lifecycle: string[];
    other: string[];
  };
  /** Which Envoy filter chains it fits: HTTP callbacks → 'http', TCP callbacks → 'network'. */
  filterTypes: ('http' | 'network')[];
  /** The verdict of Envoy's C++ host (proxy-wasm-cpp-host): will it load and start this module? */
  envoy: { loads: boolean; reasons: string[] };
}

export interface HostCompatibility {
  /** 'envoy', 'istio', 'mosn' … */
  host: string;
  /** Versions of the host that can run the module, e.g. ">=1.17". */
  versions: string;
  /** Why (which ABI version or import decided it). */
  reason: string;
  /** Where the table row comes from. */
  source: string;
}

export type CapabilityId =
  | 'http_calls'
  | 'grpc_calls'
  | 'shared_data'
  | 'shared_queues'
  | 'metrics'
  | 'properties'
  | 'foreign_functions'
  | 'response_control'
  | 'wasi_filesystem'
  | 'wasi_environment'
  | 'wasi_random'
  | 'wasi_clock'
  | 'wasi_sockets'
  | 'wasi_process';

export interface Capability {
  id: CapabilityId;
  /** One sentence for a reviewer: what the module can do with it. */
  description: string;
  /** The imports that grant it, as `module.name`. */
  functions: string[];
}

/** Stable codes; the policy maps them to reject or warn. */
export type FindingCode =
  | 'invalid_module'
  | 'unknown_host_import'
  | 'unsupported_import_kind'
  | 'missing_abi_version'
  | 'unknown_abi_version'
  | 'multiple_abi_versions'
  | 'legacy_unversioned_plugin'
  | 'missing_allocator'
  | 'missing_memory_export'
  /** Imports a function only recent Proxy-Wasm C++ host builds link: older Envoy/Istio releases refuse the module. */
  | 'requires_recent_host'
  | 'malformed_custom_section'
  | 'not_a_proxy_wasm_plugin'
  | 'component_not_loadable_by_proxies'
  /** Counts or name lengths beyond what any real toolchain writes (report-limits.ts METADATA_LIMITS). */
  | 'excessive_metadata'
  /** A core module that defines no function: nothing a host could run. */
  | 'no_code'
  | 'analysis_failed';

export interface Finding {
  code: FindingCode;
  severity: 'error' | 'warning' | 'info';
  /** A sentence a publisher can act on, naming the import, export or section. */
  message: string;
  /** Set when the finding concerns one host only, e.g. 'envoy'. */
  host?: string;
  /** Byte offset in the module, when known. */
  offset?: number;
}
