import type { CapabilityId, ProxyWasmAbiVersion } from './report.js';

/**
 * The Proxy-Wasm ABI as data: what the host links for each ABI version, what
 * a plugin exports, and which imports grant which capability.
 *
 * Sources (read, not copied):
 * - proxy-wasm/proxy-wasm-cpp-host src/wasm.cc (WasmBase::registerCallbacks,
 *   getFunctions, startVm) and include/proxy-wasm/exports.h
 *   (FOR_ALL_HOST_FUNCTIONS, FOR_ALL_HOST_FUNCTIONS_ABI_SPECIFIC,
 *   FOR_ALL_WASI_FUNCTIONS): the C++ host Envoy and Istio embed.
 * - proxy-wasm/proxy-wasm-cpp-host src/bytecode_util.cc (getAbiVersion).
 * - proxy-wasm/spec abi-versions/v0.1.0, v0.2.0, v0.2.1 README.md and CHANGELOG.md.
 */

export const ABI_VERSIONS: readonly ProxyWasmAbiVersion[] = ['0.1.0', '0.2.0', '0.2.1'];

/** The marker export naming each version, e.g. proxy_abi_version_0_2_1. */
export const ABI_MARKERS: Readonly<Record<string, ProxyWasmAbiVersion>> = {
  proxy_abi_version_0_1_0: '0.1.0',
  proxy_abi_version_0_2_0: '0.2.0',
  proxy_abi_version_0_2_1: '0.2.1',
};

export function abiMarker(version: ProxyWasmAbiVersion): string {
  return `proxy_abi_version_${version.replaceAll('.', '_')}`;
}

/**
 * Non-standard markers some hosts recognise. MOSN registers
 * proxy_abi_mosn_version_0_2_0 for its xprotocol codec extension
 * (mosn/mosn pkg/wasm/abi/xproxywasm020/impl.go, pkg/protocol/xprotocol/wasm/impl.go).
 */
export const NON_STANDARD_MARKERS: Readonly<Record<string, { host: string; purpose: string }>> = {
  proxy_abi_mosn_version_0_2_0: { host: 'mosn', purpose: "MOSN's xprotocol Wasm codec extension" },
};

/** Exports that look like an ABI marker: MOSN lists every function export starting so (mosn/proxy-wasm-go-host wazero/module.go). */
export const ABI_MARKER_PREFIX = 'proxy_abi';

// Registered for every ABI version (exports.h FOR_ALL_HOST_FUNCTIONS, wasm.cc registerCallbacks).
const COMMON_HOST_FUNCTIONS = [
  'proxy_log',
  'proxy_get_status',
  'proxy_set_property',
  'proxy_get_property',
  'proxy_send_local_response',
  'proxy_get_shared_data',
  'proxy_set_shared_data',
  'proxy_register_shared_queue',
  'proxy_resolve_shared_queue',
  'proxy_dequeue_shared_queue',
  'proxy_enqueue_shared_queue',
  'proxy_get_header_map_value',
  'proxy_add_header_map_value',
  'proxy_replace_header_map_value',
  'proxy_remove_header_map_value',
  'proxy_get_header_map_pairs',
  'proxy_set_header_map_pairs',
  'proxy_get_header_map_size',
  'proxy_get_buffer_status',
  'proxy_get_buffer_bytes',
  'proxy_set_buffer_bytes',
  'proxy_http_call',
  'proxy_grpc_call',
  'proxy_grpc_stream',
  'proxy_grpc_close',
  'proxy_grpc_cancel',
  'proxy_grpc_send',
  'proxy_set_tick_period_milliseconds',
  'proxy_get_current_time_nanoseconds',
  'proxy_define_metric',
  'proxy_increment_metric',
  'proxy_record_metric',
  'proxy_get_metric',
  'proxy_set_effective_context',
  'proxy_done',
  'proxy_call_foreign_function',
] as const;

// The ABI-specific branch of registerCallbacks: 0.2.0 is 0.2.1 without proxy_get_log_level (spec CHANGELOG 0.2.1).
const ABI_SPECIFIC_HOST_FUNCTIONS: Readonly<Record<ProxyWasmAbiVersion, readonly string[]>> = {
  '0.1.0': ['proxy_get_configuration', 'proxy_continue_request', 'proxy_continue_response', 'proxy_clear_route_cache'],
  '0.2.0': ['proxy_continue_stream', 'proxy_close_stream'],
  '0.2.1': ['proxy_continue_stream', 'proxy_close_stream', 'proxy_get_log_level'],
};

/** `env` functions the C++ host registers for a module of this ABI version. */
const hostFunctionsFor = (v: ProxyWasmAbiVersion): ReadonlySet<string> =>
  new Set<string>([...COMMON_HOST_FUNCTIONS, ...ABI_SPECIFIC_HOST_FUNCTIONS[v]]);
export const HOST_FUNCTIONS: Readonly<Record<ProxyWasmAbiVersion, ReadonlySet<string>>> = {
  '0.1.0': hostFunctionsFor('0.1.0'),
  '0.2.0': hostFunctionsFor('0.2.0'),
  '0.2.1': hostFunctionsFor('0.2.1'),
};

/** Every proxy_* host function of any known version. */
export const ALL_HOST_FUNCTIONS: ReadonlySet<string> = new Set(ABI_VERSIONS.flatMap((v) => [...HOST_FUNCTIONS[v]]));

/** The versions whose host registers this proxy_* function. */
export function abiVersionsProviding(name: string): ProxyWasmAbiVersion[] {
  return ABI_VERSIONS.filter((v) => HOST_FUNCTIONS[v].has(name));
}

/**
 * When the C++ host started linking a function. 'original': present in the
 * 2020 host (src/wasm.cc at commit 64313a6, the code of Envoy's first Wasm
 * releases); 'later': added since, in a release this registry cannot pin down.
 */
export interface HostFunctionAvailability {
  since: 'original' | 'later';
  /** Where the addition is recorded, for 'later' functions. */
  addedBy: string | null;
}

const ORIGINAL: HostFunctionAvailability = { since: 'original', addedBy: null };
const LATER_WASI_FS: HostFunctionAvailability = {
  since: 'later',
  addedBy: 'proxy-wasm-cpp-host include/proxy-wasm/exports.h FOR_ALL_WASI_FUNCTIONS (after 2020)',
};
const GO_WASI: HostFunctionAvailability = {
  since: 'later',
  addedBy: 'proxy-wasm-cpp-host PRs #427 and #533 (all of WASI preview1, merged 2026-03-27)',
};

/** Extra `env` functions the C++ host links whatever the ABI version (wasm.cc registerCallbacks). */
export const EXTRA_ENV_FUNCTIONS: ReadonlyMap<string, HostFunctionAvailability> = new Map([
  ['pthread_equal', ORIGINAL],
  ['emscripten_notify_memory_growth', { since: 'later', addedBy: 'proxy-wasm-cpp-host PR #288 (2022)' }],
]);

export const WASI_MODULES = ['wasi_snapshot_preview1', 'wasi_unstable'] as const;

/**
 * The WASI preview1 functions the C++ host registers under both
 * wasi_snapshot_preview1 and wasi_unstable (FOR_ALL_WASI_FUNCTIONS). Most are
 * stubs returning an error, but they link.
 */
export const WASI_FUNCTIONS: ReadonlyMap<string, HostFunctionAvailability> = new Map([
  ...['fd_write', 'fd_read', 'fd_seek', 'fd_close', 'fd_fdstat_get', 'environ_get', 'environ_sizes_get',
    'args_get', 'args_sizes_get', 'clock_time_get', 'random_get', 'proc_exit'].map((n) => [n, ORIGINAL] as const),
  ...['path_open', 'fd_prestat_get', 'fd_prestat_dir_name'].map((n) => [n, LATER_WASI_FS] as const),
  ...['fd_fdstat_set_flags', 'fd_fdstat_set_rights', 'clock_res_get', 'fd_advise', 'fd_allocate', 'fd_datasync',
    'fd_filestat_get', 'fd_filestat_set_size', 'fd_filestat_set_times', 'fd_pread', 'fd_pwrite', 'fd_readdir',
    'fd_renumber', 'fd_sync', 'fd_tell', 'path_create_directory', 'path_filestat_get', 'path_filestat_set_times',
    'path_link', 'path_readlink', 'path_remove_directory', 'path_rename', 'path_symlink', 'path_unlink_file',
    'poll_oneoff', 'sched_yield', 'sock_accept', 'sock_recv', 'sock_send', 'sock_shutdown'].map((n) => [n, GO_WASI] as const),
]);

/**
 * The whole WASI preview1 function set (WebAssembly/WASI legacy/preview1/witx),
 * which hosts built on a complete WASI implementation (wazero in MOSN) provide.
 */
export const WASI_PREVIEW1_ALL: ReadonlySet<string> = new Set([...WASI_FUNCTIONS.keys(), 'proc_raise']);

/**
 * Callbacks the C++ host looks up (wasm.cc getFunctions, FOR_ALL_MODULE_FUNCTIONS),
 * grouped by what makes the plugin fit a filter chain.
 */
export const CALLBACKS = {
  http: [
    'proxy_on_request_headers', 'proxy_on_request_body', 'proxy_on_request_trailers', 'proxy_on_request_metadata',
    'proxy_on_response_headers', 'proxy_on_response_body', 'proxy_on_response_trailers', 'proxy_on_response_metadata',
  ],
  tcp: [
    'proxy_on_new_connection', 'proxy_on_downstream_data', 'proxy_on_upstream_data',
    'proxy_on_downstream_connection_close', 'proxy_on_upstream_connection_close',
  ],
  lifecycle: [
    'proxy_on_context_create', 'proxy_on_vm_start', 'proxy_on_configure', 'proxy_validate_configuration',
    'proxy_on_done', 'proxy_on_log', 'proxy_on_delete',
  ],
  // Calls out (their replies arrive here whatever the filter type), timers, queues, foreign functions.
  other: [
    'proxy_on_tick', 'proxy_on_http_call_response', 'proxy_on_grpc_receive_initial_metadata', 'proxy_on_grpc_receive',
    'proxy_on_grpc_receive_trailing_metadata', 'proxy_on_grpc_close', 'proxy_on_queue_ready', 'proxy_on_foreign_function',
  ],
} as const satisfies Record<string, readonly string[]>;

export type CallbackGroup = keyof typeof CALLBACKS;

export const CALLBACK_GROUP: ReadonlyMap<string, CallbackGroup> = new Map(
  (Object.keys(CALLBACKS) as CallbackGroup[]).flatMap((group) => CALLBACKS[group].map((name) => [name, group] as const)),
);

/** Allocator exports in the order the C++ host looks them up: malloc first, then proxy_on_memory_allocate (wasm.cc getFunctions). */
export const ALLOCATOR_LOOKUP_ORDER = ['malloc', 'proxy_on_memory_allocate'] as const;

export type CppHostImport =
  | { status: 'provided'; availability: HostFunctionAvailability; wasi: boolean }
  | { status: 'unknown'; reason: string }
  | { status: 'unsupported_kind'; reason: string };

/**
 * Whether the C++ host links one import of a module declaring `abiVersion`
 * (null: no known marker, so every version's functions are considered).
 * Function imports are looked up by module.name (src/v8/v8.cc link()); the
 * runtime creates imported memories and tables itself and fails on globals
 * (and, having no case for them, on tags).
 */
export function cppHostImport(
  entry: { module: string; name: string; kind: string },
  abiVersion: ProxyWasmAbiVersion | null,
): CppHostImport {
  const { module, name, kind } = entry;
  if (kind === 'memory' || kind === 'table') return { status: 'provided', availability: ORIGINAL, wasi: false };
  if (kind !== 'function') {
    return {
      status: 'unsupported_kind',
      reason: `it imports the ${kind} ${module}.${name}, and the Proxy-Wasm C++ host provides no imported ${kind}s (only functions; it creates imported memories and tables itself)`,
    };
  }
  if ((WASI_MODULES as readonly string[]).includes(module)) {
    const availability = WASI_FUNCTIONS.get(name);
    if (availability) return { status: 'provided', availability, wasi: true };
    return { status: 'unknown', reason: `${module}.${name} is not a WASI function the Proxy-Wasm C++ host links` };
  }
  if (module !== 'env') {
    return {
      status: 'unknown',
      reason: `it imports ${module}.${name}, but Proxy-Wasm hosts only provide the modules env, wasi_snapshot_preview1 and wasi_unstable`,
    };
  }
  const extra = EXTRA_ENV_FUNCTIONS.get(name);
  if (extra) return { status: 'provided', availability: extra, wasi: false };
  if (abiVersion === null ? ALL_HOST_FUNCTIONS.has(name) : HOST_FUNCTIONS[abiVersion].has(name)) {
    return { status: 'provided', availability: ORIGINAL, wasi: false };
  }
  const owners = abiVersionsProviding(name);
  if (owners.length > 0 && abiVersion !== null) {
    return {
      status: 'unknown',
      reason: `env.${name} is a Proxy-Wasm ${owners.join('/')} host function, and the host provides it only to modules declaring ${owners.length > 1 ? 'those versions' : 'that version'}, not to this ${abiVersion} module`,
    };
  }
  return { status: 'unknown', reason: `env.${name} is not a Proxy-Wasm host function` };
}

export interface CapabilityDefinition {
  id: CapabilityId;
  description: string;
  /** Function names; `env` for proxy_* names, both WASI module names for WASI ones. */
  env: readonly string[];
  wasi: readonly string[];
}

export const CAPABILITIES: readonly CapabilityDefinition[] = [
  {
    id: 'http_calls',
    description: 'Sends HTTP requests of its own to any cluster the proxy knows (proxy_http_call).',
    env: ['proxy_http_call'],
    wasi: [],
  },
  {
    id: 'grpc_calls',
    description: 'Opens gRPC calls and streams of its own to clusters the proxy knows.',
    env: ['proxy_grpc_call', 'proxy_grpc_stream', 'proxy_grpc_send', 'proxy_grpc_cancel', 'proxy_grpc_close'],
    wasi: [],
  },
  {
    id: 'shared_data',
    description: 'Reads and writes key-value data shared with every plugin in the same VM.',
    env: ['proxy_get_shared_data', 'proxy_set_shared_data'],
    wasi: [],
  },
  {
    id: 'shared_queues',
    description: 'Creates, resolves and uses message queues shared across plugins and VMs.',
    env: ['proxy_register_shared_queue', 'proxy_resolve_shared_queue', 'proxy_enqueue_shared_queue', 'proxy_dequeue_shared_queue'],
    wasi: [],
  },
  {
    id: 'metrics',
    description: "Defines and updates metrics that appear in the proxy's own statistics.",
    env: ['proxy_define_metric', 'proxy_record_metric', 'proxy_increment_metric', 'proxy_get_metric'],
    wasi: [],
  },
  {
    id: 'properties',
    description: 'Reads and sets proxy properties: connection, request, peer and node metadata.',
    env: ['proxy_get_property', 'proxy_set_property'],
    wasi: [],
  },
  {
    id: 'foreign_functions',
    description: 'Calls host-specific extension functions by name, outside the standard ABI.',
    env: ['proxy_call_foreign_function'],
    wasi: [],
  },
  {
    id: 'response_control',
    description: 'Answers requests itself or resets streams instead of passing them on (local replies, closing streams).',
    env: ['proxy_send_local_response', 'proxy_close_stream', 'proxy_clear_route_cache'],
    wasi: [],
  },
  {
    id: 'wasi_filesystem',
    description: "Asks for files and directories (the C++ host's stubs refuse; other hosts may grant real access).",
    env: [],
    wasi: [
      'path_open', 'path_create_directory', 'path_filestat_get', 'path_filestat_set_times', 'path_link', 'path_readlink',
      'path_remove_directory', 'path_rename', 'path_symlink', 'path_unlink_file', 'fd_prestat_get', 'fd_prestat_dir_name',
      'fd_readdir', 'fd_pread', 'fd_pwrite', 'fd_filestat_get', 'fd_filestat_set_size', 'fd_filestat_set_times',
      'fd_allocate', 'fd_advise', 'fd_datasync', 'fd_sync', 'fd_renumber', 'fd_tell', 'fd_fdstat_set_rights',
    ],
  },
  {
    id: 'wasi_environment',
    description: 'Reads environment variables and arguments (the proxy passes only those configured for the VM).',
    env: [],
    wasi: ['environ_get', 'environ_sizes_get', 'args_get', 'args_sizes_get'],
  },
  {
    id: 'wasi_random',
    description: "Draws random bytes from the host's generator.",
    env: [],
    wasi: ['random_get'],
  },
  {
    id: 'wasi_clock',
    description: 'Reads the wall and monotonic clocks.',
    env: [],
    wasi: ['clock_time_get', 'clock_res_get'],
  },
  {
    id: 'wasi_sockets',
    description: 'Asks to accept, read, write or shut down sockets (stubs in the C++ host).',
    env: [],
    wasi: ['sock_accept', 'sock_recv', 'sock_send', 'sock_shutdown'],
  },
  {
    id: 'wasi_process',
    description: 'Controls its own execution: exits, raises signals, yields or waits for events.',
    env: [],
    wasi: ['proc_exit', 'proc_raise', 'sched_yield', 'poll_oneoff'],
  },
];

/**
 * The names Envoy's C++ host checks against `capability_restriction_config.allowed_capabilities`,
 * as this module uses them: what must be allowed for it to keep working, and nothing else.
 * proxy-wasm-cpp-host (since the restriction was added in PR #89, 2020; unchanged since):
 * - src/wasm.cc registerCallbacks: each env.proxy_* host function is checked by its name, each
 *   WASI function by its bare name (the same for wasi_snapshot_preview1 and wasi_unstable); one not
 *   allowed still links, as a stub that logs and returns InternalFailure (WASI: 76, ENOTCAPABLE).
 *   pthread_equal and emscripten_notify_memory_growth are registered unchecked.
 * - src/wasm.cc getFunctions: every exported callback (FOR_ALL_MODULE_FUNCTIONS in
 *   include/proxy-wasm/wasm.h, the header callbacks, proxy_on_foreign_function for 0.2.x) is
 *   looked up only when allowed; one not allowed is never called, so a plugin whose
 *   proxy_on_context_create or proxy_on_request_headers is left out silently does nothing.
 *   _initialize, _start, main and the allocator (malloc, proxy_on_memory_allocate) are unchecked.
 * - include/proxy-wasm/wasm.h capabilityAllowed: an empty map allows everything.
 */
export function restrictableCapabilities(
  imports: readonly { module: string; name: string; kind: string }[],
  exports: readonly { name: string; kind: string }[],
  abiVersion: ProxyWasmAbiVersion | null,
): string[] {
  const hostFunctions = abiVersion === null ? ALL_HOST_FUNCTIONS : HOST_FUNCTIONS[abiVersion];
  const names = new Set<string>();
  for (const { module, name, kind } of imports) {
    if (kind !== 'function') continue;
    if (module === 'env' && hostFunctions.has(name)) names.add(name);
    if ((WASI_MODULES as readonly string[]).includes(module) && WASI_FUNCTIONS.has(name)) names.add(name);
  }
  for (const { name, kind } of exports) {
    if (kind !== 'function' || !CALLBACK_GROUP.has(name)) continue;
    // 0.1.0 modules' proxy_on_foreign_function is never looked up (getFunctions reads it for 0.2.x only).
    if (name === 'proxy_on_foreign_function' && abiVersion === '0.1.0') continue;
    names.add(name);
  }
  return [...names].sort();
}
