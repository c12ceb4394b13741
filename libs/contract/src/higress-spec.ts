import { parsePluginMetadata, type FieldProblem, type PluginMetadata } from '../../domain/index.js';
import { jsonBytes, parseBoundedDocument } from './bounded-document.js';
import { CONTRACT_LIMITS } from './contract-limits.js';
import { ISTIO_PHASES, type ConfigExample, type ContractDraft, type IstioPhase } from './contract.js';
import { HOST_VERSION_PATTERN } from './manifest-schema.js';
import { collect, type ReaderContext } from './reader-context.js';
import { readSchemaValue } from './schema-document.js';

/**
 * A Higress plugin's spec.yaml, taken unchanged:
 *
 *   info.description (English, x-description-i18n.en-US first; else the title) → description
 *   info.category → category (HIGRESS_CATEGORIES; others set none)
 *   info.version → must equal the published version
 *   info.gatewayMinVersion → minimum Higress version
 *   spec.phase / spec.priority → Istio phase / priority
 *   spec.configSchema.openAPIV3Schema → the schema (draft-07; OpenAPI's nullable, example, x-* kept and not run)
 *   openAPIV3Schema.example (else spec.example, else a top-level example) → the example "default"
 *
 * routeConfigSchema (Higress's per-route schema) and the console's fields
 * (image, iconUrl, contact, type) are not used.
 */
export const HIGRESS_CATEGORIES: Readonly<Record<string, string>> = {
  auth: 'authentication-authorization',
  security: 'security',
  protocol: 'integration',
  transformation: 'integration',
  transform: 'integration',
  ai: 'integration',
  'flow-control': 'traffic-management',
  traffic: 'traffic-management',
  'flow-monitor': 'observability',
  o11y: 'observability',
  custom: 'other',
};

const SCHEMA_FIELD = 'body.manifest.spec.configSchema.openAPIV3Schema';

export function isHigressSpec(document: Record<string, unknown>): boolean {
  return isObject(document.info) && isObject(document.spec) && document.manifest === undefined;
}

export function readHigressSpec(document: Record<string, unknown>, context: ReaderContext): ContractDraft | null {
  const { problems } = context;
  const info = isObject(document.info) ? document.info : {};
  const spec = isObject(document.spec) ? document.spec : {};
  if (!isObject(document.info)) problems.push({ field: 'body.manifest.info', message: 'must be a mapping (Higress spec.yaml: info and spec)' });
  if (!isObject(document.spec)) problems.push({ field: 'body.manifest.spec', message: 'must be a mapping (Higress spec.yaml: info and spec)' });

  if (info.version !== undefined && String(info.version) !== context.publishedVersion) {
    problems.push({ field: 'body.manifest.info.version', message: `is ${JSON.stringify(String(info.version))} but the version being published is ${JSON.stringify(context.publishedVersion)}` });
  }

  const metadata = readMetadata(info, problems);

  const minHostVersions: Record<string, string> = {};
  const gateway = info.gatewayMinVersion;
  if (gateway !== undefined && gateway !== null && gateway !== '') {
    if (typeof gateway === 'string' && new RegExp(HOST_VERSION_PATTERN).test(gateway)) minHostVersions.higress = gateway;
    else problems.push({ field: 'body.manifest.info.gatewayMinVersion', message: `${JSON.stringify(gateway)} must be a version such as 1.4 or 2.0.0` });
  }

  let istioPhase: IstioPhase | null = null;
  if (spec.phase !== undefined && spec.phase !== null) {
    if ((ISTIO_PHASES as readonly unknown[]).includes(spec.phase)) istioPhase = spec.phase as IstioPhase;
    else problems.push({ field: 'body.manifest.spec.phase', message: `${JSON.stringify(spec.phase)} must be one of: ${ISTIO_PHASES.join(', ')}` });
  }
  let istioPriority: number | null = null;
  if (spec.priority !== undefined && spec.priority !== null) {
    if (Number.isInteger(spec.priority) && Math.abs(spec.priority as number) <= 2 ** 31 - 1) istioPriority = spec.priority as number;
    else problems.push({ field: 'body.manifest.spec.priority', message: `${JSON.stringify(spec.priority)} must be an integer (int32)` });
  }

  const given = isObject(spec.configSchema) ? spec.configSchema.openAPIV3Schema : undefined;
  let configSchema = context.schemaPart;
  let schemaField = 'body.schema';
  if (given !== undefined) {
    if (context.schemaPart !== null) problems.push({ field: 'body.schema', message: 'spec.yaml holds the configuration schema (spec.configSchema.openAPIV3Schema): give it in one place only' });
    schemaField = SCHEMA_FIELD;
    configSchema = collect(problems, () => readSchemaValue(given, SCHEMA_FIELD));
  }

  const example = readExample(document, spec, given, problems);

  if (problems.length > 0) return null;
  return {
    source: 'higress',
    readme: context.readme,
    configSchema,
    examples: example === null ? [] : [example.example],
    hostHints: { filterType: 'http', rootId: null, istioPhase, istioPriority, minHostVersions },
    metadata,
    origin: { configSchema: schemaField, examples: example === null ? [] : [example.field] },
  };
}

function readMetadata(info: Record<string, unknown>, problems: FieldProblem[]): PluginMetadata | null {
  const english = (i18n: unknown): unknown => (isObject(i18n) ? i18n['en-US'] : undefined);
  const description = [english(info['x-description-i18n']), info.description, english(info['x-title-i18n']), info.title].find(
    (text) => typeof text === 'string' && text.trim() !== '',
  );
  const category = typeof info.category === 'string' ? HIGRESS_CATEGORIES[info.category] : undefined;
  if (description === undefined && category === undefined) return null;
  return collect(problems, () =>
    parsePluginMetadata({ description: (description as string | undefined)?.trim(), categories: category === undefined ? [] : [category] }, 'body.manifest.info'),
  );
}

function readExample(
  document: Record<string, unknown>,
  spec: Record<string, unknown>,
  schema: unknown,
  problems: FieldProblem[],
): { example: ConfigExample; field: string } | null {
  const candidates: Array<[string, unknown]> = [
    [`${SCHEMA_FIELD}.example`, isObject(schema) ? schema.example : undefined],
    ['body.manifest.spec.example', spec.example],
    ['body.manifest.example', document.example],
  ];
  const found = candidates.find(([, value]) => value !== undefined && value !== null);
  if (found === undefined) return null;
  const [field, value] = found;
  // An example written as a YAML string is the configuration that string holds.
  const configuration = typeof value === 'string' ? collect(problems, () => parseBoundedDocument(value, 'yaml', field, CONTRACT_LIMITS.configurationDepth)) : value;
  if (configuration === null) return null;
  const bytes = jsonBytes(configuration);
  if (bytes > CONTRACT_LIMITS.exampleBytes) {
    problems.push({ field, message: `must be at most ${CONTRACT_LIMITS.exampleBytes} bytes as compact JSON (got ${bytes})` });
    return null;
  }
  return { example: { name: 'default', description: 'The example in spec.yaml', configuration }, field };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
