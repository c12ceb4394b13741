import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { checkXmlWellFormed } from './xml.js';

export const SBOM_SPEC_VERSION = Spec.Version.v1dot6;

export interface SbomValidationReport {
  /** Checked against the CycloneDX 1.6 JSON schema, strictly (no unknown properties). */
  json: 'valid';
  /** Parsed as XML 1.0. */
  xmlWellFormed: true;
  /** XML schema validation needs the native libxmljs2, which is not installed: then it is 'skipped'. */
  xmlSchema: 'valid' | 'skipped';
}

export class SbomValidationError extends Error {
  constructor(
    readonly format: 'json' | 'xml',
    /** One line per problem, e.g. "/components/0/purl: must match format \"…\"". */
    readonly problems: string[],
  ) {
    super(`the generated SBOM is not valid CycloneDX ${SBOM_SPEC_VERSION} ${format.toUpperCase()}: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`);
    this.name = 'SbomValidationError';
  }
}

// Compiling the schema costs ~130 ms: once per process, then under a millisecond per SBOM.
let jsonValidator: Validation.JsonStrictValidator | null = null;
let xmlValidator: Validation.XmlValidator | 'unavailable' | null = null;

/** Longest list the schema validator sees at once (see validateSbomJson). */
const SLICE = 250;

/** Lists that grow with the number of packages and that the schema wants unique. */
const UNIQUE_LISTS = [/^\/components$/, /^\/dependencies$/, /^\/dependencies\/\d+\/dependsOn$/, /^\/compositions\/\d+\/(dependencies|assemblies)$/];

/**
 * The JSON text checked against the CycloneDX 1.6 schema; null when valid,
 * else the problems with their JSON pointers. ajv checks `uniqueItems` on
 * lists of objects pair by pair, so a 20,000-package SBOM would take minutes:
 * lists longer than SLICE are validated a slice at a time (every item still
 * passes through the schema, in its place) and their uniqueness is checked
 * here, in linear time.
 */
export async function validateSbomJson(json: string): Promise<string[] | null> {
  jsonValidator ??= new Validation.JsonStrictValidator(SBOM_SPEC_VERSION);
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (error) {
    return [`/: not JSON: ${error instanceof Error ? error.message : String(error)}`];
  }
  const passes = Math.max(1, Math.ceil(longestList(doc) / SLICE));
  const problems = new Set<string>();
  for (let pass = 0; pass < passes; pass++) {
    const part = passes === 1 ? json : JSON.stringify(slice(doc, pass));
    const errors: unknown = await jsonValidator.validate(part);
    if (errors === null) continue;
    for (const e of Array.isArray(errors) ? errors : [errors]) problems.add(describeAjvError(e, (path) => originalPath(doc, path, pass)));
  }
  if (passes > 1) for (const p of duplicateItems(doc, '')) problems.add(p);
  return problems.size === 0 ? null : [...problems];
}

function longestList(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((max: number, v) => Math.max(max, longestList(v)), value.length);
  if (value !== null && typeof value === 'object') return Object.values(value).reduce((max: number, v) => Math.max(max, longestList(v)), 0);
  return 0;
}

/** Where pass `pass` starts in a list of `length`; lists too short for it are seen whole (or their first slice) again. */
function sliceStart(pass: number, length: number): number {
  return pass * SLICE < length ? pass * SLICE : 0;
}

function slice(value: unknown, pass: number): unknown {
  if (Array.isArray(value)) {
    const items = value.length > SLICE ? value.slice(sliceStart(pass, value.length), sliceStart(pass, value.length) + SLICE) : value;
    return items.map((v) => slice(v, pass));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, slice(v, pass)]));
  }
  return value;
}

/** A JSON pointer into a slice, as a pointer into the whole document. */
function originalPath(doc: unknown, path: string, pass: number): string {
  let node: unknown = doc;
  const out: string[] = [];
  for (const raw of path.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      const index = Number(segment) + (node.length > SLICE ? sliceStart(pass, node.length) : 0);
      out.push(String(index));
      node = node[index];
    } else {
      out.push(raw);
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[segment] : undefined;
    }
  }
  return out.length === 0 ? '' : `/${out.join('/')}`;
}

function duplicateItems(value: unknown, path: string): string[] {
  const out: string[] = [];
  if (Array.isArray(value)) {
    if (value.length > SLICE && UNIQUE_LISTS.some((re) => re.test(path))) {
      const seen = new Map<string, number>();
      value.forEach((item, i) => {
        const key = JSON.stringify(item);
        const first = seen.get(key);
        if (first === undefined) seen.set(key, i);
        else out.push(`${path}: must NOT have duplicate items (items ## ${first} and ${i} are identical)`);
      });
    }
    value.forEach((item, i) => out.push(...duplicateItems(item, `${path}/${i}`)));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...duplicateItems(v, `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`));
  }
  return out;
}

/**
 * The XML text: well-formedness always; the schema only when libxmljs2 can be
 * loaded (it is native and not installed here), found out once.
 */
export async function validateSbomXml(xml: string): Promise<{ problems: string[] | null; schema: 'valid' | 'skipped' }> {
  const syntax = checkXmlWellFormed(xml);
  if (syntax !== null) return { problems: [syntax], schema: 'skipped' };
  xmlValidator ??= new Validation.XmlValidator(SBOM_SPEC_VERSION);
  if (xmlValidator === 'unavailable') return { problems: null, schema: 'skipped' };
  try {
    const errors: unknown = await xmlValidator.validate(xml);
    return { problems: errors === null ? null : [JSON.stringify(errors)], schema: 'valid' };
  } catch (error) {
    if (!(error instanceof Validation.MissingOptionalDependencyError)) throw error;
    xmlValidator = 'unavailable';
    return { problems: null, schema: 'skipped' };
  }
}

/** Throws SbomValidationError unless both serialisations pass. */
export async function assertValidSbom(json: string, xml: string): Promise<SbomValidationReport> {
  const jsonProblems = await validateSbomJson(json);
  if (jsonProblems) throw new SbomValidationError('json', jsonProblems);
  const xmlResult = await validateSbomXml(xml);
  if (xmlResult.problems) throw new SbomValidationError('xml', xmlResult.problems);
  return { json: 'valid', xmlWellFormed: true, xmlSchema: xmlResult.schema };
}

function describeAjvError(error: unknown, mapPath: (path: string) => string): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const e = error as { instancePath?: string; message?: string; params?: unknown };
  // Enum errors carry the whole SPDX list: keep a problem to one readable line.
  const params = e.params ? JSON.stringify(e.params) : '';
  return `${mapPath(e.instancePath ?? '') || '/'}: ${e.message ?? 'invalid'}${params && params.length <= 200 ? ` ${params}` : ''}`;
}
