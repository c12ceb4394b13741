import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document } from 'yaml';
import { invalidInput, jsonTextDepth, RegistryError } from '../../domain/index.js';

/** Which kind of host configuration a reference was found in. */
export type HostKind = 'envoy' | 'istio' | 'envoy-gateway' | 'higress';

/** One file of deployed configuration, as sent. */
export interface DeploymentFile {
  name: string;
  text: string;
}

export type ModuleSource =
  | { kind: 'http'; url: string }
  | { kind: 'oci'; url: string; registryHost: string; repository: string; tag: string | null; digest: string | null }
  | { kind: 'file'; path: string };

/** The plugin configuration deployed beside the module, when there is one. */
export type DeployedConfiguration = { present: false } | { present: true; value: unknown; problem: string | null };

/** A Wasm module the deployed configuration loads. */
export interface ModuleReference {
  file: string;
  /** 0-based YAML document of the file. */
  document: number;
  /** 1-based line of the reference in the file (for SARIF regions). */
  line: number;
  /** JSON Pointer of the reference inside its document. */
  path: string;
  host: HostKind;
  /** The resource's name (metadata.name, Envoy Gateway's wasm[].name) or the Envoy plugin's name or root id. */
  name: string;
  source: ModuleSource;
  /** The sha256 the configuration gives: lowercase hex when well-formed, the raw text otherwise; null when absent. */
  sha256: string | null;
  configuration: DeployedConfiguration;
  rootId: string | null;
  vmId: string | null;
}

/** A file or document that could not be read; the scan goes on with the others. */
export interface ScanInputProblem {
  file: string;
  document: number | null;
  message: string;
}

export const SCAN_INPUT_LIMITS = {
  files: 20,
  totalBytes: 1_048_576,
  documents: 200,
  depth: 64,
  yamlAliases: 100,
  references: 500,
  configurationBytes: 65_536,
  /** Objects and arrays walked per document: bounds the walk whatever the shape. */
  nodes: 200_000,
} as const;
export type ScanInputLimits = { [K in keyof typeof SCAN_INPUT_LIMITS]: number };

type Json = Record<string, unknown>;
type Token = string | number;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
/** Envoy's JSON takes both proto names and lowerCamelCase. */
const field = (object: Json, name: string): unknown => object[name] ?? object[name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())];
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * Every Wasm module the given configuration loads, found in Envoy bootstraps,
 * listeners and HCM fragments (YAML or JSON), Istio and Higress `WasmPlugin`s
 * and Envoy Gateway `EnvoyExtensionPolicy`s. Bounded throughout: the caller's
 * input size, documents, aliases, nesting and the walk; a document that
 * breaks a bound becomes a problem, not an error.
 */
export function findModuleReferences(
  files: readonly DeploymentFile[],
  limits: ScanInputLimits = SCAN_INPUT_LIMITS,
): { references: ModuleReference[]; problems: ScanInputProblem[]; truncated: boolean } {
  assertScanInputSize(files, limits);
  const references: ModuleReference[] = [];
  const problems: ScanInputProblem[] = [];
  let truncated = false;
  let documentsSeen = 0;
  for (const file of files) {
    // JSON is YAML, but its depth can be counted before a parser sees it.
    if (/^\s*[[{]/.test(file.text) && jsonTextDepth(file.text) > limits.depth) {
      problems.push({ file: file.name, document: null, message: `nests deeper than ${limits.depth} levels` });
      continue;
    }
    const lines = new LineCounter();
    let documents: Document.Parsed[];
    try {
      documents = parseAllDocuments(file.text, { schema: 'core', prettyErrors: false, logLevel: 'silent', lineCounter: lines }) as Document.Parsed[];
    } catch (error) {
      problems.push({ file: file.name, document: null, message: parseFailure(error, limits) });
      continue;
    }
    if (!Array.isArray(documents)) documents = [];
    for (const [index, document] of documents.entries()) {
      if (++documentsSeen > limits.documents) {
        problems.push({ file: file.name, document: index, message: `more than ${limits.documents} documents in all: the rest were not read` });
        truncated = true;
        break;
      }
      if (document.errors.length > 0) {
        // The composer recurses: nesting too deep for it is reported as a parse error.
        const message = document.errors[0]!.message;
        problems.push({ file: file.name, document: index, message: /call stack/i.test(message) ? `nests deeper than ${limits.depth} levels` : `is not valid YAML: ${message.split('\n')[0]}` });
        continue;
      }
      let value: unknown;
      try {
        value = document.toJS({ maxAliasCount: limits.yamlAliases });
      } catch (error) {
        problems.push({ file: file.name, document: index, message: parseFailure(error, limits) });
        continue;
      }
      const found = referencesIn(value, limits);
      if (typeof found === 'string') {
        problems.push({ file: file.name, document: index, message: found });
        continue;
      }
      for (const candidate of found) {
        if (references.length >= limits.references) {
          truncated = true;
          break;
        }
        references.push({ file: file.name, document: index, line: lineOf(document, lines, candidate.path), path: pointer(candidate.path), ...candidate.reference });
      }
    }
    if (truncated) break;
  }
  return { references, problems, truncated };
}

/** Refuses more files (400) or more bytes (413) than a scan reads: checked before anything is parsed. */
export function assertScanInputSize(files: readonly DeploymentFile[], limits: ScanInputLimits = SCAN_INPUT_LIMITS): void {
  if (files.length === 0 || files.length > limits.files) {
    throw invalidInput([{ field: 'files', message: `must hold 1 to ${limits.files} files (got ${files.length})` }]);
  }
  const total = files.reduce((sum, f) => sum + Buffer.byteLength(f.text), 0);
  if (total > limits.totalBytes) {
    throw new RegistryError(413, 'payload_too_large', 'Payload too large', `the configuration is ${total} bytes; a scan takes at most ${limits.totalBytes} bytes in all`);
  }
}

type Candidate = { path: Token[]; reference: Omit<ModuleReference, 'file' | 'document' | 'line' | 'path'> };

/**
 * The references in one document, or why it was not walked. Every document is
 * walked for its bounds, resources too: their plugin configuration goes on to
 * the schema check as it is.
 */
function referencesIn(root: unknown, limits: ScanInputLimits): Candidate[] | string {
  const kind = isObject(root) ? resourceKind(root) : null;
  const found: Candidate[] = [];
  const stack: { value: unknown; path: Token[] }[] = [{ value: root, path: [] }];
  let walked = 0;
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (++walked > limits.nodes) return `holds more than ${limits.nodes} objects and arrays`;
    // The root is level 1, as jsonTextDepth counts a JSON file.
    if (path.length + 1 > limits.depth) return `nests deeper than ${limits.depth} levels`;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i] });
      continue;
    }
    const object = value as Json;
    const envoy = kind === null ? envoyPlugin(object, limits) : null;
    if (envoy !== null) found.push({ path: [...path, ...envoy.at], reference: envoy.reference });
    for (const key of Object.keys(object).reverse()) stack.push({ value: object[key], path: [...path, key] });
  }
  return kind === null ? found : resourceReferences(root as Json, kind, limits);
}

/** An Envoy PluginConfig (HTTP or network filter, WasmService): an object whose vm_config has code. */
function envoyPlugin(plugin: Json, limits: ScanInputLimits): { at: Token[]; reference: Candidate['reference'] } | null {
  const vmConfig = field(plugin, 'vm_config');
  if (!isObject(vmConfig)) return null;
  const code = vmConfig.code;
  if (!isObject(code)) return null;
  const vmKey = 'vm_config' in plugin ? 'vm_config' : 'vmConfig';
  const rootId = text(field(plugin, 'root_id'));
  const name = text(plugin.name) ?? rootId ?? '(unnamed Wasm filter)';
  const common = { host: 'envoy' as const, name, rootId, vmId: text(field(vmConfig, 'vm_id')), configuration: envoyConfiguration(plugin.configuration, limits) };
  const remote = code.remote;
  if (isObject(remote)) {
    const uri = field(remote, 'http_uri');
    const url = isObject(uri) ? (text(uri.uri) ?? '') : '';
    return { at: [vmKey, 'code', 'remote'], reference: { ...common, source: { kind: 'http', url }, sha256: sha256Of(remote.sha256) } };
  }
  const local = code.local;
  if (isObject(local)) {
    const path = text(local.filename) ?? (field(local, 'inline_bytes') !== undefined || field(local, 'inline_string') !== undefined ? '(inline)' : '');
    return { at: [vmKey, 'code', 'local'], reference: { ...common, source: { kind: 'file', path }, sha256: null } };
  }
  return null;
}

/** Envoy's `configuration` Any: a StringValue holding JSON (usually), or a Struct. */
function envoyConfiguration(any: unknown, limits: ScanInputLimits): DeployedConfiguration {
  if (any === undefined || any === null) return { present: false };
  if (!isObject(any)) return { present: true, value: any, problem: 'is not a google.protobuf.Any (an object with "@type")' };
  const type = text(any['@type']) ?? '';
  if (type.endsWith('google.protobuf.StringValue')) {
    const value = any.value;
    if (typeof value !== 'string') return { present: true, value, problem: 'a StringValue whose value is not a string' };
    return configurationText(value, limits);
  }
  if (type.endsWith('google.protobuf.Struct')) {
    const { '@type': _type, ...rest } = any;
    return { present: true, value: 'value' in rest ? rest.value : rest, problem: null };
  }
  return { present: true, value: any, problem: `an Any of type ${JSON.stringify(type)}; this scan reads StringValue (JSON text) and Struct` };
}

/** Plugin configuration given as JSON text: parsed, bounded. */
function configurationText(value: string, limits: ScanInputLimits): DeployedConfiguration {
  if (Buffer.byteLength(value) > limits.configurationBytes) return { present: true, value: null, problem: `is longer than ${limits.configurationBytes} bytes` };
  if (value.trim() === '') return { present: true, value: '', problem: null };
  if (jsonTextDepth(value) > limits.depth) return { present: true, value: null, problem: `nests deeper than ${limits.depth} levels` };
  try {
    return { present: true, value: JSON.parse(value) as unknown, problem: null };
  } catch (error) {
    return { present: true, value, problem: `is not JSON: ${(error as Error).message}` };
  }
}

type ResourceKind = 'istio' | 'higress' | 'envoy-gateway';

function resourceKind(root: Json): ResourceKind | null {
  const apiVersion = text(root.apiVersion) ?? '';
  if (root.kind === 'WasmPlugin' && apiVersion.startsWith('extensions.istio.io/')) return 'istio';
  if (root.kind === 'WasmPlugin' && apiVersion.startsWith('extensions.higress.io/')) return 'higress';
  if (root.kind === 'EnvoyExtensionPolicy' && apiVersion.startsWith('gateway.envoyproxy.io/')) return 'envoy-gateway';
  return null;
}

function resourceReferences(root: Json, kind: ResourceKind, limits: ScanInputLimits): Candidate[] | string {
  const metadata = isObject(root.metadata) ? root.metadata : {};
  const resourceName = text(metadata.name) ?? `(unnamed ${String(root.kind)})`;
  const spec = isObject(root.spec) ? root.spec : {};
  const objectConfiguration = (value: unknown): DeployedConfiguration => {
    if (value === undefined || value === null) return { present: false };
    const size = Buffer.byteLength(JSON.stringify(value) ?? '');
    return { present: true, value, problem: size > limits.configurationBytes ? `is longer than ${limits.configurationBytes} bytes` : null };
  };
  if (kind === 'istio' || kind === 'higress') {
    const url = text(spec.url) ?? '';
    let configuration = objectConfiguration(kind === 'istio' ? spec.pluginConfig : spec.defaultConfig);
    // Higress may configure only per route: the first rule's configuration stands for the plugin's.
    if (kind === 'higress' && !configuration.present && Array.isArray(spec.matchRules)) {
      const rule = spec.matchRules.find((r): r is Json => isObject(r) && r.config !== undefined);
      if (rule !== undefined) configuration = objectConfiguration(rule.config);
    }
    return [
      {
        path: ['spec', 'url'],
        reference: { host: kind, name: resourceName, source: sourceOf(url, true), sha256: sha256Of(spec.sha256), configuration, rootId: text(spec.pluginName), vmId: null },
      },
    ];
  }
  const wasm = Array.isArray(spec.wasm) ? spec.wasm : [];
  return wasm.flatMap((entry, i): Candidate[] => {
    if (!isObject(entry) || !isObject(entry.code)) return [];
    const code = entry.code;
    const image = code.type === 'Image' || (code.type === undefined && isObject(code.image));
    const location = image ? code.image : code.http;
    if (!isObject(location)) return [];
    const url = text(location.url) ?? '';
    return [
      {
        path: ['spec', 'wasm', i],
        reference: {
          host: 'envoy-gateway',
          name: text(entry.name) ?? `${resourceName}[${i}]`,
          source: image ? ociSource(url) : sourceOf(url, false),
          sha256: sha256Of(location.sha256),
          configuration: objectConfiguration(entry.config),
          rootId: text(entry.rootID),
          vmId: null,
        },
      },
    ];
  });
}

/** A module URL: http(s), file, oci:// or (where the host reads it so) a bare image reference. */
function sourceOf(url: string, bareIsImage: boolean): ModuleSource {
  if (/^https?:\/\//i.test(url)) return { kind: 'http', url };
  if (/^file:\/\//i.test(url)) return { kind: 'file', path: url.slice('file://'.length) };
  if (/^oci:\/\//i.test(url) || (bareIsImage && url !== '' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(url))) return ociSource(url);
  return { kind: 'http', url };
}

/** An image reference, Docker's way: a first component without a dot, colon or "localhost" is on docker.io. */
export function ociSource(url: string): Extract<ModuleSource, { kind: 'oci' }> {
  let rest = url.replace(/^oci:\/\//i, '');
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | null = null;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  const hasHost = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  return { kind: 'oci', url, registryHost: hasHost ? first : 'docker.io', repository: hasHost ? rest.slice(slash + 1) : rest, tag, digest };
}

function sha256Of(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  const raw = String(value);
  const hex = raw.replace(/^sha256:/i, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : raw;
}

function parseFailure(error: unknown, limits: ScanInputLimits): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof RangeError || /call stack/i.test(message)) return `nests deeper than ${limits.depth} levels`;
  if (/alias/i.test(message)) return `uses more than ${limits.yamlAliases} aliases (an alias bomb is refused)`;
  return `could not be read: ${message.split('\n')[0]}`;
}

function pointer(path: readonly Token[]): string {
  return path.map((t) => `/${String(t).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

function lineOf(document: Document.Parsed, lines: LineCounter, path: readonly Token[]): number {
  // The line of the key (or the list item) that holds the reference, where a reader looks for it.
  let node: unknown = document.contents;
  let start: number | null = null;
  for (const token of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === token);
      if (pair === undefined) break;
      start = (pair.key as { range?: [number, number, number] } | null)?.range?.[0] ?? start;
      node = pair.value;
    } else if (isSeq(node)) {
      node = node.items[token as number];
      start = (node as { range?: [number, number, number] } | null)?.range?.[0] ?? start;
    } else break;
  }
  return start === null ? 1 : lines.linePos(start).line;
}
