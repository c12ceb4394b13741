import type { AbiVersion, FilterAction, HeaderMapName } from './trial-types.js';

/**
 * The Proxy-Wasm ABI's numbers and callback shapes, after proxy-wasm/spec (abi-versions/v0.1.0, v0.2.0, v0.2.1)
 * and proxy-wasm-cpp-host (include/proxy-wasm/wasm.h, word.h, context_interface.h). What the host *links* per
 * version comes from libs/analysis (HOST_FUNCTIONS); this file holds what the host *calls* and the codes it returns.
 */

export const WasmResult = {
  Ok: 0,
  NotFound: 1,
  BadArgument: 2,
  SerializationFailure: 3,
  ParseFailure: 4,
  BadExpression: 5,
  InvalidMemoryAccess: 6,
  Empty: 7,
  CasMismatch: 8,
  ResultMismatch: 9,
  InternalFailure: 10,
  BrokenConnection: 11,
  Unimplemented: 12,
} as const;
export type WasmResultCode = (typeof WasmResult)[keyof typeof WasmResult];

/** proxy_map_type_t, in order; MAX is the last. */
export const HEADER_MAP_TYPES: readonly HeaderMapName[] = [
  'request_headers',
  'request_trailers',
  'response_headers',
  'response_trailers',
  'grpc_receive_initial_metadata',
  'grpc_receive_trailing_metadata',
  'http_call_response_headers',
  'http_call_response_trailers',
];

export const BUFFER_TYPES = [
  'request_body',
  'response_body',
  'downstream_data',
  'upstream_data',
  'http_call_response_body',
  'grpc_receive_buffer',
  'vm_configuration',
  'plugin_configuration',
  'call_data',
] as const;
export type BufferName = (typeof BUFFER_TYPES)[number];

/** proxy_stream_type_t for proxy_continue_stream / proxy_close_stream. */
export const STREAM_TYPES = ['request', 'response', 'downstream', 'upstream'] as const;
export type StreamName = (typeof STREAM_TYPES)[number];

export const METRIC_TYPES = ['counter', 'gauge', 'histogram'] as const;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'critical'] as const;

/** proxy_peer_type_t of the connection close callbacks. */
export const PeerType = { Unknown: 0, Local: 1, Remote: 2 } as const;

/** What the C++ host's StatusCode says when a gRPC call cannot reach its cluster. */
export const GRPC_UNAVAILABLE = 14;

/** Which status a callback's result is read as (cpp-host context.h / Envoy's filter statuses). */
export type ActionKind = 'headers' | 'data' | 'trailers' | 'network';

/**
 * The name of the action a callback returned. Headers: FilterHeadersStatus (0 Continue, 1 StopIteration,
 * 2 ContinueAndEndStream, 3 StopAllIterationAndBuffer, 4 StopAllIterationAndWatermark); data: FilterDataStatus
 * (0 Continue, 1 StopIterationAndBuffer, 2 StopIterationAndWatermark, 3 StopIterationNoBuffer); trailers and
 * network filters: 0 Continue, 1 StopIteration. The SDKs call 1 "Pause".
 */
export function filterActionName(value: number, kind: ActionKind): FilterAction {
  if (value === 0) return 'Continue';
  if (value === 1) return 'Pause';
  if (kind === 'headers' && value === 3) return 'StopAllIterationAndBuffer';
  if (kind === 'headers' && value === 4) return 'StopAllIterationAndWatermark';
  if (kind === 'data' && value === 3) return 'StopIteration';
  return `unknown(${value})`;
}

/**
 * Whether the result holds the stream until the plugin continues it. Headers: anything but Continue and
 * ContinueAndEndStream (cpp-host turns StopIteration, and any unknown value, into StopAllIterationAndWatermark:
 * nothing after the headers reaches the filter until it continues).
 */
export function stopsIteration(value: number, kind: ActionKind): boolean {
  return kind === 'headers' ? value !== 0 && value !== 2 : value !== 0;
}

/** An export's shape: i32 parameters and whether it returns an i32 (cpp-host WasmCallVoid<N> / WasmCallWord<N>). */
export interface CallbackShape {
  params: number;
  returns: boolean;
}

const word = (params: number): CallbackShape => ({ params, returns: true });
const unit = (params: number): CallbackShape => ({ params, returns: false });

// wasm.h: the exports the C++ host looks up, with the shapes it accepts; any other shape fails with
// "Bad function signature for: <name>".
const COMMON_CALLBACKS: Record<string, CallbackShape> = {
  _initialize: unit(0),
  _start: unit(0),
  main: word(2),
  __main_void: word(0),
  malloc: word(1),
  proxy_on_memory_allocate: word(1),
  proxy_validate_configuration: word(2),
  proxy_on_vm_start: word(2),
  proxy_on_configure: word(2),
  proxy_on_tick: unit(1),
  proxy_on_context_create: unit(2),
  proxy_on_new_connection: word(1),
  proxy_on_downstream_data: word(3),
  proxy_on_upstream_data: word(3),
  proxy_on_downstream_connection_close: unit(2),
  proxy_on_upstream_connection_close: unit(2),
  proxy_on_request_body: word(3),
  proxy_on_request_trailers: word(2),
  proxy_on_request_metadata: word(2),
  proxy_on_response_body: word(3),
  proxy_on_response_trailers: word(2),
  proxy_on_response_metadata: word(2),
  proxy_on_http_call_response: unit(5),
  proxy_on_grpc_receive: unit(3),
  proxy_on_grpc_close: unit(3),
  proxy_on_grpc_receive_initial_metadata: unit(3),
  proxy_on_grpc_receive_trailing_metadata: unit(3),
  proxy_on_queue_ready: unit(2),
  proxy_on_foreign_function: unit(3),
  proxy_on_done: word(1),
  proxy_on_log: unit(1),
  proxy_on_delete: unit(1),
};

/** Per ABI: 0.1.0's header callbacks take (context_id, num_headers); 0.2.x adds end_of_stream. */
export const CALLBACK_SHAPES: Readonly<Record<AbiVersion, Readonly<Record<string, CallbackShape>>>> = {
  '0.1.0': { ...COMMON_CALLBACKS, proxy_on_request_headers: word(2), proxy_on_response_headers: word(2) },
  '0.2.0': { ...COMMON_CALLBACKS, proxy_on_request_headers: word(3), proxy_on_response_headers: word(3) },
  '0.2.1': { ...COMMON_CALLBACKS, proxy_on_request_headers: word(3), proxy_on_response_headers: word(3) },
};

export const HTTP_CALLBACKS = [
  'proxy_on_request_headers',
  'proxy_on_request_body',
  'proxy_on_request_trailers',
  'proxy_on_response_headers',
  'proxy_on_response_body',
  'proxy_on_response_trailers',
] as const;

export const NETWORK_CALLBACKS = [
  'proxy_on_new_connection',
  'proxy_on_downstream_data',
  'proxy_on_upstream_data',
  'proxy_on_downstream_connection_close',
  'proxy_on_upstream_connection_close',
] as const;

/**
 * What the C++ host lets a module call while it runs _initialize/_start/main (wasm.cc startVm,
 * setRestrictedCallback): logging, WASI. Anything else traps with "restricted_callback".
 */
export const ALLOWED_DURING_START: ReadonlySet<string> = new Set([
  'env.emscripten_notify_memory_growth',
  'env.proxy_log',
  ...[
    'fd_write', 'args_sizes_get', 'args_get', 'environ_sizes_get', 'environ_get', 'clock_time_get', 'clock_res_get',
    'random_get', 'poll_oneoff', 'fd_fdstat_get', 'fd_fdstat_set_flags', 'fd_advise', 'fd_allocate', 'fd_datasync',
    'fd_fdstat_set_rights', 'fd_filestat_get', 'fd_filestat_set_size', 'fd_filestat_set_times', 'fd_pread',
    'fd_prestat_dir_name', 'fd_prestat_get', 'fd_pwrite', 'fd_readdir', 'fd_renumber', 'fd_sync', 'fd_tell',
    'path_create_directory', 'path_filestat_get', 'path_filestat_set_times', 'path_link', 'path_readlink',
    'path_remove_directory', 'path_rename', 'path_symlink', 'path_unlink_file', 'sock_accept', 'sock_recv',
    'sock_send', 'sock_shutdown',
  ].flatMap((name) => [`wasi_unstable.${name}`, `wasi_snapshot_preview1.${name}`]),
]);
