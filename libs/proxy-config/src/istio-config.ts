import { invalidInput } from '../../domain/index.js';
import type { IstioPhase, IstioSource, PluginConfiguration } from './proxy-config-options.js';
import { formatCoordinates, type VersionCoordinates } from '../../versions/index.js';
import { abiLine, compatibilityLine, hexOf, type FilterType, type OciPin, type ProxyConfigInput } from './proxy-config.js';

/**
 * Istio WasmPlugin resources (extensions.istio.io/v1alpha1, istio/api
 * extensions/v1alpha1/wasm.proto; Kubernetes JSON names, i.e. lowerCamelCase)
 * for one version: one pulling the module over HTTPS by its pinned URL, one
 * pulling the OCI artifact. The two compare `sha256` with different things,
 * which is what users confuse: the https:// one with the SHA-256 of the module
 * bytes, the oci:// one with the digest of the OCI manifest.
 */

export const WASM_PLUGIN_API_VERSION = 'extensions.istio.io/v1alpha1';

export interface IstioBuildOptions {
  filter: FilterType;
  rootId: string | null;
  failOpen: boolean;
  configuration: PluginConfiguration | null;
  phase: IstioPhase | null;
  priority: number | null;
  namespace: string | null;
  selector: Record<string, string> | null;
  sources: readonly IstioSource[];
}

export interface WasmPlugin {
  apiVersion: typeof WASM_PLUGIN_API_VERSION;
  kind: 'WasmPlugin';
  metadata: { name: string; namespace?: string };
  spec: {
    selector?: { matchLabels: Record<string, string> };
    url: string;
    sha256: string;
    imagePullPolicy: 'IfNotPresent';
    phase?: IstioPhase;
    priority?: number;
    pluginName?: string;
    pluginConfig?: Record<string, unknown>;
    failStrategy: 'FAIL_CLOSE' | 'FAIL_OPEN';
    type: 'HTTP' | 'NETWORK';
  };
}

export interface IstioDocument {
  source: IstioSource;
  /** Comment lines for this document: where Istio fetches it from and what its sha256 is compared with. */
  comment: string[];
  plugin: WasmPlugin;
}

/**
 * Which documents to give: the one asked for, or both when the version is
 * served over OCI (only the https one otherwise).
 */
export function resolveIstioSources(requested: IstioSource | null, oci: OciPin | null, version: VersionCoordinates): IstioSource[] {
  if (requested === 'oci' && oci === null) {
    throw invalidInput([{ field: 'query.source', message: `${formatCoordinates(version)} is not served over OCI (yet); use source=https` }]);
  }
  if (requested !== null) return [requested];
  return oci === null ? ['https'] : ['https', 'oci'];
}

export function buildIstioPlugins(input: ProxyConfigInput, options: IstioBuildOptions): IstioDocument[] {
  return options.sources.map((source) => {
    if (source === 'https') {
      return {
        source,
        comment: [
          `Over HTTP(S): istio-agent downloads ${input.module.url}`,
          `and compares sha256 with the SHA-256 of the module's bytes (${input.module.sha256}).`,
        ],
        plugin: wasmPlugin(input, options, input.module.url, input.module.sha256),
      };
    }
    const oci = input.oci;
    if (oci === null) throw new Error(`${formatCoordinates(input.coordinates)} has no OCI reference`);
    const manifestHex = hexOf(oci.manifestDigest);
    const plainHttp = input.module.url.startsWith('http:');
    return {
      source,
      comment: [
        `Over OCI: istio-agent pulls ${oci.reference}`,
        `and compares sha256 with the digest of the OCI manifest (${oci.manifestDigest}),`,
        `NOT with the SHA-256 of the module's bytes (${input.module.sha256}).`,
        ...(plainHttp ? [`This registry answers over plain HTTP: list ${oci.reference.split('/')[0]} in the proxies' WASM_INSECURE_REGISTRIES.`] : []),
      ],
      plugin: wasmPlugin(input, options, `oci://${oci.reference}`, manifestHex),
    };
  });
}

function wasmPlugin(input: ProxyConfigInput, options: IstioBuildOptions, url: string, sha256: string): WasmPlugin {
  return {
    apiVersion: WASM_PLUGIN_API_VERSION,
    kind: 'WasmPlugin',
    metadata: { name: resourceName(input.coordinates.plugin), ...(options.namespace === null ? {} : { namespace: options.namespace }) },
    spec: {
      ...(options.selector === null ? {} : { selector: { matchLabels: { ...options.selector } } }),
      url,
      sha256,
      imagePullPolicy: 'IfNotPresent',
      ...(options.phase === null ? {} : { phase: options.phase }),
      ...(options.priority === null ? {} : { priority: options.priority }),
      ...(options.rootId === null ? {} : { pluginName: options.rootId }),
      ...(options.configuration === null ? {} : { pluginConfig: options.configuration.value as Record<string, unknown> }),
      failStrategy: options.failOpen ? 'FAIL_OPEN' : 'FAIL_CLOSE',
      type: options.filter === 'network' ? 'NETWORK' : 'HTTP',
    },
  };
}

/** A plugin name as a Kubernetes object name (DNS-1123: no trailing "-"). */
export function resourceName(plugin: string): string {
  return plugin.replace(/-+$/, '');
}

export function istioHeader(input: ProxyConfigInput, options: IstioBuildOptions, warnings: readonly string[]): string[] {
  const both = options.sources.length > 1;
  return [
    `Istio WasmPlugin for ${formatCoordinates(input.coordinates)} (${options.filter === 'network' ? 'NETWORK' : 'HTTP'}).`,
    `${abiLine(input.abi)}.`,
    `Runs on: ${compatibilityLine(input.abi)}.`,
    ...warnings.map((w) => `WARNING: ${w}`),
    '',
    "Istio's WasmPlugin has no capability_restriction_config: the plugin may call every Proxy-Wasm host function.",
    'The Envoy configuration (…/config/envoy) lists the ones it uses, for an EnvoyFilter of your own.',
    ...(both
      ? [
          '',
          'Two alternatives follow, one pulling over HTTP(S), one over OCI: apply ONE of them.',
          'Both have the same metadata.name, so applying the whole file keeps the last.',
        ]
      : []),
    ...(input.oci === null ? ['', 'Not served over OCI (yet): only the HTTP(S) document is given.'] : []),
  ];
}
