import { CATEGORY_SLUGS } from '../../domain/index.js';
import { CONTRACT_LIMITS } from './contract-limits.js';
import { ISTIO_PHASES } from './contract.js';

/** Names examples are addressed by (`?example=<name>`). */
export const EXAMPLE_NAME_PATTERN = '^[a-z0-9][a-z0-9._-]{0,63}$';
/** A plugin's full name in a manifest: namespace/name, each as the API's path segments. */
export const PLUGIN_REFERENCE_PATTERN = '^[a-z0-9][a-z0-9-]{0,63}/[a-z0-9][a-z0-9-]{0,63}$';
/** Host versions as their projects write them: 1.26, 1.18.2, 2.0.0. */
export const HOST_VERSION_PATTERN = '^[0-9]+(\\.[0-9]+){0,2}$';

/**
 * The manifest an author keeps beside their plugin (`wasm-plugin.yaml` or
 * `wasm-plugin.json`), sent as the `manifest` part of a publish request.
 * Served at GET /api/v1/schemas/manifest so editors can check it.
 */
export const MANIFEST_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:wasm-plugin-registry:manifest:1',
  title: 'Wasm plugin manifest',
  description:
    "A version's contract: plugin metadata, README, configuration schema, examples and host hints. " +
    'Paths name files in the author\'s repository; the files themselves travel as the readme and schema parts.',
  type: 'object',
  required: ['manifest'],
  additionalProperties: false,
  properties: {
    manifest: { const: 1, description: 'The manifest format version.' },
    name: { type: 'string', pattern: PLUGIN_REFERENCE_PATTERN, description: 'namespace/name; when given, must equal the plugin being published.' },
    version: { type: 'string', maxLength: 128, description: 'When given, must equal the version being published.' },
    module: { type: 'string', minLength: 1, maxLength: 1024, description: 'Path of the .wasm module; the module part carries the file.' },
    dependencies: {
      type: 'array',
      maxItems: 4,
      items: { type: 'string', minLength: 1, maxLength: 1024 },
      description: 'Paths of lockfiles (Cargo.lock, go.mod, go.sum, package-lock.json, *.purls); the dependencies parts carry the files.',
    },
    description: { type: 'string', maxLength: 4000 },
    license: { type: 'string', maxLength: 256, description: 'An SPDX license expression.' },
    homepage: { type: 'string', maxLength: 2048, description: 'An absolute http(s) URL.' },
    repository: { type: 'string', maxLength: 2048, description: 'An absolute http(s) URL.' },
    keywords: { type: 'array', maxItems: 20, items: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,31}$' } },
    categories: { type: 'array', maxItems: 6, items: { enum: [...CATEGORY_SLUGS] } },
    readme: { type: 'string', minLength: 1, maxLength: 1024, description: 'Path of the README (Markdown); the readme part carries the file.' },
    configSchema: {
      description: 'Path of the configuration schema (the schema part carries the file), or the schema inline (JSON Schema draft-07 or 2020-12).',
      oneOf: [
        { type: 'string', minLength: 1, maxLength: 1024 },
        { type: 'object' },
      ],
    },
    examples: {
      type: 'array',
      maxItems: CONTRACT_LIMITS.examples,
      items: {
        type: 'object',
        required: ['name', 'configuration'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', pattern: EXAMPLE_NAME_PATTERN, description: 'Unique within the version.' },
          description: { type: 'string', maxLength: 1000 },
          configuration: { description: 'A configuration valid against the schema, as the proxy receives it.' },
        },
      },
    },
    host: {
      type: 'object',
      additionalProperties: false,
      properties: {
        filterType: { enum: ['http', 'network'] },
        rootId: { type: 'string', minLength: 1, maxLength: 256, description: 'The root_id the plugin registers (Istio pluginName).' },
        istio: {
          type: 'object',
          additionalProperties: false,
          properties: {
            phase: { enum: [...ISTIO_PHASES] },
            priority: { type: 'integer', minimum: -2147483648, maximum: 2147483647 },
          },
        },
        minVersions: {
          type: 'object',
          additionalProperties: false,
          properties: {
            envoy: { type: 'string', pattern: HOST_VERSION_PATTERN },
            istio: { type: 'string', pattern: HOST_VERSION_PATTERN },
            higress: { type: 'string', pattern: HOST_VERSION_PATTERN },
          },
        },
      },
    },
  },
} as const;
