import { Document } from 'yaml';
import { envoyHeader, type EnvoyBuildOptions, type EnvoyConfig } from './envoy-config.js';
import { istioHeader, type IstioBuildOptions, type IstioDocument, type WasmPlugin } from './istio-config.js';
import { hexOf, type ConfigurationNote, type FilterType, type HostSupport, type ProxyConfigInput } from './proxy-config.js';

/**
 * The two ways a configuration is given. YAML is for pasting: the
 * configuration alone, with what a reader must know (compatibility, warnings,
 * which digest is which, where to paste) in comments. JSON is for programs,
 * which cannot read comments: the same facts as fields beside the
 * configuration (`envoy` or `istio`, each usable as it is).
 */

export const YAML_CONTENT_TYPE = 'application/yaml';
export const JSON_CONTENT_TYPE = 'application/json';

export interface ConfigSummary {
  plugin: { namespace: string; name: string; version: string };
  /** The same shape as VersionView.pinned: the module's pinned URL and SHA-256, and the OCI reference with the manifest digest. */
  pinned: {
    url: string;
    sha256: string;
    oci: { reference: string; url: string; manifestDigest: string; sha256: string } | null;
  };
  compatibility: { abiVersion: string | null; filterTypes: FilterType[]; envoyLoads: boolean; hosts: HostSupport[] };
  filter: FilterType;
  /** The embedded configuration's origin and check; null when none is embedded. */
  configuration: ConfigurationNote | null;
  warnings: string[];
}

export interface EnvoyConfigJson extends ConfigSummary {
  envoy: EnvoyConfig;
}

export interface IstioConfigJson extends ConfigSummary {
  /** A Kubernetes List: `jq .istio | kubectl apply -f -` applies it (apply one of two items; see the YAML form). */
  istio: { apiVersion: 'v1'; kind: 'List'; items: WasmPlugin[] };
}

export function summary(input: ProxyConfigInput, filter: FilterType, warnings: readonly string[]): ConfigSummary {
  return {
    // The API's field keeps its name for clients: `name` is the plugin.
    plugin: { namespace: input.coordinates.namespace, name: input.coordinates.plugin, version: input.coordinates.version },
    pinned: {
      url: input.module.url,
      sha256: input.module.sha256,
      oci:
        input.oci === null
          ? null
          : { reference: input.oci.reference, url: `oci://${input.oci.reference}`, manifestDigest: input.oci.manifestDigest, sha256: hexOf(input.oci.manifestDigest) },
    },
    compatibility: {
      abiVersion: input.abi.abiVersion,
      filterTypes: [...input.abi.filterTypes],
      envoyLoads: input.abi.envoy.loads,
      hosts: input.abi.compatibility.map(({ host, versions, reason }) => ({ host, versions, reason })),
    },
    filter,
    configuration: input.configuration,
    warnings: [...warnings],
  };
}

export function envoyJson(input: ProxyConfigInput, options: EnvoyBuildOptions, config: EnvoyConfig, warnings: readonly string[]): EnvoyConfigJson {
  return { ...summary(input, options.filter, warnings), envoy: config };
}

export function istioJson(input: ProxyConfigInput, options: IstioBuildOptions, documents: readonly IstioDocument[], warnings: readonly string[]): IstioConfigJson {
  return { ...summary(input, options.filter, warnings), istio: { apiVersion: 'v1', kind: 'List', items: documents.map((d) => d.plugin) } };
}

export function envoyYaml(input: ProxyConfigInput, options: EnvoyBuildOptions, config: EnvoyConfig, warnings: readonly string[]): string {
  return yamlDocument(config, envoyHeader(input, options, warnings));
}

/** One YAML document per WasmPlugin, separated by `---`; the header above the first. */
export function istioYaml(input: ProxyConfigInput, options: IstioBuildOptions, documents: readonly IstioDocument[], warnings: readonly string[]): string {
  const header = istioHeader(input, options, warnings);
  return documents
    .map((document, i) => yamlDocument(document.plugin, i === 0 ? [...header, '', ...document.comment] : document.comment))
    .join('---\n');
}

function yamlDocument(value: unknown, comment: readonly string[]): string {
  // YAML 1.1 rules for quoting, because Kubernetes (go-yaml) reads `on`, `yes` and `no` as booleans.
  const document = new Document(value, { version: '1.1' });
  document.commentBefore = comment.map((line) => (line === '' ? '' : ` ${singleLine(line)}`)).join('\n');
  return document.toString({ lineWidth: 0 });
}

/** Comments are one line each: a newline in a yank reason must not end the comment. */
function singleLine(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]+/g, ' ');
}
