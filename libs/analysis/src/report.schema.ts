/**
 * JSON Schema (OpenAPI 3.0 dialect) of AnalysisReport, published in
 * openapi.yaml. A test validates real reports against it, so the two agree.
 */
const str = { type: 'string' } as const;
const int = { type: 'integer', minimum: 0 } as const;
const nullable = <T extends object>(schema: T) => ({ ...schema, nullable: true });
const strings = { type: 'array', items: str } as const;
const kind = { type: 'string', enum: ['function', 'table', 'memory', 'global', 'tag'] } as const;
const obj = (properties: Record<string, object>, description?: string) => ({
  type: 'object',
  ...(description ? { description } : {}),
  required: Object.keys(properties),
  additionalProperties: false,
  properties,
});
const producerValues = { type: 'array', items: obj({ name: str, version: str }) } as const;

export const FINDING_SCHEMA = {
  type: 'object',
  required: ['code', 'severity', 'message'],
  additionalProperties: false,
  properties: {
    code: { type: 'string', description: 'Stable code; ANALYSIS_POLICY maps codes to reject or warn.' },
    severity: { type: 'string', enum: ['error', 'warning', 'info'] },
    message: str,
    host: { type: 'string', description: 'Set when the finding concerns one host only.' },
    offset: { type: 'integer', minimum: 0, description: 'Byte offset in the module.' },
  },
};

/** Fields added in report version 2; reports stored before it lack them and are served as stored. */
const BOUNDS = {
  truncated: { type: 'boolean', description: 'Whether the report leaves something out: a list cut short (omitted) or a string cut to its length limit (shortenedStrings). Absent from reports of version 1.' },
  omitted: {
    type: 'object',
    additionalProperties: int,
    description: 'Entries left out of each list that was cut short, by the list\'s path in the report ("imports", "customSections", "producers.language", "proxyWasm.unknownImports", "findings" …). Absent from reports of version 1.',
  },
  shortenedStrings: { ...int, description: 'Strings cut to their length limit; each ends with "…". Absent from reports of version 1.' },
  totals: {
    ...obj({ imports: int, exports: int, memories: int, tables: int, customSections: int, findings: int }),
    description: "The module's true counts, whatever the lists show. Absent from reports of version 1.",
  },
};

const REPORT = obj(
  {
    reportVersion: { type: 'integer', enum: [1, 2], description: '1: stored before reports were bounded; 2: bounded, and says what it left out.' },
    ...BOUNDS,
    size: int,
    kind: { type: 'string', enum: ['module', 'component'] },
    binaryVersion: int,
    layer: int,
    valid: { type: 'boolean' },
    validationError: nullable(obj({ message: str, offset: nullable(int) })),
    imports: { type: 'array', items: obj({ module: str, name: str, kind }) },
    exports: { type: 'array', items: obj({ name: str, kind }) },
    memories: {
      type: 'array',
      items: obj({ initial: int, maximum: nullable(int), shared: { type: 'boolean' }, memory64: { type: 'boolean' }, imported: { type: 'boolean' } }),
    },
    tables: { type: 'array', items: obj({ elementType: str, initial: int, maximum: nullable(int), imported: { type: 'boolean' } }) },
    startFunction: nullable(int),
    functionCount: int,
    customSections: { type: 'array', items: obj({ name: str, size: int, offset: int }) },
    producers: nullable(obj({ language: producerValues, processedBy: producerValues, sdk: producerValues })),
    targetFeatures: nullable({ type: 'array', items: obj({ prefix: { type: 'string', enum: ['+', '-', '='] }, name: str }) }),
    hasNameSection: { type: 'boolean' },
    component: nullable(obj({ wit: str, imports: strings, exports: strings })),
    proxyWasm: nullable(
      obj({
        declaredAbiVersions: { type: 'array', items: { type: 'string', enum: ['0.1.0', '0.2.0', '0.2.1'] } },
        abiVersion: nullable({ type: 'string', enum: ['0.1.0', '0.2.0', '0.2.1', null] }),
        nonStandardAbiMarkers: strings,
        legacyUnversioned: { type: 'boolean' },
        allocator: nullable({ type: 'string', enum: ['proxy_on_memory_allocate', 'malloc', null] }),
        exportsMemory: { type: 'boolean' },
        entryPoint: nullable({ type: 'string', enum: ['_initialize', '_start', 'main', null] }),
        hostImports: strings,
        unknownImports: strings,
        wasiImports: strings,
        callbacks: obj({ http: strings, tcp: strings, lifecycle: strings, other: strings }),
        filterTypes: { type: 'array', items: { type: 'string', enum: ['http', 'network'] } },
        envoy: obj({ loads: { type: 'boolean' }, reasons: strings }),
      }),
    ),
    compatibility: { type: 'array', items: obj({ host: str, versions: str, reason: str, source: str }) },
    capabilities: { type: 'array', items: obj({ id: str, description: str, functions: strings }) },
    findings: { type: 'array', items: FINDING_SCHEMA },
  },
  'What the module is and where it can run, computed from its bytes (libs/analysis/src/report.ts). Every list and string is bounded (libs/analysis/src/report-limits.ts); truncated, omitted, shortenedStrings and totals say what was left out.',
);

export const ANALYSIS_REPORT_SCHEMA = {
  ...REPORT,
  required: REPORT.required.filter((key) => !(key in BOUNDS)),
};
