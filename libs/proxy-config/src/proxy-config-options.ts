import { ISTIO_PHASES, type IstioPhase } from '../../contract/index.js';
import { invalidInput, type FieldProblem } from '../../domain/index.js';
import { formatCoordinates, type VersionCoordinates } from '../../versions/index.js';
import { type AbiSummary, type FilterType } from './proxy-config.js';

/**
 * The caller's choices, read from the query string. Each bad value is a
 * FieldProblem naming `query.<option>` and what is allowed; all of them are
 * reported at once. Unknown options are refused too, so that a misspelt one
 * (`failOpen` for `fail_open`) does not silently give the default.
 */

export type OutputFormat = 'yaml' | 'json';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['yaml', 'json'];
export const FILTER_TYPES: readonly FilterType[] = ['http', 'network'];

/**
 * The runtimes Envoy registers under the `envoy.wasm.runtime` extension
 * category (api/envoy/extensions/wasm/v3/wasm.proto, VmConfig.runtime). V8 is
 * the one in Envoy's official builds and Istio's proxy. `null` is left out:
 * it runs only code compiled into Envoy, never a downloaded module; WAVM was
 * removed from Envoy.
 */
export const ENVOY_RUNTIMES = ['envoy.wasm.runtime.v8', 'envoy.wasm.runtime.wamr', 'envoy.wasm.runtime.wasmtime'] as const;
export type EnvoyRuntime = (typeof ENVOY_RUNTIMES)[number];
export const DEFAULT_RUNTIME: EnvoyRuntime = 'envoy.wasm.runtime.v8';

export { ISTIO_PHASES, type IstioPhase };

/** Which of the two WasmPlugin documents to give. */
export const ISTIO_SOURCES = ['https', 'oci'] as const;
export type IstioSource = (typeof ISTIO_SOURCES)[number];

export const DEFAULT_CLUSTER = 'wasm_registry';
export const DEFAULT_TIMEOUT = '30s';
/** The plugin configuration travels in the query string, whose length Node limits anyway (16 KiB of headers). */
export const MAX_CONFIGURATION_BYTES = 8192;
const MAX_ID_LENGTH = 256;
const MAX_TIMEOUT_MS = 3_600_000;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** The caller's plugin configuration: its JSON text as given (so nothing is lost) and its parsed value. */
export interface PluginConfiguration {
  json: string;
  value: unknown;
}

interface CommonOptions {
  format: OutputFormat;
  /** Null: decided from the analysis (resolveFilter). */
  filter: FilterType | null;
  rootId: string | null;
  failOpen: boolean;
  configuration: PluginConfiguration | null;
  /** The name of one of the version's examples to embed instead of `configuration`. */
  example: string | null;
}

export interface EnvoyOptions extends CommonOptions {
  runtime: EnvoyRuntime;
  vmId: string | null;
  cluster: string;
  /** A google.protobuf.Duration in its JSON form, e.g. "30s" or "1.5s". */
  timeout: string;
}

export interface IstioOptions extends CommonOptions {
  phase: IstioPhase | null;
  priority: number | null;
  /** Kubernetes metadata.namespace of the WasmPlugin resources. */
  namespace: string | null;
  /** selector.matchLabels. */
  selector: Record<string, string> | null;
  /** Null: both documents when the version is served over OCI, else the https one. */
  source: IstioSource | null;
}

export const ENVOY_QUERY_OPTIONS = ['format', 'filter', 'runtime', 'root_id', 'vm_id', 'fail_open', 'configuration', 'example', 'cluster', 'timeout'] as const;
export const ISTIO_QUERY_OPTIONS = ['format', 'filter', 'root_id', 'fail_open', 'configuration', 'example', 'phase', 'priority', 'namespace', 'selector', 'source'] as const;

type Query = Readonly<Record<string, unknown>>;

export function parseEnvoyQuery(query: Query, accept: string | undefined): EnvoyOptions {
  const read = new QueryReader(query, ENVOY_QUERY_OPTIONS);
  const options: EnvoyOptions = {
    ...commonOptions(read, accept),
    runtime: read.optional('runtime', parseRuntime) ?? DEFAULT_RUNTIME,
    vmId: read.optional('vm_id', parseId),
    cluster: read.optional('cluster', parseClusterName) ?? DEFAULT_CLUSTER,
    timeout: read.optional('timeout', parseTimeout) ?? DEFAULT_TIMEOUT,
  };
  read.done();
  return options;
}

export function parseIstioQuery(query: Query, accept: string | undefined): IstioOptions {
  const read = new QueryReader(query, ISTIO_QUERY_OPTIONS);
  const options: IstioOptions = {
    ...commonOptions(read, accept),
    phase: read.optional('phase', oneOf(ISTIO_PHASES)),
    priority: read.optional('priority', parsePriority),
    namespace: read.optional('namespace', parseKubernetesNamespace),
    selector: read.optional('selector', parseSelector),
    source: read.optional('source', oneOf(ISTIO_SOURCES)),
  };
  // Istio's pluginConfig is a google.protobuf.Struct: only a JSON object fits.
  if (options.configuration !== null && !isPlainObject(options.configuration.value)) {
    read.problem('configuration', 'must be a JSON object for Istio: WasmPlugin.spec.pluginConfig is a google.protobuf.Struct');
  }
  read.done();
  return options;
}

/**
 * The filter chain to configure: the caller's choice if the module fits it,
 * else the one its callbacks fit (network only for a module with TCP
 * callbacks and no HTTP ones). A choice the module cannot serve is a 400
 * that says why.
 */
export function resolveFilter(requested: FilterType | null, abi: AbiSummary, version: VersionCoordinates): FilterType {
  const fits = abi.filterTypes;
  if (requested === null) return fits.includes('http') || fits.length === 0 ? 'http' : 'network';
  if (fits.length === 0 || fits.includes(requested)) return requested;
  const message =
    requested === 'network'
      ? `${formatCoordinates(version)} exports HTTP callbacks only (${abi.callbacks.http.join(', ')}) and no TCP callbacks ` +
        '(proxy_on_new_connection, proxy_on_downstream_data …): a network filter would never call it. Use filter=http.'
      : `${formatCoordinates(version)} exports TCP callbacks only (${abi.callbacks.tcp.join(', ')}) and no HTTP callbacks ` +
        '(proxy_on_request_headers …): an HTTP filter would never call it. Use filter=network.';
  throw invalidInput([{ field: 'query.filter', message }]);
}

function commonOptions(read: QueryReader, accept: string | undefined): CommonOptions {
  if (read.has('configuration') && read.has('example')) read.problem('example', 'give a configuration or an example, not both');
  return {
    format: read.optional('format', oneOf(OUTPUT_FORMATS)) ?? formatFromAccept(accept),
    filter: read.optional('filter', oneOf(FILTER_TYPES)),
    rootId: read.optional('root_id', parseId),
    failOpen: read.optional('fail_open', parseBoolean) ?? false,
    configuration: read.optional('configuration', parseConfiguration),
    example: read.optional('example', parseExampleName),
  };
}

/** YAML unless the client asks for JSON (and not YAML) in Accept. */
export function formatFromAccept(accept: string | undefined): OutputFormat {
  const value = (accept ?? '').toLowerCase();
  return value.includes('application/json') && !value.includes('yaml') ? 'json' : 'yaml';
}

/** A parser returns the value, or the sentence that completes "query.<name> …". */
type Parse<T> = (raw: string) => { value: T } | { problem: string };

class QueryReader {
  private readonly problems: FieldProblem[] = [];

  constructor(
    private readonly query: Query,
    private readonly known: readonly string[],
  ) {
    for (const name of Object.keys(query)) {
      if (!known.includes(name)) this.problem(name, `is not an option here; the options are ${known.join(', ')}`);
    }
  }

  optional<T>(name: string, parse: Parse<T>): T | null {
    const raw = this.query[name];
    if (raw === undefined) return null;
    if (typeof raw !== 'string') {
      this.problem(name, 'is given more than once; give it once');
      return null;
    }
    const result = parse(raw);
    if ('problem' in result) {
      this.problem(name, result.problem);
      return null;
    }
    return result.value;
  }

  has(name: string): boolean {
    return this.query[name] !== undefined;
  }

  problem(name: string, message: string): void {
    this.problems.push({ field: `query.${name}`, message });
  }

  done(): void {
    if (this.problems.length > 0) throw invalidInput(this.problems);
  }
}

const quote = (raw: string): string => JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw);

function oneOf<T extends string>(allowed: readonly T[]): Parse<T> {
  return (raw) => ((allowed as readonly string[]).includes(raw) ? { value: raw as T } : { problem: `${quote(raw)} must be one of ${allowed.join(', ')}` });
}

function parseBoolean(raw: string): { value: boolean } | { problem: string } {
  if (raw === 'true' || raw === 'false') return { value: raw === 'true' };
  return { problem: `${quote(raw)} must be true or false` };
}

function parseRuntime(raw: string): { value: EnvoyRuntime } | { problem: string } {
  const full = raw.startsWith('envoy.wasm.runtime.') ? raw : `envoy.wasm.runtime.${raw}`;
  if ((ENVOY_RUNTIMES as readonly string[]).includes(full)) return { value: full as EnvoyRuntime };
  const why =
    full === 'envoy.wasm.runtime.null'
      ? ' (the null runtime runs only plugins compiled into Envoy, never a downloaded module)'
      : full === 'envoy.wasm.runtime.wavm'
        ? ' (Envoy no longer ships WAVM)'
        : '';
  return { problem: `${quote(raw)} must be one of ${ENVOY_RUNTIMES.join(', ')} (or v8, wamr, wasmtime)${why}` };
}

/** root_id and vm_id: free text to Envoy, but printable and bounded. */
function parseId(raw: string): { value: string } | { problem: string } {
  if (raw.length === 0 || raw.length > MAX_ID_LENGTH || /[\p{Cc}]/u.test(raw)) {
    return { problem: `must be 1-${MAX_ID_LENGTH} printable characters` };
  }
  return { value: raw };
}

function parseExampleName(raw: string): { value: string } | { problem: string } {
  return /^[a-z0-9][a-z0-9._-]{0,63}$/.test(raw) ? { value: raw } : { problem: `${quote(raw)} is not an example name (lowercase letters, digits, ".", "_" and "-", up to 64)` };
}

function parseClusterName(raw: string): { value: string } | { problem: string } {
  return /^[A-Za-z0-9_.:-]{1,128}$/.test(raw)
    ? { value: raw }
    : { problem: `${quote(raw)} must be 1-128 letters, digits, "_", ".", ":" or "-" (the name of the cluster Envoy fetches the module through)` };
}

/** "30s", "1.5s" or "500ms", from 1 ms to 1 hour; written as a Duration's JSON form (seconds). */
function parseTimeout(raw: string): { value: string } | { problem: string } {
  const match = /^(\d{1,7})(?:\.(\d{1,3}))?(ms|s)$/.exec(raw);
  const problem = { problem: `${quote(raw)} must be a duration from 1ms to 3600s, such as 30s, 2.5s or 500ms` };
  if (match === null) return problem;
  const [, whole, fraction = '', unit] = match;
  if (unit === 'ms' && fraction !== '') return problem;
  const ms = unit === 'ms' ? Number(whole) : Number(whole) * 1000 + Number(fraction.padEnd(3, '0'));
  if (ms < 1 || ms > MAX_TIMEOUT_MS) return problem;
  return { value: `${ms / 1000}s` };
}

function parseConfiguration(raw: string): { value: PluginConfiguration } | { problem: string } {
  const bytes = Buffer.byteLength(raw, 'utf8');
  if (bytes > MAX_CONFIGURATION_BYTES) return { problem: `is ${bytes} bytes; at most ${MAX_CONFIGURATION_BYTES} bytes of JSON are accepted` };
  try {
    return { value: { json: raw.trim(), value: JSON.parse(raw) as unknown } };
  } catch (error) {
    return { problem: `must be JSON (the plugin's configuration, e.g. {"header":"x-id"}): ${(error as Error).message}` };
  }
}

function parsePriority(raw: string): { value: number } | { problem: string } {
  if (/^-?\d{1,10}$/.test(raw)) {
    const value = Number(raw);
    if (value >= INT32_MIN && value <= INT32_MAX) return { value };
  }
  return { problem: `${quote(raw)} must be a whole number from ${INT32_MIN} to ${INT32_MAX} (google.protobuf.Int32Value; higher runs first within a phase)` };
}

/** A Kubernetes namespace name: an RFC 1123 label. */
function parseKubernetesNamespace(raw: string): { value: string } | { problem: string } {
  return /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(raw)
    ? { value: raw }
    : { problem: `${quote(raw)} must be a Kubernetes namespace name: at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit` };
}

const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const LABEL_PREFIX = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?)$/;

/** `app=reviews,version=v1`: Kubernetes label keys and values, as selector.matchLabels. */
function parseSelector(raw: string): { value: Record<string, string> } | { problem: string } {
  const labels: Record<string, string> = {};
  for (const pair of raw.split(',')) {
    const at = pair.indexOf('=');
    const key = at < 0 ? pair : pair.slice(0, at);
    const value = at < 0 ? null : pair.slice(at + 1);
    if (value === null || !isLabelKey(key) || !LABEL_VALUE.test(value)) {
      return {
        problem:
          `${quote(pair)} is not a label: give key=value pairs separated by commas (app=reviews,version=v1), ` +
          'keys and values as Kubernetes labels allow ([prefix/]name, name and value at most 63 letters, digits, "-", "_", ".")',
      };
    }
    if (key in labels) return { problem: `label ${quote(key)} is given twice` };
    labels[key] = value;
  }
  return { value: labels };
}

function isLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return LABEL_NAME.test(key);
  const prefix = key.slice(0, slash);
  return prefix.length <= 253 && LABEL_PREFIX.test(prefix) && LABEL_NAME.test(key.slice(slash + 1));
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
