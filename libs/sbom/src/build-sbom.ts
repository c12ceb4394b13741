import { createHash } from 'node:crypto';
import { Contrib, Enums, Models, Serialize, Spec } from '@cyclonedx/cyclonedx-library';
import { shorten, type AnalysisReport, REPORT_LIMITS } from '../../analysis/index.js';
import { DIGEST_PATTERN, digestProblem, licenseProblem, nameProblem, type FieldProblem, versionProblem } from '../../domain/index.js';
import type { DeclaredDependencies } from './model.js';
import { makePurl } from './purl.js';
import { assertValidSbom, type SbomValidationReport } from './validate-sbom.js';
import { stringifyXml } from './xml.js';

/** Prefix of every property this registry writes (CycloneDX property names are namespaced by convention). */
export const PROPERTY_PREFIX = 'wasm-registry:';

/** Everything the SBOM of one published version says, and nothing read from a clock. */
export interface SbomInput {
  namespace: string;
  plugin: string;
  /** The published semantic version, e.g. "1.2.0". */
  version: string;
  /** `sha256:<hex>` of the module bytes. */
  digest: string;
  /** When the version was published: the SBOM's timestamp, so that re-running gives the same document. */
  publishedAt: Date;
  /** SPDX license identifier or expression ("Apache-2.0", "MIT OR Apache-2.0"); null when none was given. */
  license: string | null;
  /** '' or null when none was given. */
  description: string | null;
  homepage: string | null;
  /** Source repository URL. */
  repository: string | null;
  /** The pinned download URL of these bytes (by digest or by version). */
  downloadUrl: string;
  /** The namespace's page on the registry, for the supplier; optional. */
  supplierUrl?: string | null;
  /** When the module is also served as an OCI artifact: then the purl is pkg:oci. */
  oci?: {
    /** Repository without scheme, tag or digest, e.g. "registry.example.com/acme/header-filter". */
    repository: string;
    /** `sha256:<hex>` of the OCI manifest (not of the module). */
    manifestDigest: string;
  } | null;
  /** The analysis report of these bytes; null when there is none (the SBOM says so). */
  analysis: AnalysisReport | null;
  /** What the publisher declared (versions.declared_dependencies); null when nothing. */
  declared: DeclaredDependencies | null;
  /** The tool that writes the SBOM. */
  registry: { name: string; version: string; url?: string | null };
}

export interface BuiltSbom {
  /** CycloneDX 1.6 JSON document, as a plain object (no undefined members). */
  bom: Record<string, unknown>;
  /** The same document as text: byte-identical for identical input. */
  json: string;
  /** CycloneDX 1.6 XML. */
  xml: string;
  /** The document's urn:uuid serial number. */
  serialNumber: string;
  validation: SbomValidationReport;
}

export class SbomInputError extends Error {
  constructor(readonly problems: FieldProblem[]) {
    super(`cannot build the SBOM: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
    this.name = 'SbomInputError';
  }
}

/** RFC 9562 name-based (v5) namespace for this registry's SBOM serial numbers; never change it. */
const SERIAL_NAMESPACE = '9b4e84ca-5fea-48b5-b76f-f1772a027f05';
const SPEC = Spec.Spec1dot6;
const SORTED = { sortLists: true };

const licenseFactory = new Contrib.License.Factories.LicenseFactory((expression: string) => {
  if (licenseProblem('license', expression)) throw new RangeError(`not an SPDX expression: ${expression}`);
});

/**
 * The CycloneDX SBOM of a published version, validated. Deterministic: the
 * timestamp is the publish time and the serial number is derived from the
 * document itself, so the same input always gives the same bytes.
 * Throws SbomInputError for bad input, SbomValidationError if the result does not validate.
 */
export async function buildSbom(input: SbomInput): Promise<BuiltSbom> {
  const problems = inputProblems(input);
  const license = input.license === null || input.license === '' ? null : sbomLicense(input.license, problems);
  if (problems.length > 0) throw new SbomInputError(problems);

  const bom = new Models.Bom();
  bom.metadata.timestamp = input.publishedAt;
  bom.metadata.tools.components.add(
    new Models.Component(Enums.ComponentType.Application, input.registry.name, {
      version: input.registry.version,
      externalReferences: references([[input.registry.url, Enums.ExternalReferenceType.Website]]),
    }),
  );

  const main = mainComponent(input, license);
  bom.metadata.component = main;
  const declared = input.declared && input.declared.files.length > 0 ? input.declared : null;
  for (const p of declaredProperties(declared)) bom.metadata.properties.add(p);

  const byPurl = new Map<string, Models.Component>();
  for (const c of declared?.components ?? []) {
    const component = new Models.Component(Enums.ComponentType.Library, c.name, {
      bomRef: c.purl,
      purl: c.purl,
      group: c.group ?? undefined,
      version: c.version ?? undefined,
      // Development-only packages are not in the module: "excluded" is CycloneDX for that.
      scope: c.development ? Enums.ComponentScope.Excluded : c.optional ? Enums.ComponentScope.Optional : undefined,
      externalReferences: references([[c.vcs, Enums.ExternalReferenceType.VCS]]),
    });
    for (const h of c.hashes) component.hashes.set(h.alg as Enums.HashAlgorithm, h.content);
    // cdx:npm:package:development is the CycloneDX property taxonomy's name for an npm dev dependency.
    if (c.development && c.purl.startsWith('pkg:npm/')) component.properties.add(new Models.Property('cdx:npm:package:development', 'true'));
    if (c.indirect) component.properties.add(new Models.Property(`${PROPERTY_PREFIX}go:indirect`, 'true'));
    byPurl.set(c.purl, component);
    bom.components.add(component);
  }
  // The graph: the module depends on the file's roots; each package on what its lockfile entry lists.
  for (const root of declared?.roots ?? []) {
    const target = byPurl.get(root);
    if (target) main.dependencies.add(target.bomRef);
  }
  const graphUnknown: string[] = [];
  for (const c of declared?.components ?? []) {
    const component = byPurl.get(c.purl)!;
    if (c.dependsOn === null) graphUnknown.push(c.purl);
    for (const d of c.dependsOn ?? []) {
      const target = byPurl.get(d);
      if (target) component.dependencies.add(target.bomRef);
    }
  }

  const compositions = sbomCompositions(main.bomRef.toString(), declared !== null, graphUnknown.sort());
  const jsonNormalizer = new Serialize.JSON.Normalize.Factory(SPEC).makeForBom();
  const normalized = withCompositions(jsonNormalizer.normalize(bom, SORTED), compositions);

  // Serial number: a v5 UUID of the document without it, so identical content gets the same one and any change a new one.
  const serialNumber = `urn:uuid:${uuidV5(SERIAL_NAMESPACE, JSON.stringify(normalized))}`;
  normalized.serialNumber = serialNumber; // its key is already in place, so the member order does not change
  bom.serialNumber = serialNumber;
  const json = `${JSON.stringify(normalized, null, 2)}\n`;

  const xmlTree = new Serialize.XML.Normalize.Factory(SPEC).makeForBom().normalize(bom, SORTED);
  const xml = stringifyXml(withXmlCompositions(xmlTree, compositions));

  const validation = await assertValidSbom(json, xml);
  return { bom: JSON.parse(json) as Record<string, unknown>, json, xml, serialNumber, validation };
}

function mainComponent(input: SbomInput, license: Models.License | null): Models.Component {
  const hex = DIGEST_PATTERN.exec(input.digest)![1]!;
  const purl = input.oci
    ? makePurl('oci', undefined, input.oci.repository.slice(input.oci.repository.lastIndexOf('/') + 1), input.oci.manifestDigest, {
        repository_url: input.oci.repository,
        tag: input.version,
      })
    : makePurl('generic', input.namespace, input.plugin, input.version, { checksum: `sha256:${hex}` });

  // "application": the unit operators deploy and configure into a proxy, running in its own sandbox;
  // nothing links it into their code, which is what "library" means to SBOM consumers.
  const main = new Models.Component(Enums.ComponentType.Application, input.plugin, {
    bomRef: purl,
    purl,
    group: input.namespace,
    version: input.version,
    description: input.description || undefined,
    supplier: new Models.OrganizationalEntity({
      name: input.namespace,
      url: input.supplierUrl ? new Set([input.supplierUrl]) : undefined,
    }),
    externalReferences: references([
      [input.homepage, Enums.ExternalReferenceType.Website],
      [input.repository, Enums.ExternalReferenceType.VCS],
    ]),
  });
  const download = new Models.ExternalReference(input.downloadUrl, Enums.ExternalReferenceType.Distribution);
  download.hashes.set(Enums.HashAlgorithm['SHA-256'], hex);
  main.externalReferences.add(download);
  main.hashes.set(Enums.HashAlgorithm['SHA-256'], hex);
  if (license) main.licenses.add(license);
  for (const p of moduleProperties(input.analysis)) main.properties.add(p);
  return main;
}

/**
 * An SPDX id becomes {license: {id}}, an expression {expression}; anything else
 * is refused, never turned into a free-text named license.
 */
function sbomLicense(value: string, problems: FieldProblem[]): Models.License | null {
  try {
    return licenseFactory.makeSpdxLicense(value);
  } catch {
    // not a single known id: try an expression
  }
  try {
    return licenseFactory.makeExpression(value);
  } catch {
    problems.push(licenseProblem('license', value) ?? { field: 'license', message: `${JSON.stringify(value)} is not an SPDX license` });
    return null;
  }
}

/**
 * What the analysis says about the module, as namespaced properties; the
 * toolchain too (it built the module, not the SBOM). Within the report's
 * bounds even for a report stored before reports were bounded.
 */
function moduleProperties(report: AnalysisReport | null): Models.Property[] {
  const p = (name: string, value: string | number | boolean): Models.Property =>
    new Models.Property(`${PROPERTY_PREFIX}${name}`, shorten(String(value), 2 * REPORT_LIMITS.maxStringLength + 1));
  if (report === null) return [p('analysis', 'unavailable')];
  const out = [p('module:kind', report.kind), p('module:binary-version', report.binaryVersion)];
  const proxy = report.proxyWasm;
  if (proxy) {
    if (proxy.abiVersion !== null) out.push(p('proxy-wasm:abi-version', proxy.abiVersion));
    out.push(p('envoy:loads', proxy.envoy.loads));
    for (const type of proxy.filterTypes) out.push(p('proxy-wasm:filter-type', type));
  }
  for (const capability of report.capabilities) out.push(p('capability', capability.id));
  const producers = report.producers;
  if (producers) {
    const field = { language: producers.language, 'processed-by': producers.processedBy, sdk: producers.sdk };
    for (const [name, values] of Object.entries(field)) {
      for (const v of values.slice(0, REPORT_LIMITS.maxProducerValues)) out.push(p(`producers:${name}`, v.version ? `${v.name} ${v.version}` : v.name));
    }
  }
  // The analysis left something out: so may these properties.
  if (report.truncated) out.push(p('analysis:truncated', true));
  return out;
}

function declaredProperties(declared: DeclaredDependencies | null): Models.Property[] {
  const p = (name: string, value: string): Models.Property => new Models.Property(`${PROPERTY_PREFIX}${name}`, value);
  if (declared === null) return [p('declared-dependencies', 'none')];
  return [
    ...declared.files.map((f) => p('declared-dependencies:file', f)),
    ...declared.local.map((l) => p('declared-dependencies:local-package', l)),
  ];
}

interface Composition {
  aggregate: 'unknown' | 'incomplete';
  assemblies?: string[];
  dependencies: string[];
}

/**
 * Nothing declared: what the module contains and depends on is unknown.
 * Declared: incomplete, since the publisher's file is not checked against the
 * bytes and never lists the language runtime compiled in. Packages whose file
 * records no graph (go.mod, go.sum, purl lists) have unknown dependencies of
 * their own, not none (an empty dependsOn would claim none).
 */
function sbomCompositions(mainRef: string, declared: boolean, graphUnknown: string[]): Composition[] {
  const out: Composition[] = declared
    ? [{ aggregate: 'incomplete', dependencies: [mainRef] }]
    : [{ aggregate: 'unknown', assemblies: [mainRef], dependencies: [mainRef] }];
  if (graphUnknown.length > 0) out.push({ aggregate: 'unknown', dependencies: graphUnknown });
  return out;
}

type NormalizedBom = ReturnType<Serialize.JSON.Normalize.BomNormalizer['normalize']> & { compositions?: Composition[] };

/** The library does not model compositions: add them after `dependencies`, where the schema lists them. */
function withCompositions(normalized: NormalizedBom, compositions: Composition[]): NormalizedBom {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(normalized)) {
    out[key] = value;
    if (key === 'dependencies') out.compositions = compositions;
  }
  if (!('compositions' in out)) out.compositions = compositions;
  return out as unknown as NormalizedBom;
}

type XmlElement = Serialize.XML.Types.SimpleXml.Element;

function withXmlCompositions(root: XmlElement, compositions: Composition[]): XmlElement {
  const refs = (list: string[], element: string): XmlElement[] => list.map((ref) => ({ type: 'element', name: element, attributes: { ref } }));
  const element: XmlElement = {
    type: 'element',
    name: 'compositions',
    children: compositions.map((c) => ({
      type: 'element',
      name: 'composition',
      children: [
        { type: 'element', name: 'aggregate', children: c.aggregate },
        ...(c.assemblies ? [{ type: 'element' as const, name: 'assemblies', children: refs(c.assemblies, 'assembly') }] : []),
        { type: 'element', name: 'dependencies', children: refs(c.dependencies, 'dependency') },
      ],
    })),
  };
  const children = [...((root.children ?? []) as Iterable<XmlElement>)];
  // XSD order: metadata, components, services, externalReferences, dependencies, compositions, …
  const after = ['dependencies', 'externalReferences', 'services', 'components', 'metadata']
    .map((name) => children.findIndex((c) => c.type === 'element' && c.name === name))
    .find((index) => index >= 0);
  children.splice(after === undefined ? 0 : after + 1, 0, element);
  return { ...root, children };
}

function references(list: [string | null | undefined, Enums.ExternalReferenceType][]): Models.ExternalReferenceRepository {
  const repo = new Models.ExternalReferenceRepository();
  for (const [url, type] of list) if (url) repo.add(new Models.ExternalReference(url, type));
  return repo;
}

function uuidV5(namespace: string, name: string): string {
  const hash = createHash('sha1').update(Buffer.from(namespace.replace(/-/g, ''), 'hex')).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function inputProblems(input: SbomInput): FieldProblem[] {
  const problems: (FieldProblem | null)[] = [
    nameProblem('namespace', input.namespace),
    nameProblem('plugin', input.plugin),
    versionProblem('version', input.version),
    digestProblem('digest', input.digest),
  ];
  if (!(input.publishedAt instanceof Date) || Number.isNaN(input.publishedAt.getTime())) {
    problems.push({ field: 'publishedAt', message: 'must be a valid Date (the publish time)' });
  }
  const urls: [string, string | null | undefined][] = [
    ['homepage', input.homepage],
    ['repository', input.repository],
    ['downloadUrl', input.downloadUrl],
    ['supplierUrl', input.supplierUrl],
    ['registry.url', input.registry.url],
  ];
  for (const [field, value] of urls) {
    if (value === null || value === undefined || (value === '' && field !== 'downloadUrl')) continue;
    if (!URL.canParse(value)) problems.push({ field, message: `${JSON.stringify(value)} must be an absolute URL` });
  }
  if (!input.registry.name || !input.registry.version) problems.push({ field: 'registry', message: 'needs a name and a version' });
  if (input.oci) {
    problems.push(digestProblem('oci.manifestDigest', input.oci.manifestDigest));
    if (!/^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)+$/.test(input.oci.repository)) {
      problems.push({ field: 'oci.repository', message: `${JSON.stringify(input.oci.repository)} must be a registry host and repository path, without scheme, tag or digest` });
    }
  }
  return problems.filter((p): p is FieldProblem => p !== null);
}
