import { stringify as toYaml } from 'yaml';
import { AUTHORED_CONTRACTS, type AuthoredContract, type ContractFormat, type DemoExample, type DemoHostHints, type SchemaDialect } from './authored-contracts.js';
import { projectLinks, TOOLCHAINS, type DemoPlugin } from './catalog.js';
import type { Feature } from './plugin-module.js';
import type { ContractFile, PublishContract } from './registry-client.js';

/**
 * What the seed publishes with each demo version besides its module: the
 * files an author keeps in their repository. Plugins in AUTHORED_CONTRACTS get
 * their README, schema, examples and host hints in our manifest, a Higress
 * spec.yaml or a Kong <filter>.meta.json; the others a README written from
 * their catalog entry, in a manifest without a schema.
 */

export type { ContractFormat, DemoExample, SchemaDialect } from './authored-contracts.js';

export interface DemoContract {
  format: ContractFormat;
  /** False for the README written from the catalog entry. */
  authored: boolean;
  readme: string;
  /** As published (with `$schema` where the format carries one). */
  schema: { dialect: SchemaDialect; value: Record<string, unknown> } | null;
  /** Every example the author wrote; Higress carries the first one only, Kong none (the README shows them). */
  examples: DemoExample[];
  parts: PublishContract;
}

const DIALECT_URIS: Record<SchemaDialect, string> = {
  'draft-07': 'http://json-schema.org/draft-07/schema#',
  '2020-12': 'https://json-schema.org/draft/2020-12/schema',
};

const HIGRESS_FILE = 'spec.yaml';
const MANIFEST_FILE = 'wasm-plugin.yaml';
const SCHEMA_FILE = 'config.schema.json';
const README_FILE = 'README.md';

export function authoredContractOf(plugin: Pick<DemoPlugin, 'namespace' | 'name'>): AuthoredContract | null {
  return AUTHORED_CONTRACTS[`${plugin.namespace}/${plugin.name}`] ?? null;
}

/** The version before which configurations break, for the plugins that have one: upgrade notes show it. */
export function breakingUpgrades(plugins: readonly DemoPlugin[]): Array<{ plugin: DemoPlugin; from: string; to: string }> {
  return plugins.flatMap((plugin) => {
    const to = authoredContractOf(plugin)?.breaksAt;
    const index = to === undefined ? -1 : plugin.versions.indexOf(to);
    return index > 0 ? [{ plugin, from: plugin.versions[index - 1]!, to: to! }] : [];
  });
}

export function demoContract(plugin: DemoPlugin, version: string): DemoContract {
  const authored = authoredContractOf(plugin);
  if (authored === null) {
    const readme = catalogReadme(plugin, version);
    return { format: 'manifest', authored: false, readme, schema: null, examples: [], parts: { manifest: yamlFile(MANIFEST_FILE, catalogManifest(plugin, version)), readme: markdown(readme) } };
  }
  const examples = authored.examples(version);
  const schema = publishedSchema(authored, version, examples);
  const readme = authoredReadme(plugin, version, authored, schema.value, examples);
  return { format: authored.format, authored: true, readme, schema, examples, parts: authoredParts(plugin, version, authored, schema.value, readme) };
}

/** The schema as its format publishes it: ours declares its dialect; Higress's is draft-07 and holds its one example. */
function publishedSchema(authored: AuthoredContract, version: string, examples: DemoExample[]): NonNullable<DemoContract['schema']> {
  const value = authored.schema(version);
  switch (authored.format) {
    case 'manifest':
      return { dialect: authored.dialect, value: { $schema: DIALECT_URIS[authored.dialect], ...value } };
    case 'higress':
      return { dialect: 'draft-07', value: examples[0] === undefined ? value : { ...value, example: examples[0].configuration } };
    case 'kong':
      return { dialect: 'draft-07', value };
  }
}

function authoredParts(
  plugin: DemoPlugin,
  version: string,
  authored: AuthoredContract,
  schema: Record<string, unknown>,
  readme: string,
): PublishContract {
  switch (authored.format) {
    case 'higress': {
      const spec = {
        apiVersion: '1.0.0',
        info: {
          gatewayMinVersion: authored.host.minVersions.higress,
          type: 'oss',
          category: authored.higressCategory,
          name: plugin.name,
          title: authored.title,
          description: plugin.description,
          version,
          contact: { name: plugin.namespace, url: projectLinks(plugin).homepage },
        },
        spec: {
          phase: authored.host.istio?.phase,
          priority: authored.host.istio?.priority,
          configSchema: { openAPIV3Schema: schema },
        },
      };
      return { manifest: yamlFile(HIGRESS_FILE, spec), readme: markdown(readme) };
    }
    case 'kong':
      return {
        manifest: { filename: `${authored.kongFilter}.meta.json`, contentType: 'application/json', text: `${JSON.stringify({ config_schema: schema }, null, 2)}\n` },
        readme: markdown(readme),
      };
    case 'manifest': {
      const manifest = {
        ...catalogManifest(plugin, version),
        configSchema: authored.schemaFile ? SCHEMA_FILE : schema,
        examples: authored.examples(version),
        host: manifestHost(authored.host),
      };
      const parts: PublishContract = { manifest: yamlFile(MANIFEST_FILE, manifest), readme: markdown(readme) };
      if (authored.schemaFile) parts.schema = { filename: SCHEMA_FILE, contentType: 'application/schema+json', text: `${JSON.stringify(schema, null, 2)}\n` };
      return parts;
    }
  }
}

/** Our manifest's metadata, README and host hints: the same metadata the seed sets with PUT plugin, so neither overrides the other. */
function catalogManifest(plugin: DemoPlugin, version: string): Record<string, unknown> {
  const { description, license, keywords, categories } = plugin;
  return {
    manifest: 1,
    version,
    description,
    license,
    ...projectLinks(plugin),
    keywords,
    categories,
    readme: README_FILE,
    host: manifestHost({ filterType: filterTypeOf(plugin.features), rootId: rootIdOf(plugin.name), minVersions: {} }),
  };
}

function manifestHost(host: DemoHostHints): Record<string, unknown> {
  return {
    filterType: host.filterType,
    rootId: host.rootId,
    ...(host.istio === undefined ? {} : { istio: host.istio }),
    ...(Object.keys(host.minVersions).length === 0 ? {} : { minVersions: host.minVersions }),
  };
}

const filterTypeOf = (features: readonly Feature[]): 'http' | 'network' => (features.includes('tcp') ? 'network' : 'http');
const rootIdOf = (name: string): string => name.replaceAll('-', '_');

function yamlFile(filename: string, document: Record<string, unknown>): ContractFile {
  return { filename, contentType: 'application/yaml', text: toYaml(document, { lineWidth: 0 }) };
}

const markdown = (text: string): ContractFile => ({ filename: README_FILE, contentType: 'text/markdown', text });

// ---- READMEs -------------------------------------------------------------

function authoredReadme(plugin: DemoPlugin, version: string, authored: AuthoredContract, schema: Record<string, unknown>, examples: DemoExample[]): string {
  const lines: string[] = [`# ${authored.title}`, '', `\`${plugin.namespace}/${plugin.name}\` ${version}: ${plugin.description}`, ''];
  for (const paragraph of authored.about) lines.push(paragraph, '');

  lines.push('## How it behaves', '', ...authored.behaviour.map((line) => `- ${line}`), '');

  lines.push('## Configuration', '');
  const dialect = authored.format === 'manifest' ? authored.dialect : 'draft-07';
  const carrier = { manifest: `\`${authored.schemaFile ? SCHEMA_FILE : MANIFEST_FILE}\``, higress: `the Higress \`${HIGRESS_FILE}\``, kong: `\`${authored.kongFilter}.meta.json\`` }[authored.format];
  lines.push(
    `The configuration is a JSON object, described by a JSON Schema (${dialect}) published in ${carrier} with this version. ` +
      'The registry checks a configuration against it before it reaches a proxy: `POST …/versions/{version}/config/validate`.',
    '',
    '| Field | Type | Default | Description |',
    '|---|---|---|---|',
    ...configurationRows(schema).map((row) => `| \`${row.path}\`${row.required ? ' (required)' : ''} | ${cell(row.type)} | ${row.default} | ${cell(row.description)} |`),
    '',
  );

  const [first, ...others] = examples;
  if (first !== undefined) {
    lines.push('## Examples', '', `\`${first.name}\`: ${first.description}`, '', '```yaml', toYaml(first.configuration, { lineWidth: 0 }).trimEnd(), '```', '');
    for (const example of others) lines.push(`- \`${example.name}\`: ${example.description}`);
    if (others.length > 0) lines.push('');
    if (authored.format === 'kong') lines.push('A Kong meta.json carries no examples: copy one of these into your filter chain.', '');
  }

  lines.push('## Envoy and Istio', '', ...authored.hosts.flatMap((paragraph) => [paragraph, '']), `Host hints published with this version: ${describeHost(authored.host, authored.format)}.`, '');
  lines.push('## Limitations', '', ...authored.limitations.map((line) => `- ${line}`), '');
  lines.push('## Changes', '', ...changesUpTo(plugin, version, authored.changes), '');
  lines.push(`Licensed under ${plugin.license}. Source: ${projectLinks(plugin).repository}`);
  return `${lines.join('\n')}\n`;
}

/** For plugins without an authored contract: what the catalog says, and plainly that there is no schema. */
function catalogReadme(plugin: DemoPlugin, version: string): string {
  const { homepage, repository } = projectLinks(plugin);
  const toolchain = TOOLCHAINS[plugin.language];
  const lines = [
    `# ${plugin.name}`,
    '',
    `\`${plugin.namespace}/${plugin.name}\` ${version}: ${plugin.description}`,
    '',
    '## What the filter does',
    '',
    ...plugin.features.map((feature) => `- ${FEATURE_SENTENCES[feature](plugin)}`),
    '',
    '## Configuration',
    '',
    'This version publishes no configuration schema, so the registry cannot check a configuration before it is deployed. ' +
      `The filter reads a JSON object from its plugin configuration; see ${homepage} for the fields.`,
    '',
    '## Envoy and Istio',
    '',
    `${filterTypeOf(plugin.features) === 'network' ? 'A network (TCP)' : 'An HTTP'} filter with root_id \`${rootIdOf(plugin.name)}\`, ` +
      `built with ${toolchain.language.join(' ').trim()} (Proxy-Wasm ABI ${toolchain.abi}). ` +
      'The registry generates the Envoy and Istio configuration for it: `GET …/versions/{version}/config/envoy` and `…/config/istio`.',
    '',
    '## Versions',
    '',
    ...plugin.versions.slice(0, plugin.versions.indexOf(version) + 1).reverse().map((v) => `- ${v}`),
    '',
    `Licensed under ${plugin.license}. Source: ${repository}`,
  ];
  return `${lines.join('\n')}\n`;
}

const FEATURE_SENTENCES: Record<Feature, (plugin: DemoPlugin) => string> = {
  'read-headers': (p) => `Reads the \`${p.header ?? 'authorization'}\` request header.`,
  'write-headers': () => 'Adds request headers for the upstream and rewrites response headers.',
  'local-response': () => 'Answers some requests itself, without calling the upstream.',
  'http-call': () => 'Calls out over HTTP and resumes the request when the answer arrives.',
  'grpc-call': () => 'Calls out over gRPC.',
  metrics: () => 'Defines counters and histograms, exported with the proxy\'s own metrics.',
  'shared-data': () => 'Keeps state in shared data, seen by every worker thread of the proxy.',
  'shared-queue': () => 'Batches records in a shared queue drained by the root context.',
  properties: () => 'Reads connection and request properties such as the source address and the route.',
  'request-body': () => 'Inspects request bodies (buffered up to the listener\'s limit).',
  'response-body': () => 'Inspects and rewrites response bodies.',
  timer: () => 'Runs periodic work on a timer.',
  'access-log': () => 'Writes a line when a stream is done.',
  tcp: () => 'Works on TCP connections (a network filter), not on HTTP requests.',
};

function changesUpTo(plugin: DemoPlugin, version: string, changes: Record<string, string>): string[] {
  return plugin.versions
    .slice(0, plugin.versions.indexOf(version) + 1)
    .reverse()
    .filter((v) => changes[v] !== undefined)
    .map((v) => `- **${v}**: ${changes[v]}`);
}

function describeHost(host: DemoHostHints, format: ContractFormat): string {
  const parts = [`${host.filterType === 'http' ? 'HTTP' : 'network'} filter`];
  // A Higress spec.yaml names no root_id.
  if (format !== 'higress') parts.push(`root_id \`${host.rootId}\``);
  if (host.istio !== undefined) parts.push(`Istio phase \`${host.istio.phase}\`${host.istio.priority === undefined ? '' : ` at priority ${host.istio.priority}`}`);
  const names = { envoy: 'Envoy', istio: 'Istio', higress: 'Higress' } as const;
  const minimum = Object.entries(host.minVersions).map(([hostName, v]) => `${names[hostName as keyof typeof names]} ${v}`);
  if (minimum.length > 0) parts.push(`at least ${minimum.join(', ')}`);
  return parts.join(', ');
}

interface ConfigurationRow {
  path: string;
  required: boolean;
  type: string;
  default: string;
  description: string;
}

/** The configuration table: top-level fields, and the fields of objects within them (two levels down). */
function configurationRows(root: Record<string, unknown>, schema = root, prefix = '', depth = 0): ConfigurationRow[] {
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).flatMap(([key, given]) => {
    const property = resolve(root, given);
    const path = `${prefix}${key}`;
    const row: ConfigurationRow = {
      path,
      required: required.has(key),
      type: typeLabel(root, property),
      default: property.default === undefined ? '—' : `\`${JSON.stringify(property.default)}\``,
      description: String(property.description ?? property.title ?? ''),
    };
    if (depth >= 2) return [row];
    if (property.type === 'object' && property.properties !== undefined) return [row, ...configurationRows(root, property, `${path}.`, depth + 1)];
    const items = property.type === 'array' && property.items !== undefined ? resolve(root, property.items as Record<string, unknown>) : null;
    if (items?.type === 'object' && items.properties !== undefined) return [row, ...configurationRows(root, items, `${path}[].`, depth + 1)];
    return [row];
  });
}

function typeLabel(root: Record<string, unknown>, schema: Record<string, unknown>): string {
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.map(literal).join(', ')}`;
  if (schema.const !== undefined) return literal(schema.const);
  const type = String(schema.type ?? 'any');
  if (type === 'array' && schema.items !== undefined) {
    const items = resolve(root, schema.items as Record<string, unknown>);
    if (Array.isArray(items.enum)) return `list, each one of ${items.enum.map(literal).join(', ')}`;
    return `list of ${items.type === 'object' ? 'objects' : typeLabel(root, items)}`;
  }
  if (type === 'object' && schema.additionalProperties !== undefined && typeof schema.additionalProperties === 'object') return 'map of strings';
  const format = schema.format === undefined ? '' : ` (${String(schema.format)})`;
  return `${type}${format}${bounds(schema)}`;
}

function bounds(schema: Record<string, unknown>): string {
  const { minimum, maximum, exclusiveMinimum } = schema;
  if (minimum !== undefined && maximum !== undefined) return `, ${minimum}–${maximum}`;
  const limits = [
    minimum === undefined ? null : `≥ ${minimum}`,
    typeof exclusiveMinimum === 'number' ? `> ${exclusiveMinimum}` : null,
    maximum === undefined ? null : `≤ ${maximum}`,
  ].filter((limit) => limit !== null);
  return limits.length === 0 ? '' : `, ${limits.join(' and ')}`;
}

const literal = (value: unknown): string => `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;

/** Follows a local `$ref` (#/definitions/… or #/$defs/…). */
function resolve(root: Record<string, unknown>, schema: Record<string, unknown>): Record<string, unknown> {
  const ref = schema.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return schema;
  let target: unknown = root;
  for (const token of ref.slice(2).split('/')) target = (target as Record<string, unknown>)[token];
  return target as Record<string, unknown>;
}

const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
