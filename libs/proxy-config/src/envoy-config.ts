import { isIP } from 'node:net';
import type { EnvoyRuntime, PluginConfiguration } from './proxy-config-options.js';
import { formatCoordinates } from '../../versions/index.js';
import { abiLine, compatibilityLine, type FilterType, type ProxyConfigInput } from './proxy-config.js';

/**
 * Envoy configuration that pulls a plugin from this registry by its pinned URL:
 * the Wasm filter (HTTP or network) and the cluster Envoy fetches the module
 * through. Field names are Envoy's v3 API names as its JSON/YAML loader reads
 * them (the snake_case proto names), from api/envoy/extensions/wasm/v3/wasm.proto,
 * api/envoy/config/core/v3/base.proto and http_uri.proto,
 * api/envoy/config/cluster/v3/cluster.proto and
 * api/envoy/extensions/transport_sockets/tls/v3/tls.proto.
 */

export const HTTP_WASM_FILTER = 'envoy.filters.http.wasm';
export const NETWORK_WASM_FILTER = 'envoy.filters.network.wasm';
export const HTTP_WASM_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm';
export const NETWORK_WASM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm';
export const STRING_VALUE_TYPE = 'type.googleapis.com/google.protobuf.StringValue';
export const TLS_TRANSPORT_SOCKET = 'envoy.transport_sockets.tls';
export const UPSTREAM_TLS_CONTEXT_TYPE = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
/** Where Debian and Ubuntu based images (Envoy's and Istio's proxy images among them) keep the system CA bundle. */
export const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/** The fetch is retried with backoff: a registry restart must not leave a listener without its filter. */
const RETRY_POLICY = { num_retries: 3, retry_back_off: { base_interval: '1s', max_interval: '10s' } } as const;
const CONNECT_TIMEOUT = '5s';

export interface EnvoyBuildOptions {
  filter: FilterType;
  runtime: EnvoyRuntime;
  rootId: string | null;
  vmId: string | null;
  failOpen: boolean;
  configuration: PluginConfiguration | null;
  cluster: string;
  timeout: string;
}

/** envoy.extensions.wasm.v3.PluginConfig */
export interface EnvoyPluginConfig {
  name: string;
  root_id: string;
  vm_config: {
    vm_id: string;
    runtime: EnvoyRuntime;
    code: {
      remote: {
        http_uri: { uri: string; cluster: string; timeout: string };
        sha256: string;
        retry_policy: { num_retries: number; retry_back_off: { base_interval: string; max_interval: string } };
      };
    };
  };
  configuration?: { '@type': typeof STRING_VALUE_TYPE; value: string };
  fail_open: boolean;
  /** envoy.extensions.wasm.v3.CapabilityRestrictionConfig; SanitizationConfig is unimplemented in Envoy, hence `{}`. */
  capability_restriction_config?: { allowed_capabilities: Record<string, Record<string, never>> };
}

/** An entry of HttpConnectionManager.http_filters or FilterChain.filters. */
export interface EnvoyWasmFilter {
  name: typeof HTTP_WASM_FILTER | typeof NETWORK_WASM_FILTER;
  typed_config: { '@type': typeof HTTP_WASM_TYPE | typeof NETWORK_WASM_TYPE; config: EnvoyPluginConfig };
}

/** envoy.config.cluster.v3.Cluster, as much of it as fetching the module needs. */
export interface EnvoyCluster {
  name: string;
  type: 'STATIC' | 'LOGICAL_DNS';
  connect_timeout: string;
  load_assignment: {
    cluster_name: string;
    endpoints: { lb_endpoints: { endpoint: { address: { socket_address: { address: string; port_value: number } } } }[] }[];
  };
  transport_socket?: {
    name: typeof TLS_TRANSPORT_SOCKET;
    typed_config: {
      '@type': typeof UPSTREAM_TLS_CONTEXT_TYPE;
      sni?: string;
      common_tls_context: {
        validation_context: {
          trusted_ca: { filename: string };
          match_typed_subject_alt_names: { san_type: 'DNS' | 'IP_ADDRESS'; matcher: { exact: string } }[];
        };
      };
    };
  };
}

/**
 * The snippet: each key is the name of the Envoy list its entry goes into
 * (HttpConnectionManager.http_filters or FilterChain.filters, and
 * static_resources.clusters), so it reads as where to paste it.
 */
export type EnvoyConfig = ({ http_filters: [EnvoyWasmFilter] } | { filters: [EnvoyWasmFilter] }) & { clusters: [EnvoyCluster] };

export function buildEnvoyConfig(input: ProxyConfigInput, options: EnvoyBuildOptions): EnvoyConfig {
  const filter = envoyWasmFilter(input, options);
  const clusters: [EnvoyCluster] = [registryCluster(input.module.url, options.cluster)];
  return options.filter === 'network' ? { filters: [filter], clusters } : { http_filters: [filter], clusters };
}

export function envoyWasmFilter(input: ProxyConfigInput, options: EnvoyBuildOptions): EnvoyWasmFilter {
  const { namespace, plugin: name } = input.coordinates;
  const config: EnvoyPluginConfig = {
    name: `${namespace}/${name}`,
    root_id: options.rootId ?? '',
    vm_config: {
      vm_id: options.vmId ?? `${namespace}/${name}`,
      runtime: options.runtime,
      code: {
        remote: {
          http_uri: { uri: input.module.url, cluster: options.cluster, timeout: options.timeout },
          sha256: input.module.sha256,
          retry_policy: { num_retries: RETRY_POLICY.num_retries, retry_back_off: { ...RETRY_POLICY.retry_back_off } },
        },
      },
    },
    ...(options.configuration === null ? {} : { configuration: { '@type': STRING_VALUE_TYPE, value: options.configuration.json } }),
    fail_open: options.failOpen,
    ...(input.abi.allowedCapabilities === null
      ? {}
      : { capability_restriction_config: { allowed_capabilities: Object.fromEntries(input.abi.allowedCapabilities.map((name) => [name, {}])) } }),
  };
  return options.filter === 'network'
    ? { name: NETWORK_WASM_FILTER, typed_config: { '@type': NETWORK_WASM_TYPE, config } }
    : { name: HTTP_WASM_FILTER, typed_config: { '@type': HTTP_WASM_TYPE, config } };
}

/** The registry's host as an Envoy cluster: TLS with the host's name checked when the URL is https. */
export function registryCluster(url: string, name: string): EnvoyCluster {
  const parsed = new URL(url);
  const https = parsed.protocol === 'https:';
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = parsed.port === '' ? (https ? 443 : 80) : Number(parsed.port);
  const ip = isIP(host) !== 0;
  const cluster: EnvoyCluster = {
    name,
    // An address needs no resolving; a name is resolved as one logical host, as Envoy advises for web services.
    type: ip ? 'STATIC' : 'LOGICAL_DNS',
    connect_timeout: CONNECT_TIMEOUT,
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: host, port_value: port } } } }] }],
    },
  };
  if (https) {
    cluster.transport_socket = {
      name: TLS_TRANSPORT_SOCKET,
      typed_config: {
        '@type': UPSTREAM_TLS_CONTEXT_TYPE,
        // SNI carries host names only (RFC 6066).
        ...(ip ? {} : { sni: host }),
        common_tls_context: {
          validation_context: {
            trusted_ca: { filename: SYSTEM_CA_BUNDLE },
            match_typed_subject_alt_names: [{ san_type: ip ? 'IP_ADDRESS' : 'DNS', matcher: { exact: host } }],
          },
        },
      },
    };
  }
  return cluster;
}

/** The comment lines above the YAML: what it is, what the digest means, where each part goes. */
export function envoyHeader(input: ProxyConfigInput, options: EnvoyBuildOptions, warnings: readonly string[]): string[] {
  const list = options.filter === 'network' ? 'filters' : 'http_filters';
  const https = input.module.url.startsWith('https:');
  return [
    `Envoy configuration for ${formatCoordinates(input.coordinates)} (${options.filter === 'network' ? 'network' : 'HTTP'} filter).`,
    `${abiLine(input.abi)}.`,
    `Runs on: ${compatibilityLine(input.abi)}.`,
    ...warnings.map((w) => `WARNING: ${w}`),
    '',
    `vm_config.code.remote fetches ${input.module.url}`,
    `and checks sha256 (${input.module.sha256}) against the SHA-256 of the module's bytes.`,
    '',
    'Paste:',
    options.filter === 'network'
      ? `- the ${list} entry into your listener's filter_chains[].filters, before the terminal filter (e.g. envoy.filters.network.tcp_proxy);`
      : `- the ${list} entry into your HttpConnectionManager's http_filters, before envoy.filters.http.router;`,
    `- the clusters entry into static_resources.clusters: Envoy downloads the module through it${https ? ` (TLS; trusted_ca is the Debian/Ubuntu bundle ${SYSTEM_CA_BUNDLE}, change it if your image keeps CAs elsewhere)` : ''}.`,
    '',
    ...restrictionLines(input.abi.allowedCapabilities),
  ];
}

function restrictionLines(allowed: readonly string[] | null): string[] {
  if (allowed === null) {
    return ["No capability_restriction_config: the analysis does not list all of this module's imports and exports (or it uses none), and a partial list would switch the rest off."];
  }
  return [
    `capability_restriction_config allows exactly the ${allowed.length} host functions and callbacks this version uses (from the analysis).`,
    'Envoy 1.18 and later enforce it: a module swapped in under this configuration gets a failing stub for any other',
    'host function, and its other callbacks are never called; compare versions with …/capability-diff before widening it.',
    'Envoy 1.17 and earlier do not know the field and reject it in static configuration: delete the block there.',
  ];
}
