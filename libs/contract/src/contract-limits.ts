/**
 * What a version's contract may hold. A README or schema is untrusted input:
 * every part is bounded before it is parsed, and everything that runs a schema
 * runs in ContractChecker's worker pool under these limits.
 */
export const CONTRACT_LIMITS = {
  /** The `readme` part (Markdown, UTF-8). */
  readmeBytes: 256 * 1024,
  /** The README rendered to HTML (stored, and sent with every view of the version page). */
  readmeHtmlBytes: 2 * 1024 * 1024,
  /** The `schema` part, or an inline schema as compact JSON. */
  schemaBytes: 64 * 1024,
  /** The `manifest` part, an inline schema and the examples included. */
  manifestBytes: 256 * 1024,
  examples: 32,
  /** One example's configuration, as compact JSON. */
  exampleBytes: 16 * 1024,
  /** Objects and arrays nested in a schema, the root included. */
  schemaDepth: 32,
  /** A configuration to validate (POST …/config/validate, the proxy-config endpoints). */
  configurationBytes: 64 * 1024,
  configurationDepth: 64,
  /** A manifest nests a configuration (examples[i].configuration) at most four levels down. */
  manifestDepth: 64 + 4,
  /** YAML aliases resolved per document: enough for anchors, too few for a "billion laughs". */
  yamlAliases: 64,
  /** Each task in the worker pool (meta-schema, compile, examples, README, one validation). */
  taskDeadlineMs: 2000,
  workerThreads: 2,
  workerHeapMb: 64,
  /** Tasks waiting for a thread; more is a 503. */
  queuedTasks: 64,
  /** Errors listed for one configuration (validation stops reporting after these). */
  reportedErrors: 100,
} as const;
