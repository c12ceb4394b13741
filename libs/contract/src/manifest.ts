import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { parsePluginMetadata, textProblem, type FieldProblem, type PluginMetadata } from '../../domain/index.js';
import { jsonBytes } from './bounded-document.js';
import { configurationErrors } from './configuration-errors.js';
import { CONTRACT_LIMITS } from './contract-limits.js';
import { NO_HOST_HINTS, type ConfigExample, type ContractDraft, type FilterType, type HostHints, type IstioPhase } from './contract.js';
import { MANIFEST_SCHEMA } from './manifest-schema.js';
import { collect, pointerToPath, type ReaderContext } from './reader-context.js';
import { readSchemaValue } from './schema-document.js';

/** Our manifest (`wasm-plugin.yaml`/`.json`): checked against MANIFEST_SCHEMA, then field by field. */
interface Manifest {
  manifest: 1;
  name?: string;
  version?: string;
  description?: string;
  license?: string;
  homepage?: string;
  repository?: string;
  keywords?: string[];
  categories?: string[];
  readme?: string;
  configSchema?: string | Record<string, unknown>;
  examples?: Array<{ name: string; description?: string; configuration: unknown }>;
  host?: {
    filterType?: FilterType;
    rootId?: string;
    istio?: { phase?: IstioPhase; priority?: number };
    minVersions?: HostHints['minHostVersions'];
  };
}

const METADATA_FIELDS = ['description', 'license', 'homepage', 'repository', 'keywords', 'categories'] as const;

let validateManifest: ValidateFunction | undefined;

/** Problems with the manifest's shape, each named `body.manifest.<path>`. */
export function manifestShapeProblems(document: unknown): FieldProblem[] {
  validateManifest ??= new Ajv2020({ allErrors: true, ownProperties: true }).compile(MANIFEST_SCHEMA);
  if (validateManifest(document)) return [];
  return configurationErrors(validateManifest.errors ?? [], 50).map((error) => ({
    field: `body.manifest${pointerToPath(error.pointer)}`,
    message: error.message,
  }));
}

export function readManifest(document: Record<string, unknown>, context: ReaderContext): ContractDraft | null {
  const { problems } = context;
  const shape = manifestShapeProblems(document);
  if (shape.length > 0) {
    problems.push(...shape);
    return null;
  }
  const manifest = document as unknown as Manifest;

  if (manifest.version !== undefined && manifest.version !== context.publishedVersion) {
    problems.push({ field: 'body.manifest.version', message: `is ${JSON.stringify(manifest.version)} but the version being published is ${JSON.stringify(context.publishedVersion)}` });
  }

  if (manifest.name !== undefined && context.publishedPlugin !== null && manifest.name !== context.publishedPlugin) {
    problems.push({ field: 'body.manifest.name', message: `is ${JSON.stringify(manifest.name)} but the plugin being published is ${JSON.stringify(context.publishedPlugin)}` });
  }

  let metadata: PluginMetadata | null = null;
  if (METADATA_FIELDS.some((key) => manifest[key] !== undefined)) {
    const given = Object.fromEntries(METADATA_FIELDS.filter((key) => manifest[key] !== undefined).map((key) => [key, manifest[key]]));
    metadata = collect(problems, () => parsePluginMetadata(given, 'body.manifest'));
  }

  if (manifest.readme !== undefined && context.readme === null) {
    problems.push({ field: 'body.readme', message: `the manifest names ${JSON.stringify(manifest.readme)} as the README: send that file as the readme part` });
  }

  let configSchema = context.schemaPart;
  let schemaField = 'body.schema';
  if (typeof manifest.configSchema === 'string' && context.schemaPart === null) {
    problems.push({ field: 'body.schema', message: `the manifest names ${JSON.stringify(manifest.configSchema)} as the configuration schema: send that file as the schema part` });
  } else if (typeof manifest.configSchema === 'object') {
    if (context.schemaPart !== null) {
      problems.push({ field: 'body.schema', message: 'the manifest holds the configuration schema inline: give it in one place only' });
    }
    schemaField = 'body.manifest.configSchema';
    const inline = manifest.configSchema;
    configSchema = collect(problems, () => readSchemaValue(inline, schemaField));
  }

  const examples = readExamples(manifest.examples ?? [], problems);
  const hostHints = readHostHints(manifest.host, problems);

  if (problems.length > 0) return null;
  return {
    source: 'manifest',
    readme: context.readme,
    configSchema,
    examples,
    hostHints,
    metadata,
    origin: { configSchema: schemaField, examples: examples.map((_, i) => `body.manifest.examples[${i}].configuration`) },
  };
}

function readExamples(given: NonNullable<Manifest['examples']>, problems: FieldProblem[]): ConfigExample[] {
  const firstByName = new Map<string, number>();
  return given.map((example, i) => {
    const field = `body.manifest.examples[${i}]`;
    const earlier = firstByName.get(example.name);
    if (earlier !== undefined) problems.push({ field: `${field}.name`, message: `${JSON.stringify(example.name)} is already the name of examples[${earlier}]; names must be unique` });
    else firstByName.set(example.name, i);
    const bytes = jsonBytes(example.configuration);
    if (bytes > CONTRACT_LIMITS.exampleBytes) {
      problems.push({ field: `${field}.configuration`, message: `must be at most ${CONTRACT_LIMITS.exampleBytes} bytes as compact JSON (got ${bytes})` });
    }
    const description = example.description ?? null;
    if (description !== null) {
      const text = textProblem(`${field}.description`, description, 'lines');
      if (text !== null) problems.push(text);
    }
    return { name: example.name, description, configuration: example.configuration };
  });
}

function readHostHints(host: Manifest['host'], problems: FieldProblem[]): HostHints {
  if (host === undefined) return NO_HOST_HINTS;
  if (host.rootId !== undefined) {
    const text = textProblem('body.manifest.host.rootId', host.rootId);
    if (text !== null) problems.push(text);
  }
  return {
    filterType: host.filterType ?? null,
    rootId: host.rootId ?? null,
    istioPhase: host.istio?.phase ?? null,
    istioPriority: host.istio?.priority ?? null,
    minHostVersions: { ...host.minVersions },
  };
}
