import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formatsModule, { type FormatsPlugin } from 'ajv-formats';
import { RE2JS } from 're2js';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ContractChecker, CONTRACT_LIMITS, readContract, type ContractParts } from '../../libs/contract/index.js';
import { CATEGORY_SLUGS, parsePluginMetadata } from '../../libs/domain/index.js';
import { DEMO_PLUGINS, projectLinks, type DemoPlugin } from './catalog.js';
import { authoredContractOf, breakingUpgrades, demoContract, type DemoContract, type SchemaDialect } from './contracts.js';
import { publishForm, type PublishContract } from './registry-client.js';

const addFormats = (formatsModule as unknown as { default: FormatsPlugin }).default;

/** Ajv as the registry runs it on configuration schemas: not strict (Higress's keywords), every error, formats. */
function ajvFor(dialect: SchemaDialect): Ajv {
  const ajv = dialect === '2020-12' ? new Ajv2020({ strict: false, allErrors: true }) : new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv;
}

function compile(contract: DemoContract): ValidateFunction {
  const { $schema: _dialect, ...schema } = contract.schema!.value;
  return ajvFor(contract.schema!.dialect).compile(schema);
}

const authored = DEMO_PLUGINS.filter((plugin) => authoredContractOf(plugin) !== null);
const everyVersion = (plugins: readonly DemoPlugin[]): Array<[string, DemoPlugin, string]> =>
  plugins.flatMap((plugin) => plugin.versions.map((version): [string, DemoPlugin, string] => [`${plugin.namespace}/${plugin.name}@${version}`, plugin, version]));

const asParts = (parts: PublishContract): ContractParts =>
  Object.fromEntries(Object.entries(parts).map(([field, file]) => [field, { filename: file.filename, bytes: Buffer.from(file.text) }]));

/** Every `pattern` and `patternProperties` key in a schema. */
function patternsOf(schema: unknown): string[] {
  if (Array.isArray(schema)) return schema.flatMap(patternsOf);
  if (typeof schema !== 'object' || schema === null) return [];
  const node = schema as Record<string, unknown>;
  const own = typeof node.pattern === 'string' ? [node.pattern] : [];
  const keys = typeof node.patternProperties === 'object' && node.patternProperties !== null ? Object.keys(node.patternProperties) : [];
  return [...own, ...keys, ...Object.entries(node).flatMap(([key, value]) => (key === 'example' || key === 'default' ? [] : patternsOf(value)))];
}

describe('the demo contracts', () => {
  it('cover at least ten plugins in every category, in all three formats and both dialects', () => {
    expect(authored.length).toBeGreaterThanOrEqual(10);
    expect(new Set(authored.flatMap((p) => p.categories))).toEqual(new Set(CATEGORY_SLUGS));
    const contracts = authored.map((p) => demoContract(p, p.versions.at(-1)!));
    expect(new Set(contracts.map((c) => c.format))).toEqual(new Set(['manifest', 'higress', 'kong']));
    expect(new Set(contracts.map((c) => c.schema?.dialect))).toEqual(new Set(['draft-07', '2020-12']));
    // Some manifests hold the schema inline, others send it as its own part.
    expect(new Set(contracts.filter((c) => c.format === 'manifest').map((c) => c.parts.schema === undefined))).toEqual(new Set([true, false]));
    for (const plugin of authored) {
      expect(Object.keys(authoredContractOf(plugin)!.changes), `${plugin.name}`).toEqual(plugin.versions);
    }
  });

  it.each(everyVersion(authored))('%s: the schema is valid against its meta-schema, its patterns are RE2, and every example is valid against it', (_, plugin, version) => {
    const contract = demoContract(plugin, version);
    expect(contract.schema).not.toBeNull();
    const ajv = ajvFor(contract.schema!.dialect);
    expect(ajv.validateSchema(contract.schema!.value), ajv.errorsText(ajv.errors)).toBe(true);
    for (const pattern of patternsOf(contract.schema!.value)) expect(() => RE2JS.compile(pattern), pattern).not.toThrow();
    const validate = compile(contract);
    expect(contract.examples.length).toBeGreaterThanOrEqual(2);
    expect(new Set(contract.examples.map((e) => e.name)).size).toBe(contract.examples.length);
    for (const example of contract.examples) expect(validate(example.configuration), `${example.name}: ${ajv.errorsText(validate.errors)}`).toBe(true);
  });

  it.each(everyVersion(DEMO_PLUGINS))('%s: the manifest is valid YAML or JSON and names parts that are sent', (_, plugin, version) => {
    const { parts, format } = demoContract(plugin, version);
    const document = (parts.manifest.filename.endsWith('.json') ? JSON.parse(parts.manifest.text) : parseYaml(parts.manifest.text)) as Record<string, unknown>;
    expect(parts.readme?.filename).toBe('README.md');
    if (format === 'manifest') {
      expect(parts.manifest.filename).toBe('wasm-plugin.yaml');
      expect(document).toMatchObject({ manifest: 1, version, readme: parts.readme!.filename });
      if (typeof document.configSchema === 'string') expect(parts.schema?.filename).toBe(document.configSchema);
      else expect(parts.schema).toBeUndefined();
    } else if (format === 'higress') {
      expect(parts.manifest.filename).toBe('spec.yaml');
      expect(document).toMatchObject({ info: { version }, spec: { configSchema: { openAPIV3Schema: { type: 'object' } } } });
      expect(parts.schema).toBeUndefined();
    } else {
      expect(parts.manifest.filename).toMatch(/^[a-z_]+\.meta\.json$/);
      expect(document).toMatchObject({ config_schema: { type: 'object' } });
      expect(parts.schema).toBeUndefined();
    }
  });

  it.each(everyVersion(DEMO_PLUGINS))('%s: the registry reads the contract, and its metadata is the catalog entry', (_, plugin, version) => {
    const contract = demoContract(plugin, version);
    const draft = readContract(asParts(contract.parts), version)!;
    expect(draft.source).toBe(contract.format);
    expect(draft.readme).toBe(contract.readme);
    expect(draft.configSchema).toEqual(contract.schema === null ? null : { value: contract.schema.value, dialect: contract.schema.dialect });
    const expectedExamples = { manifest: contract.examples, higress: contract.examples.slice(0, 1), kong: [] }[contract.format];
    expect(draft.examples.map((e) => e.configuration)).toEqual(expectedExamples.map((e) => e.configuration));

    // What a manifest sets must be what the seed's PUT plugin set, so the plugin's metadata never flips.
    const { description, license, keywords, categories } = plugin;
    const catalog = parsePluginMetadata({ description, license, keywords, categories, ...projectLinks(plugin) });
    if (contract.format === 'manifest') expect(draft.metadata).toEqual(catalog);
    else if (contract.format === 'higress') expect(draft.metadata).toMatchObject({ description: catalog.description, categories: catalog.categories });
    else expect(draft.metadata).toBeNull();

    const host = authoredContractOf(plugin)?.host;
    if (host !== undefined) {
      expect(draft.hostHints).toMatchObject({ filterType: host.filterType, istioPhase: host.istio?.phase ?? null, istioPriority: host.istio?.priority ?? null, minHostVersions: host.minVersions });
      if (contract.format !== 'higress') expect(draft.hostHints.rootId).toBe(host.rootId);
    } else {
      expect(draft.hostHints.filterType).toBe(plugin.features.includes('tcp') ? 'network' : 'http');
    }
  });

  it('give every version a README under the limit; the authored ones have 30 to 120 lines and a configuration table', () => {
    for (const [where, plugin, version] of everyVersion(DEMO_PLUGINS)) {
      const { readme, authored: isAuthored } = demoContract(plugin, version);
      expect(Buffer.byteLength(readme), where).toBeLessThan(CONTRACT_LIMITS.readmeBytes);
      expect(readme, where).toContain(plugin.description);
      if (!isAuthored) continue;
      const lines = readme.split('\n').length;
      expect(lines, where).toBeGreaterThanOrEqual(30);
      expect(lines, where).toBeLessThanOrEqual(120);
      expect(readme, where).toMatch(/\| Field \| Type \| Default \| Description \|/);
      expect(readme, where).toMatch(/## Envoy and Istio/);
    }
  });

  it('have one upgrade that breaks configurations (acme/jwt-auth 0.9.0 → 1.0.0): every example of 0.9.0 is refused by 1.0.0', () => {
    expect(breakingUpgrades(DEMO_PLUGINS).map(({ plugin, from, to }) => `${plugin.namespace}/${plugin.name} ${from} → ${to}`)).toEqual(['acme/jwt-auth 0.9.0 → 1.0.0']);
    const plugin = DEMO_PLUGINS.find((p) => p.name === 'jwt-auth')!;
    const before = demoContract(plugin, '0.9.0');
    const validate = compile(demoContract(plugin, '1.0.0'));
    const broken = new Set<string>();
    for (const example of before.examples) {
      expect(validate(example.configuration), example.name).toBe(false);
      // Each lacks the now required audiences.
      expect(validate.errors, example.name).toContainEqual(expect.objectContaining({ keyword: 'required', params: { missingProperty: 'audiences' } }));
      for (const error of validate.errors ?? []) broken.add(error.keyword);
    }
    // And between them they show the other changes the README names: audience removed, clockSkewSeconds bounded lower.
    expect([...broken].sort()).toEqual(['additionalProperties', 'maximum', 'required']);
  });

  it('keep every other upgrade compatible: the examples of a version stay valid against the next', () => {
    const breaking = new Set(breakingUpgrades(DEMO_PLUGINS).map(({ plugin, to }) => `${plugin.namespace}/${plugin.name}@${to}`));
    for (const plugin of authored) {
      for (let i = 1; i < plugin.versions.length; i++) {
        const where = `${plugin.namespace}/${plugin.name}@${plugin.versions[i]}`;
        if (breaking.has(where)) continue;
        const validate = compile(demoContract(plugin, plugin.versions[i]!));
        for (const example of demoContract(plugin, plugin.versions[i - 1]!).examples) {
          expect(validate(example.configuration), `${where} refuses ${plugin.versions[i - 1]}'s ${example.name}`).toBe(true);
        }
      }
    }
  });

  describe('as the registry checks them at publish', () => {
    const checker = new ContractChecker();
    afterAll(() => checker.close());

    it('accepts every authored version (meta-schema, RE2 patterns, examples against the schema, README)', async () => {
      for (const [where, plugin, version] of everyVersion(authored)) {
        const contract = demoContract(plugin, version);
        const prepared = await checker.prepare(readContract(asParts(contract.parts), version)!).catch((error: unknown) => {
          throw new Error(`${where}: ${JSON.stringify((error as { extensions?: unknown }).extensions ?? String(error))}`);
        });
        expect(prepared.configSchema?.dialect, where).toBe(contract.schema!.dialect);
        expect(prepared.readme?.markdown, where).toBe(contract.readme);
        expect(prepared.examples?.names ?? [], where).toEqual(readContract(asParts(contract.parts), version)!.examples.map((e) => e.name));
      }
    }, 60_000);
  });

  it('are sent as multipart parts beside the module: module.wasm, the manifest, README.md and the schema file', async () => {
    const plugin = DEMO_PLUGINS.find((p) => p.name === 'jwt-auth')!;
    const { parts } = demoContract(plugin, '1.1.0');
    const form = publishForm(Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), parts);
    expect([...form.keys()]).toEqual(['module', 'manifest', 'readme', 'schema']);
    const file = (field: string): File => form.get(field) as File;
    expect([file('module').name, file('module').type]).toEqual(['module.wasm', 'application/wasm']);
    expect([file('manifest').name, file('readme').name, file('schema').name]).toEqual(['wasm-plugin.yaml', 'README.md', 'config.schema.json']);
    expect(file('readme').type).toBe('text/markdown');
    expect(await file('schema').text()).toBe(parts.schema!.text);
    expect(new Uint8Array(await file('module').arrayBuffer())).toEqual(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  });
});
