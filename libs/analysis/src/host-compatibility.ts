import { cppHostImport, WASI_PREVIEW1_ALL } from './proxy-wasm-abi.js';
import type { HostCompatibility, ImportEntry, ProxyWasmAbiVersion } from './report.js';

/**
 * Which host versions run which ABI version, kept as data with a source per
 * row. Where a release number could not be confirmed from a source, the row
 * says so instead of guessing.
 */
export interface CompatibilityRow {
  host: 'envoy' | 'istio' | 'mosn';
  /** A standard ABI version, or the non-standard marker the row is about. */
  abi: ProxyWasmAbiVersion | 'proxy_abi_mosn_version_0_2_0';
  versions: string;
  /** False when `versions` is inferred or unknown rather than read in a source. */
  confirmed: boolean;
  reason: string;
  source: string;
}

const CPP_HOST_ABI_PRS =
  'https://github.com/proxy-wasm/proxy-wasm-cpp-host/pull/45 and /pull/50 (ABI 0.1.0, 0.2.0 and 0.2.1 selected per module, August 2020)';
const ENVOY_FIRST_WASM_DOCS = 'https://www.envoyproxy.io/docs/envoy/v1.17.4/configuration/http/http_filters/wasm_filter';
const GO_SDK_TABLE = 'https://github.com/tetratelabs/proxy-wasm-go-sdk/blob/main/README.md ("Compatible ABI / Envoy builds (tested on CI)")';

export const COMPATIBILITY_TABLE: readonly CompatibilityRow[] = [
  {
    host: 'envoy',
    abi: '0.1.0',
    versions: '>=1.17',
    confirmed: true,
    reason: 'Envoy 1.17 is the first release documenting the Wasm filter; its Proxy-Wasm C++ host already selected 0.1.0 per module, and the current host still registers the 0.1.0 functions.',
    source: `${ENVOY_FIRST_WASM_DOCS}; ${CPP_HOST_ABI_PRS}; proxy-wasm/proxy-wasm-cpp-host src/wasm.cc registerCallbacks`,
  },
  {
    host: 'envoy',
    abi: '0.2.0',
    versions: '>=1.17',
    confirmed: true,
    reason: 'ABI 0.2.0 plugins are CI-tested against Envoy 1.17 and 1.18 by the Go SDK; the C++ host still registers 0.2.0.',
    source: `${GO_SDK_TABLE}; ${ENVOY_FIRST_WASM_DOCS}`,
  },
  {
    host: 'envoy',
    abi: '0.2.1',
    versions: '>=1.17',
    confirmed: true,
    reason: 'The C++ host added 0.2.1 (proxy_get_log_level) on 2020-08-05, months before Envoy 1.17, the first release documenting the Wasm filter.',
    source: `${ENVOY_FIRST_WASM_DOCS}; https://github.com/proxy-wasm/proxy-wasm-cpp-host/pull/50; proxy-wasm/spec CHANGELOG.md (0.2.1 - 2020-08-04)`,
  },
  {
    host: 'istio',
    abi: '0.1.0',
    versions: '>=1.5',
    confirmed: true,
    reason: 'Istio 1.5 introduced Wasm extensions on the 0.1.0 ABI, 1.6 kept it, and 1.7 onward select the version per module without dropping 0.1.0.',
    source: 'https://istio.io/latest/blog/2020/wasm-announce/; https://github.com/solo-io/wasm/issues/145; https://github.com/istio/envoy/pull/255',
  },
  {
    host: 'istio',
    abi: '0.2.0',
    versions: '>=1.7',
    confirmed: true,
    reason: "Multiple-ABI support was backported to Istio 1.7's Envoy; the Go SDK CI-tests 0.2.0 against istio/proxyv2 1.8 to 1.10.",
    source: `https://github.com/istio/envoy/pull/248; ${GO_SDK_TABLE}`,
  },
  {
    host: 'istio',
    abi: '0.2.1',
    versions: '>=1.8',
    confirmed: false,
    reason: 'Inferred: the C++ host added 0.2.1 after the 1.7 backport was cut; Istio 1.8 is the first release built after it. Whether 1.7 patch releases accept 0.2.1 is not confirmed.',
    source: `https://github.com/proxy-wasm/proxy-wasm-cpp-host/pull/50; https://github.com/istio/envoy/pull/248; ${GO_SDK_TABLE}`,
  },
  {
    host: 'mosn',
    abi: '0.1.0',
    versions: 'unconfirmed',
    confirmed: false,
    reason: "MOSN registers proxy_abi_version_0_1_0 and links proxy-wasm-go-host's v1 host functions (not all of the 0.1.0 spec); which MOSN releases ship it is not confirmed.",
    source: 'mosn/mosn pkg/wasm/abi/proxywasm010; mosn/proxy-wasm-go-host internal/imports/v1/imports.go, wazero/instance.go; https://github.com/mosn/proxy-wasm-go-host/issues/10',
  },
  {
    host: 'mosn',
    abi: 'proxy_abi_mosn_version_0_2_0',
    versions: 'unconfirmed',
    confirmed: false,
    reason: "MOSN recognises this marker for its xprotocol Wasm codec extension, built on the v1 host functions; which releases and runtimes load such modules is not confirmed.",
    source: 'mosn/mosn pkg/wasm/abi/xproxywasm020/impl.go, pkg/protocol/xprotocol/wasm/impl.go',
  },
  // Not listed: MOSN with standard 0.2.x modules. proxy-wasm-go-host's v2 host
  // implements a different draft function set (internal/imports/v2/imports.go),
  // so standard 0.2.x plugins do not link there (mosn/proxy-wasm-go-host issue #10).
];

/**
 * The `env` functions proxy-wasm-go-host links for ABI 0.1.0 in MOSN
 * (mosn/proxy-wasm-go-host internal/imports/v1/imports.go HostFunctions).
 */
export const MOSN_V1_HOST_FUNCTIONS: ReadonlySet<string> = new Set([
  'proxy_log', 'proxy_set_effective_context', 'proxy_get_property', 'proxy_set_property',
  'proxy_get_buffer_bytes', 'proxy_set_buffer_bytes', 'proxy_get_header_map_pairs', 'proxy_set_header_map_pairs',
  'proxy_get_header_map_value', 'proxy_replace_header_map_value', 'proxy_add_header_map_value',
  'proxy_remove_header_map_value', 'proxy_set_tick_period_milliseconds', 'proxy_get_current_time_nanoseconds',
  'proxy_resume_downstream', 'proxy_resume_upstream', 'proxy_open_grpc_stream', 'proxy_send_grpc_call_message',
  'proxy_cancel_grpc_call', 'proxy_close_grpc_call', 'proxy_grpc_call', 'proxy_dispatch_grpc_call',
  'proxy_resume_http_request', 'proxy_resume_http_response', 'proxy_send_http_response', 'proxy_http_call',
  'proxy_dispatch_http_call', 'proxy_define_metric', 'proxy_remove_metric', 'proxy_increment_metric',
  'proxy_record_metric', 'proxy_get_metric', 'proxy_register_shared_queue', 'proxy_remove_shared_queue',
  'proxy_resolve_shared_queue', 'proxy_dequeue_shared_queue', 'proxy_enqueue_shared_queue',
  'proxy_get_shared_data', 'proxy_set_shared_data', 'proxy_done', 'proxy_call_foreign_function',
]);

export interface CompatibilityInput {
  /** The version Envoy's C++ host would use (first known marker), or null. */
  abiVersion: ProxyWasmAbiVersion | null;
  /** Names of the module's function exports. */
  functionExports: readonly string[];
  imports: readonly ImportEntry[];
  /** Whether the C++ host loads and starts the module (allocator, memory, imports, marker). */
  cppHostLoads: boolean;
}

function row(host: CompatibilityRow['host'], abi: CompatibilityRow['abi']): CompatibilityRow {
  const found = COMPATIBILITY_TABLE.find((r) => r.host === host && r.abi === abi);
  if (!found) throw new Error(`no compatibility row for ${host} ${abi}`);
  return found;
}

/**
 * Hosts and versions that can run the module. A module any host would refuse
 * (an unknown import, no allocator …) gets no row for that host.
 */
export function deriveCompatibility(input: CompatibilityInput): HostCompatibility[] {
  const result: HostCompatibility[] = [];
  if (input.cppHostLoads && input.abiVersion !== null) {
    const abiVersion = input.abiVersion;
    // Functions the C++ host linked only later narrow the range to releases this registry cannot name.
    const later = input.imports.flatMap((entry) => {
      const status = cppHostImport(entry, abiVersion);
      return status.status === 'provided' && status.availability.since === 'later'
        ? [{ name: `${entry.module}.${entry.name}`, addedBy: status.availability.addedBy }]
        : [];
    });
    for (const host of ['envoy', 'istio'] as const) {
      const base = row(host, abiVersion);
      if (later.length === 0) {
        result.push({ host, versions: base.versions, reason: `Declares Proxy-Wasm ABI ${abiVersion}. ${base.reason}`, source: base.source });
      } else {
        const first = later[0]!;
        result.push({
          host,
          versions: 'recent releases only (first release not confirmed)',
          reason: `Declares Proxy-Wasm ABI ${abiVersion}, but imports ${later.map((l) => l.name).join(', ')}, which the C++ host links only since ${first.addedBy}; older releases refuse it.`,
          source: `${first.addedBy}; ${base.source}`,
        });
      }
    }
  }
  const mosn = mosnCompatibility(input);
  if (mosn) result.push(mosn);
  return result;
}

function mosnCompatibility(input: CompatibilityInput): HostCompatibility | null {
  const exports = new Set(input.functionExports);
  const marker = exports.has('proxy_abi_version_0_1_0')
    ? ('0.1.0' as const)
    : exports.has('proxy_abi_mosn_version_0_2_0')
      ? ('proxy_abi_mosn_version_0_2_0' as const)
      : null;
  if (marker === null) return null;
  // wazero registers all of wasi_snapshot_preview1, and wasi_unstable for 0.1.0 modules (wazero/instance.go).
  const linked = input.imports.every((entry) => {
    if (entry.kind === 'memory' || entry.kind === 'table') return true;
    if (entry.kind !== 'function') return false;
    if (entry.module === 'env') return MOSN_V1_HOST_FUNCTIONS.has(entry.name);
    if (entry.module === 'wasi_snapshot_preview1' || (marker === '0.1.0' && entry.module === 'wasi_unstable')) {
      return WASI_PREVIEW1_ALL.has(entry.name);
    }
    return false;
  });
  // proxy-wasm-go-host allocates guest memory through the `malloc` export only (wazero/instance.go Malloc).
  if (!linked || !exports.has('malloc')) return null;
  const base = row('mosn', marker);
  return { host: 'mosn', versions: base.versions, reason: base.reason, source: base.source };
}
