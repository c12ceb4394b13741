import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeModule, type AnalysisReport, REPORT_LIMITS } from '../../analysis/index.js';
import { producersBombModule } from '../../../testing/hostile-modules.js';
import { compileWatWithFeatures, customSection, HTTP_FILTER_0_2_1, producersPayload } from '../../../testing/analysis-fixtures.js';
import { CARGO_LOCK, GO_MOD, GO_SUM, PACKAGE_LOCK, PROXY_WASM_COMMIT, PURLS_TXT, sha256Hex, sha512Hex } from '../test/samples.js';
import { buildSbom, SbomInputError, type SbomInput } from './build-sbom.js';
import { parseDeclaredDependencyFiles } from './dependencies.js';
import type { DeclaredDependencies } from './model.js';
import { assertValidSbom, SbomValidationError, validateSbomJson } from './validate-sbom.js';
import { parseXml, type XmlElement } from './xml.js';

type Json = Record<string, any>;

let analysis: AnalysisReport;
let hex: string;
let declared: DeclaredDependencies;

beforeAll(async () => {
  // The module as the Rust SDK builds it: an HTTP filter with a producers section.
  const bytes = Buffer.concat([
    await compileWatWithFeatures(HTTP_FILTER_0_2_1),
    customSection(
      'producers',
      producersPayload({
        language: [['Rust', '1.80']],
        'processed-by': [['rustc', '1.80.0 (051478957 2024-07-21)']],
        sdk: [['proxy-wasm-rust-sdk', '0.2.2']],
      }),
    ),
  ]);
  analysis = await analyzeModule(bytes);
  hex = createHash('sha256').update(bytes).digest('hex');
  const parsed = parseDeclaredDependencyFiles([
    { filename: 'Cargo.lock', content: CARGO_LOCK },
    { filename: 'go.mod', content: GO_MOD },
    { filename: 'go.sum', content: GO_SUM },
    { filename: 'package-lock.json', content: PACKAGE_LOCK },
    { filename: 'purls.txt', content: PURLS_TXT },
  ]);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
  declared = parsed.value;
});

function fullInput(overrides: Partial<SbomInput> = {}): SbomInput {
  return {
    namespace: 'acme',
    plugin: 'header-filter',
    version: '1.2.0',
    digest: `sha256:${hex}`,
    publishedAt: new Date('2025-03-01T12:00:00.000Z'),
    license: 'Apache-2.0',
    description: 'Adds and removes HTTP headers.',
    homepage: 'https://acme.example/header-filter',
    repository: 'https://github.com/acme/header-filter',
    downloadUrl: `https://registry.example.com/v1/blobs/sha256:${hex}`,
    supplierUrl: 'https://registry.example.com/acme',
    analysis,
    declared,
    registry: { name: 'wasm-plugin-registry', version: '0.1.0', url: 'https://registry.example.com' },
    ...overrides,
  };
}

const mainPurl = (): string => `pkg:generic/acme/header-filter@1.2.0?checksum=sha256:${hex}`;
const PROXY_WASM_PURL = `pkg:cargo/proxy-wasm@0.2.2?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2Fproxy-wasm%2Fproxy-wasm-rust-sdk%40${PROXY_WASM_COMMIT}`;
const GIT_NPM_PURL = 'pkg:npm/as-json@1.0.0?vcs_url=git%2Bssh:%2F%2Fgit%40github.com%2Facme%2Fas-json.git%400123456789abcdef0123456789abcdef01234567';

describe('buildSbom: a version with everything known', () => {
  let bom: Json;
  let json: string;
  let xml: string;
  const component = (purl: string): Json => {
    const found = (bom.components as Json[]).find((c) => c.purl === purl);
    if (!found) throw new Error(`no component ${purl}`);
    return found;
  };
  const dependsOn = (ref: string): string[] | undefined => (bom.dependencies as Json[]).find((d) => d.ref === ref)?.dependsOn;

  beforeAll(async () => {
    const built = await buildSbom(fullInput());
    ({ bom, json, xml } = built);
    expect(built.validation).toEqual({ json: 'valid', xmlWellFormed: true, xmlSchema: 'skipped' });
    expect(JSON.parse(json)).toEqual(bom);
  });

  it('is a CycloneDX 1.6 document stamped with the publish time and a name-based serial number', () => {
    expect(bom.$schema).toBe('http://cyclonedx.org/schema/bom-1.6.schema.json');
    expect(bom.bomFormat).toBe('CycloneDX');
    expect(bom.specVersion).toBe('1.6');
    expect(bom.version).toBe(1);
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(bom.metadata.timestamp).toBe('2025-03-01T12:00:00.000Z');
  });

  it('describes the module: an application named by namespace and plugin, with its digest, purl, license and supplier', () => {
    const main = bom.metadata.component;
    expect(main.type).toBe('application');
    expect([main.group, main.name, main.version]).toEqual(['acme', 'header-filter', '1.2.0']);
    expect(main.purl).toBe(mainPurl());
    expect(main['bom-ref']).toBe(mainPurl());
    expect(main.hashes).toEqual([{ alg: 'SHA-256', content: hex }]);
    expect(main.licenses).toEqual([{ license: { id: 'Apache-2.0' } }]);
    expect(main.description).toBe('Adds and removes HTTP headers.');
    expect(main.supplier).toEqual({ name: 'acme', url: ['https://registry.example.com/acme'] });
    expect(main.externalReferences).toEqual([
      { type: 'distribution', url: `https://registry.example.com/v1/blobs/sha256:${hex}`, hashes: [{ alg: 'SHA-256', content: hex }] },
      { type: 'vcs', url: 'https://github.com/acme/header-filter' },
      { type: 'website', url: 'https://acme.example/header-filter' },
    ]);
  });

  it('names the registry as the tool, and records what the analysis found, toolchain included, as wasm-registry: properties', () => {
    expect(bom.metadata.tools).toEqual({
      components: [
        { type: 'application', name: 'wasm-plugin-registry', version: '0.1.0', externalReferences: [{ type: 'website', url: 'https://registry.example.com' }] },
      ],
    });
    expect(bom.metadata.component.properties).toEqual([
      { name: 'wasm-registry:capability', value: 'http_calls' },
      { name: 'wasm-registry:capability', value: 'metrics' },
      { name: 'wasm-registry:capability', value: 'response_control' },
      { name: 'wasm-registry:capability', value: 'wasi_clock' },
      { name: 'wasm-registry:capability', value: 'wasi_random' },
      { name: 'wasm-registry:envoy:loads', value: 'true' },
      { name: 'wasm-registry:module:binary-version', value: '1' },
      { name: 'wasm-registry:module:kind', value: 'module' },
      { name: 'wasm-registry:producers:language', value: 'Rust 1.80' },
      { name: 'wasm-registry:producers:processed-by', value: 'rustc 1.80.0 (051478957 2024-07-21)' },
      { name: 'wasm-registry:producers:sdk', value: 'proxy-wasm-rust-sdk 0.2.2' },
      { name: 'wasm-registry:proxy-wasm:abi-version', value: '0.2.1' },
      { name: 'wasm-registry:proxy-wasm:filter-type', value: 'http' },
    ]);
    expect(bom.metadata.properties).toEqual([
      { name: 'wasm-registry:declared-dependencies:file', value: 'Cargo.lock' },
      { name: 'wasm-registry:declared-dependencies:file', value: 'go.mod' },
      { name: 'wasm-registry:declared-dependencies:file', value: 'go.sum' },
      { name: 'wasm-registry:declared-dependencies:file', value: 'package-lock.json' },
      { name: 'wasm-registry:declared-dependencies:file', value: 'purls.txt' },
      { name: 'wasm-registry:declared-dependencies:local-package', value: '@acme/utils' },
      { name: 'wasm-registry:declared-dependencies:local-package', value: 'as-header-filter' },
      { name: 'wasm-registry:declared-dependencies:local-package', value: 'github.com/acme/shared' },
      { name: 'wasm-registry:declared-dependencies:local-package', value: 'header-filter' },
      { name: 'wasm-registry:declared-dependencies:local-package', value: 'shared-utils' },
    ]);
  });

  it('lists every declared package as a library whose bom-ref is its purl', () => {
    expect((bom.components as Json[]).map((c) => c.purl)).toEqual([
      'pkg:cargo/ahash@0.8.11',
      'pkg:cargo/cfg-if@1.0.0',
      'pkg:cargo/hashbrown@0.13.2',
      'pkg:cargo/hashbrown@0.14.5',
      'pkg:cargo/log@0.4.22',
      'pkg:cargo/once_cell@1.19.0',
      PROXY_WASM_PURL,
      'pkg:cargo/version_check@0.9.5',
      'pkg:generic/zlib@1.3.1?download_url=https:%2F%2Fzlib.net%2Fzlib-1.3.1.tar.gz',
      'pkg:github/nlohmann/json@v3.11.3',
      'pkg:golang/github.com/acme/gjson@v1.17.2-acme.1',
      'pkg:golang/github.com/masterminds/semver/v3@v3.2.1',
      'pkg:golang/github.com/tetratelabs/proxy-wasm-go-sdk@v0.24.0',
      'pkg:golang/github.com/tidwall/match@v1.1.1',
      'pkg:golang/github.com/tidwall/pretty@v1.2.1',
      'pkg:npm/%40solo-io/proxy-runtime@0.1.8',
      'pkg:npm/as-base64@0.2.0',
      GIT_NPM_PURL,
      'pkg:npm/as-string-sink@0.4.2',
      'pkg:npm/as-string-sink@0.5.3',
      'pkg:npm/assemblyscript@0.27.29',
      'pkg:npm/binaryen@116.0.0-nightly.20240114',
      'pkg:npm/long@5.2.3',
    ]);
    for (const c of bom.components as Json[]) {
      expect(c.type).toBe('library');
      expect(c['bom-ref']).toBe(c.purl);
    }
    expect(component('pkg:cargo/log@0.4.22')).toEqual({
      type: 'library',
      name: 'log',
      version: '0.4.22',
      'bom-ref': 'pkg:cargo/log@0.4.22',
      purl: 'pkg:cargo/log@0.4.22',
      hashes: [{ alg: 'SHA-256', content: sha256Hex('log-0.4.22.crate') }],
    });
    expect(component(PROXY_WASM_PURL).externalReferences).toEqual([
      { type: 'vcs', url: `git+https://github.com/proxy-wasm/proxy-wasm-rust-sdk#${PROXY_WASM_COMMIT}` },
    ]);
    expect(component('pkg:npm/%40solo-io/proxy-runtime@0.1.8')).toMatchObject({
      group: '@solo-io',
      name: 'proxy-runtime',
      hashes: [{ alg: 'SHA-512', content: sha512Hex('proxy-runtime-0.1.8.tgz') }],
    });
    expect(component('pkg:npm/assemblyscript@0.27.29')).toMatchObject({ scope: 'excluded', properties: [{ name: 'cdx:npm:package:development', value: 'true' }] });
    expect(component('pkg:npm/%40solo-io/proxy-runtime@0.1.8').scope).toBeUndefined();
    expect(component('pkg:golang/github.com/masterminds/semver/v3@v3.2.1')).toMatchObject({
      name: 'github.com/Masterminds/semver/v3',
      properties: [{ name: 'wasm-registry:go:indirect', value: 'true' }],
    });
    expect(component('pkg:golang/github.com/tetratelabs/proxy-wasm-go-sdk@v0.24.0').properties).toBeUndefined();
  });

  it('draws the graph: the module on its direct dependencies, each package on what its lockfile lists', () => {
    expect(dependsOn(mainPurl())).toEqual([
      'pkg:cargo/hashbrown@0.13.2',
      'pkg:cargo/log@0.4.22',
      PROXY_WASM_PURL,
      'pkg:generic/zlib@1.3.1?download_url=https:%2F%2Fzlib.net%2Fzlib-1.3.1.tar.gz',
      'pkg:github/nlohmann/json@v3.11.3',
      'pkg:golang/github.com/acme/gjson@v1.17.2-acme.1',
      'pkg:golang/github.com/masterminds/semver/v3@v3.2.1',
      'pkg:golang/github.com/tetratelabs/proxy-wasm-go-sdk@v0.24.0',
      'pkg:golang/github.com/tidwall/match@v1.1.1',
      'pkg:golang/github.com/tidwall/pretty@v1.2.1',
      'pkg:npm/%40solo-io/proxy-runtime@0.1.8',
      'pkg:npm/as-base64@0.2.0',
      GIT_NPM_PURL,
      'pkg:npm/as-string-sink@0.5.3',
      'pkg:npm/assemblyscript@0.27.29',
    ]);
    expect(dependsOn(PROXY_WASM_PURL)).toEqual(['pkg:cargo/hashbrown@0.14.5', 'pkg:cargo/log@0.4.22']);
    expect(dependsOn('pkg:npm/%40solo-io/proxy-runtime@0.1.8')).toEqual(['pkg:npm/as-string-sink@0.4.2']);
    expect(dependsOn('pkg:npm/assemblyscript@0.27.29')).toEqual(['pkg:npm/binaryen@116.0.0-nightly.20240114', 'pkg:npm/long@5.2.3']);
    expect((bom.dependencies as Json[]).map((d) => d.ref).sort()).toEqual([mainPurl(), ...(bom.components as Json[]).map((c) => c.purl)].sort());
  });

  it('says the declaration is incomplete, and that packages whose file records no graph have unknown dependencies', () => {
    expect(bom.compositions).toEqual([
      { aggregate: 'incomplete', dependencies: [mainPurl()] },
      {
        aggregate: 'unknown',
        dependencies: [
          'pkg:generic/zlib@1.3.1?download_url=https:%2F%2Fzlib.net%2Fzlib-1.3.1.tar.gz',
          'pkg:github/nlohmann/json@v3.11.3',
          'pkg:golang/github.com/acme/gjson@v1.17.2-acme.1',
          'pkg:golang/github.com/masterminds/semver/v3@v3.2.1',
          'pkg:golang/github.com/tetratelabs/proxy-wasm-go-sdk@v0.24.0',
          'pkg:golang/github.com/tidwall/match@v1.1.1',
          'pkg:golang/github.com/tidwall/pretty@v1.2.1',
        ],
      },
    ]);
    expect(Object.keys(bom)).toEqual(['$schema', 'bomFormat', 'specVersion', 'version', 'serialNumber', 'metadata', 'components', 'dependencies', 'compositions']);
  });

  it('writes the same document as well-formed XML', () => {
    const root = parseXml(xml);
    const child = (el: XmlElement, name: string): XmlElement => {
      const found = el.children.find((c) => c.name === name);
      if (!found) throw new Error(`no <${name}> in <${el.name}>`);
      return found;
    };
    expect(root.name).toBe('bom');
    expect(root.attributes.xmlns).toBe('http://cyclonedx.org/schema/bom/1.6');
    expect(root.attributes.serialNumber).toBe(bom.serialNumber);
    expect(root.children.map((c) => c.name)).toEqual(['metadata', 'components', 'dependencies', 'compositions']);
    const main = child(child(root, 'metadata'), 'component');
    expect(child(main, 'purl').text).toBe(mainPurl());
    expect(child(child(child(main, 'licenses'), 'license'), 'id').text).toBe('Apache-2.0');
    expect(child(root, 'components').children.map((c) => child(c, 'purl').text)).toEqual((bom.components as Json[]).map((c) => c.purl));
    const xmlMain = child(root, 'dependencies').children.find((d) => d.attributes.ref === mainPurl())!;
    expect(xmlMain.children.map((d) => d.attributes.ref)).toEqual(dependsOn(mainPurl()));
    const compositions = child(root, 'compositions').children;
    expect(compositions.map((c) => child(c, 'aggregate').text)).toEqual(['incomplete', 'unknown']);
    expect(child(compositions[1]!, 'dependencies').children.map((d) => d.attributes.ref)).toEqual(bom.compositions[1].dependencies);
  });
});

describe('buildSbom: a version that declared nothing and has no analysis', () => {
  it('still validates and says what is unknown', async () => {
    const { bom, xml } = await buildSbom(
      fullInput({ declared: null, analysis: null, license: null, description: '', homepage: null, repository: null, supplierUrl: null }),
    );
    const main = bom.metadata as Json;
    expect(bom.components).toEqual([]);
    expect(bom.dependencies).toEqual([{ ref: mainPurl() }]);
    expect(bom.compositions).toEqual([{ aggregate: 'unknown', assemblies: [mainPurl()], dependencies: [mainPurl()] }]);
    expect(main.properties).toEqual([{ name: 'wasm-registry:declared-dependencies', value: 'none' }]);
    expect(main.component.properties).toEqual([{ name: 'wasm-registry:analysis', value: 'unavailable' }]);
    expect(main.component.licenses).toBeUndefined();
    expect(main.component.description).toBeUndefined();
    expect(main.component.supplier).toEqual({ name: 'acme' });
    expect(main.component.externalReferences).toEqual([
      { type: 'distribution', url: `https://registry.example.com/v1/blobs/sha256:${hex}`, hashes: [{ alg: 'SHA-256', content: hex }] },
    ]);
    expect(parseXml(xml).children.map((c) => c.name)).toEqual(['metadata', 'components', 'dependencies', 'compositions']);
  });

  it('treats a declaration without files as nothing declared', async () => {
    const { bom } = await buildSbom(fullInput({ declared: { files: [], components: [], roots: [], local: [] } }));
    expect(bom.compositions).toEqual([{ aggregate: 'unknown', assemblies: [mainPurl()], dependencies: [mainPurl()] }]);
  });
});

describe('buildSbom: determinism', () => {
  it('gives byte-identical JSON and XML for the same input, whatever the key order of stored JSON', async () => {
    const first = await buildSbom(fullInput());
    // As read back from a JSONB column: same values, keys in another order.
    const reordered = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reordered)
        : value !== null && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reordered(v)]))
          : value;
    const second = await buildSbom(
      fullInput({ analysis: reordered(analysis) as AnalysisReport, declared: reordered(structuredClone(declared)) as DeclaredDependencies }),
    );
    expect(second.json).toBe(first.json);
    expect(second.xml).toBe(first.xml);
    expect(second.serialNumber).toBe(first.serialNumber);
  });

  it('gives another serial number when anything in the document changes', async () => {
    const base = await buildSbom(fullInput());
    const otherVersion = await buildSbom(fullInput({ version: '1.2.1' }));
    const otherTime = await buildSbom(fullInput({ publishedAt: new Date('2025-03-01T12:00:01.000Z') }));
    const fewerDeps = await buildSbom(fullInput({ declared: { ...declared, components: declared.components.slice(1) } }));
    const serials = new Set([base, otherVersion, otherTime, fewerDeps].map((b) => b.serialNumber));
    expect(serials.size).toBe(4);
  });
});

describe('buildSbom: licenses', () => {
  const licenses = async (license: string): Promise<unknown> => ((await buildSbom(fullInput({ license }))).bom.metadata as Json).component.licenses;

  it('writes an SPDX id as an id, an expression as an expression, and fixes an id\'s case', async () => {
    expect(await licenses('MIT')).toEqual([{ license: { id: 'MIT' } }]);
    expect(await licenses('apache-2.0')).toEqual([{ license: { id: 'Apache-2.0' } }]);
    expect(await licenses('MIT OR Apache-2.0')).toEqual([{ expression: 'MIT OR Apache-2.0' }]);
    expect(await licenses('Apache-2.0 WITH LLVM-exception')).toEqual([{ expression: 'Apache-2.0 WITH LLVM-exception' }]);
  });

  it('refuses a license that is neither, instead of writing it as a free-text named license', async () => {
    const error = await buildSbom(fullInput({ license: 'Apache 2' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SbomInputError);
    expect((error as SbomInputError).problems).toEqual([
      {
        field: 'license',
        message: '"Apache 2" is not an SPDX license identifier or expression (e.g. "Apache-2.0", "MIT OR Apache-2.0"; see https://spdx.org/licenses/)',
      },
    ]);
  });
});

describe('buildSbom: other inputs', () => {
  it('uses a pkg:oci purl when the module is served as an OCI artifact, keeping the module hash', async () => {
    const manifest = `sha256:${sha256Hex('manifest')}`;
    const { bom } = await buildSbom(fullInput({ oci: { repository: 'registry.example.com/acme/header-filter', manifestDigest: manifest } }));
    const main = (bom.metadata as Json).component;
    expect(main.purl).toBe(`pkg:oci/header-filter@${manifest}?repository_url=registry.example.com%2Facme%2Fheader-filter&tag=1.2.0`);
    expect(main['bom-ref']).toBe(main.purl);
    expect(main.hashes).toEqual([{ alg: 'SHA-256', content: hex }]);
  });

  it('refuses bad input, naming every field', async () => {
    const error = await buildSbom(
      fullInput({ digest: 'sha256:XYZ', namespace: 'Acme', publishedAt: new Date('not a date'), homepage: 'acme.example', oci: { repository: 'https://r.example/a', manifestDigest: 'x' } }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SbomInputError);
    expect((error as SbomInputError).problems.map((p) => p.field)).toEqual(['namespace', 'digest', 'publishedAt', 'homepage', 'oci.manifestDigest', 'oci.repository']);
  });

  it('keeps text XML cannot carry from breaking the XML', async () => {
    const description = 'Blocks <script> & "quotes" \u0007 bell';
    const { bom, xml } = await buildSbom(fullInput({ description }));
    expect(((bom.metadata as Json).component as Json).description).toBe(description);
    const main = parseXml(xml).children[0]!.children.find((c) => c.name === 'component')!;
    expect(main.children.find((c) => c.name === 'description')!.text).toBe('Blocks <script> & "quotes" \uFFFD bell');
  });
});

describe('buildSbom: what a hostile module could make large', () => {
  const props = (bom: Json, name: string): string[] =>
    (bom.metadata.component.properties as { name: string; value: string }[]).filter((p) => p.name === `wasm-registry:${name}`).map((p) => p.value);

  it('takes the toolchain from a shortened report as it is, and says the report is shortened', async () => {
    const report = await analyzeModule(producersBombModule(1024 * 1024));
    const { bom } = await buildSbom(fullInput({ analysis: report }));
    expect(props(bom, 'producers:language')).toEqual([`${'a'.repeat(255)}… 1.0`]);
    expect(props(bom, 'analysis:truncated')).toEqual(['true']);
    const whole = await buildSbom(fullInput());
    expect(props(whole.bom, 'analysis:truncated')).toEqual([]);
  });

  it('bounds the toolchain of a report stored before reports were bounded', async () => {
    const long = 'l'.repeat(100_000);
    const legacy = { ...analysis, producers: { language: Array.from({ length: 1_000 }, () => ({ name: long, version: long })), processedBy: [], sdk: [] } };
    const { bom, json } = await buildSbom(fullInput({ analysis: legacy }));
    const languages = props(bom, 'producers:language');
    expect(languages).toHaveLength(REPORT_LIMITS.maxProducerValues);
    for (const value of languages) expect(value).toHaveLength(2 * REPORT_LIMITS.maxStringLength + 1);
    expect(json.length).toBeLessThan(64 * 1024);
  });
});

describe('validation', () => {
  it('refuses a JSON document the CycloneDX 1.6 schema does not allow, saying where', async () => {
    const { json } = await buildSbom(fullInput());
    const badAggregate = JSON.parse(json) as Json;
    badAggregate.compositions[0].aggregate = 'mostly';
    expect(await validateSbomJson(JSON.stringify(badAggregate))).toEqual(['/compositions/0/aggregate: must be equal to one of the allowed values']);
    const badLicense = JSON.parse(json) as Json;
    badLicense.metadata.component.licenses = [{ license: { id: 'Apache 2' } }];
    expect(await validateSbomJson(JSON.stringify(badLicense))).toContain('/metadata/component/licenses/0/license/id: must be equal to one of the allowed values');
    const error = await assertValidSbom(JSON.stringify(badAggregate), '<bom/>').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SbomValidationError);
    expect((error as SbomValidationError).message).toBe(
      'the generated SBOM is not valid CycloneDX 1.6 JSON: /compositions/0/aggregate: must be equal to one of the allowed values',
    );
  });

  it('validates long lists a slice at a time, still naming the right item and catching duplicates', async () => {
    const purls = Array.from({ length: 600 }, (_, i) => `pkg:npm/pkg-${i}@1.0.${i}`).join('\n');
    const many = parseDeclaredDependencyFiles([{ filename: 'purls.txt', content: purls }]);
    if (!many.ok) throw new Error(JSON.stringify(many.error));
    const { json, bom } = await buildSbom(fullInput({ declared: many.value }));
    expect(bom.components).toHaveLength(600);
    const broken = JSON.parse(json) as Json;
    broken.components[555].type = 'plugin';
    broken.components[590] = broken.components[3];
    broken.dependencies[0].dependsOn = ['a', 'a'];
    const problems = await validateSbomJson(JSON.stringify(broken));
    expect(problems).toContainEqual(expect.stringMatching(/^\/components\/555\/type: must be equal to one of the allowed values/));
    expect(problems).toContain('/components: must NOT have duplicate items (items ## 3 and 590 are identical)');
    expect(problems).toContain('/dependencies/0/dependsOn: must NOT have duplicate items (items ## 0 and 1 are identical) {"i":1,"j":0}');
    expect(problems).toHaveLength(3);
  });

  it('refuses XML that is not well-formed', async () => {
    const { json, xml } = await buildSbom(fullInput());
    const error = await assertValidSbom(json, xml.replace('</components>', '</component>')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SbomValidationError);
    expect((error as SbomValidationError).format).toBe('xml');
    expect((error as SbomValidationError).problems[0]).toMatch(/^line \d+: <\/component> does not match <components>$/);
  });
});
