/**
 * Every bound on what the analysis says about a module, in one place. A
 * hostile module can hold a million custom sections, 100,000 imports or a
 * 20 MiB name; the report, and everything later derived from it (catalog
 * columns, summaries, the SBOM, the web pages), stays small whatever it holds.
 * The bounds are applied in the analysis worker thread (bound-report.ts), so
 * the cost lands on the thread with the heap limit and the deadline, never on
 * the API's event loop.
 */

const KiB = 1024;

/** How much of a module the report lists. What is left out is counted in the report (`omitted`, `totals`). */
export const REPORT_LIMITS = {
  /** Names and other strings read from the module: longer than any real symbol a page shows in one piece; cut with "…". */
  maxStringLength: 256,
  /** Imports listed: Proxy-Wasm plugins import tens of host functions, large Emscripten programs a few hundred. */
  maxImports: 1_000,
  /** Exports listed: plugins export tens of callbacks; C++ builds exporting everything reach a few hundred. */
  maxExports: 1_000,
  /** Memories listed: V8 accepts at most 100 (multi-memory). */
  maxMemories: 100,
  /** Tables listed: real modules have one or two. */
  maxTables: 100,
  /** Custom sections listed: toolchains write a handful, about 15 with DWARF debug info. */
  maxCustomSections: 100,
  /** Values per producers field (language, processed-by, sdk): real toolchains name one to five. */
  maxProducerValues: 32,
  /** target_features entries: the WebAssembly feature proposals number about 30. */
  maxTargetFeatures: 64,
  /** A component's WIT text: a large real world prints in a few KiB. */
  maxWitLength: 64 * KiB,
  /** A component's imports and exports, each. */
  maxComponentItems: 1_000,
  /**
   * Name lists the Proxy-Wasm analysis derives from imports and exports (host,
   * unknown and WASI imports, callbacks, ABI markers, a capability's
   * functions): the Proxy-Wasm ABI and WASI preview 1 together offer about 150 functions.
   */
  maxNameList: 200,
  /** Reasons Envoy would refuse the module: each is also a finding; the first ones say what to fix. */
  maxEnvoyReasons: 20,
  /** Findings kept per code (and severity and host); the rest become one finding that counts them, so the policy still sees every code. */
  maxFindingsPerCode: 10,
  /** A finding's message and the validation message: they quote import and export names, which are the publisher's strings. */
  maxMessageLength: 1 * KiB,
  /**
   * The report as stored, serialised (UTF-8 bytes). Real reports are 5-30 KiB;
   * a report still larger after the bounds above is shortened further, down to
   * a summary (see boundReport), so that reading one costs milliseconds.
   */
  maxReportBytes: 256 * KiB,
};

export type ReportLimits = { readonly [K in keyof typeof REPORT_LIMITS]: number };

/** The bounds of the second, tighter pass, for a report over maxReportBytes after the first. */
export const COMPACT_REPORT_LIMITS: ReportLimits = {
  ...REPORT_LIMITS,
  maxStringLength: 64,
  maxImports: 100,
  maxExports: 100,
  maxMemories: 10,
  maxTables: 10,
  maxCustomSections: 10,
  maxProducerValues: 4,
  maxTargetFeatures: 16,
  maxWitLength: 4 * KiB,
  maxComponentItems: 100,
  maxNameList: 20,
  maxEnvoyReasons: 3,
  maxFindingsPerCode: 3,
  maxMessageLength: 512,
};

/**
 * The last resort, for a report over maxReportBytes even when compact: none
 * of the lists the module sizes keeps an entry (their counts stay in
 * `omitted` and `totals`), one finding per code and a count of the rest. Far
 * below maxReportBytes: what remains is the header fields, the few rows of
 * the fixed compatibility and capability tables, and at most two findings of
 * 256 characters per code, severity and host.
 */
export const SUMMARY_REPORT_LIMITS: ReportLimits = {
  ...REPORT_LIMITS,
  maxStringLength: 64,
  maxImports: 0,
  maxExports: 0,
  maxMemories: 0,
  maxTables: 0,
  maxCustomSections: 0,
  maxProducerValues: 0,
  maxTargetFeatures: 0,
  maxWitLength: 0,
  maxComponentItems: 0,
  maxNameList: 0,
  maxEnvoyReasons: 1,
  maxFindingsPerCode: 1,
  maxMessageLength: 256,
};

/**
 * Beyond these, a module's metadata is not what a real toolchain writes: the
 * analysis reports `excessive_metadata` (rejected by default). Only counts and
 * the length of names count: large custom sections (DWARF debug info in an
 * unstripped build, embedded data) are normal and never exceed anything here.
 */
export const METADATA_LIMITS = {
  /** Imports: ten times the largest real programs'. */
  imports: 10_000,
  /** Exports: likewise. */
  exports: 10_000,
  /** Custom sections: ~15 in a build with debug info. */
  customSections: 1_000,
  /** An import, export, custom section or target feature name: long mangled C++ and Rust symbols stay far below. */
  nameLength: 4 * KiB,
  /** A producers name or version, e.g. "rustc" and "1.78.0 (9b00956e5 2024-04-29)". */
  producerStringLength: 1 * KiB,
  /** Values in one producers field. */
  producerValues: 100,
  /** target_features entries. */
  targetFeatures: 256,
  /** A component's imports or exports. */
  componentItems: 10_000,
  /** A component's WIT text, in characters. */
  witLength: 1024 * KiB,
} as const;
