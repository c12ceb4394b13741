import wabtFactory from 'wabt';
import { encodeUnsignedLeb128 } from '../../libs/analysis/index.js';

/**
 * Proxy-Wasm plugins built from source for the demo catalog: WebAssembly text
 * generated from what a plugin does (its features), compiled by wabt, with a
 * `producers` section naming the toolchain. Every module is one a Proxy-Wasm
 * host links: it imports only `env` functions of its ABI version (and the WASI
 * functions every host provides), with the signatures of the spec.
 */

export type AbiVersion = '0.1.0' | '0.2.0' | '0.2.1';

/** What a plugin does, and so which host functions it imports and which callbacks it exports. */
export type Feature =
  /** Reads a request header (the catalog's `header`, or authorization). */
  | 'read-headers'
  /** Adds request headers and rewrites response headers. */
  | 'write-headers'
  /** Answers a request itself (401, 403, 429 …). */
  | 'local-response'
  /** Calls out over HTTP and resumes the request when the answer arrives. */
  | 'http-call'
  /** Calls out over gRPC. */
  | 'grpc-call'
  /** Defines and updates counters and histograms. */
  | 'metrics'
  /** Reads and writes key-value data shared by every worker of the VM. */
  | 'shared-data'
  /** Hands records to a shared queue that the root context drains. */
  | 'shared-queue'
  /** Reads connection and request properties (source address, route …). */
  | 'properties'
  /** Inspects request bodies. */
  | 'request-body'
  /** Inspects and rewrites response bodies. */
  | 'response-body'
  /** Runs periodic work on a timer. */
  | 'timer'
  /** Writes a line when the stream is done. */
  | 'access-log'
  /** A network (TCP) filter instead of an HTTP one. */
  | 'tcp';

export interface Toolchain {
  /** The producers section's `language` value, e.g. ["Rust", ""]. */
  language: readonly [name: string, version: string];
  processedBy: readonly [name: string, version: string];
  sdk: readonly [name: string, version: string] | null;
  /** WASI preview1 functions the toolchain's runtime imports (all linked by every host since 2020). */
  wasi: readonly WasiFunction[];
  /** The module WASI functions are imported from: older toolchains used wasi_unstable. */
  wasiModule: 'wasi_snapshot_preview1' | 'wasi_unstable';
  /** The start function the toolchain exports, if any. */
  entryPoint: '_initialize' | '_start' | null;
}

type WasiFunction = 'fd_write' | 'random_get' | 'clock_time_get' | 'proc_exit';

export interface PluginModuleSpec {
  /** `namespace/name`, written into the module. */
  plugin: string;
  version: string;
  abi: AbiVersion;
  toolchain: Toolchain;
  features: readonly Feature[];
  /** The request header a plugin that reads headers looks at. */
  header?: string;
}

// Signatures from proxy-wasm/spec abi-versions (v0.1.0, v0.2.0, v0.2.1): every parameter is an i32 but the metric values.
const HOST_SIGNATURES: Readonly<Record<string, string>> = {
  proxy_log: '(param i32 i32 i32) (result i32)',
  proxy_get_log_level: '(param i32) (result i32)',
  proxy_get_current_time_nanoseconds: '(param i32) (result i32)',
  proxy_set_tick_period_milliseconds: '(param i32) (result i32)',
  proxy_get_configuration: '(param i32 i32) (result i32)',
  proxy_get_buffer_bytes: '(param i32 i32 i32 i32 i32) (result i32)',
  proxy_set_buffer_bytes: '(param i32 i32 i32 i32 i32) (result i32)',
  proxy_get_header_map_value: '(param i32 i32 i32 i32 i32) (result i32)',
  proxy_get_header_map_pairs: '(param i32 i32 i32) (result i32)',
  proxy_add_header_map_value: '(param i32 i32 i32 i32 i32) (result i32)',
  proxy_replace_header_map_value: '(param i32 i32 i32 i32 i32) (result i32)',
  proxy_remove_header_map_value: '(param i32 i32 i32) (result i32)',
  proxy_send_local_response: '(param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)',
  proxy_continue_stream: '(param i32) (result i32)',
  proxy_continue_request: '(result i32)',
  proxy_http_call: '(param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)',
  proxy_grpc_call: '(param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)',
  proxy_define_metric: '(param i32 i32 i32 i32) (result i32)',
  proxy_increment_metric: '(param i32 i64) (result i32)',
  proxy_record_metric: '(param i32 i64) (result i32)',
  proxy_get_property: '(param i32 i32 i32 i32) (result i32)',
  proxy_get_shared_data: '(param i32 i32 i32 i32 i32) (result i32)',
  proxy_set_shared_data: '(param i32 i32 i32 i32 i32) (result i32)',
  proxy_register_shared_queue: '(param i32 i32 i32) (result i32)',
  proxy_enqueue_shared_queue: '(param i32 i32 i32) (result i32)',
  proxy_dequeue_shared_queue: '(param i32 i32 i32) (result i32)',
};

const WASI_SIGNATURES: Readonly<Record<WasiFunction, string>> = {
  fd_write: '(param i32 i32 i32 i32) (result i32)',
  random_get: '(param i32 i32) (result i32)',
  clock_time_get: '(param i32 i64 i32) (result i32)',
  proc_exit: '(param i32)',
};

// Enumerations of the ABI.
const LOG = { debug: 1, info: 2, warn: 3 } as const;
const MAP = { requestHeaders: 0, responseHeaders: 2, httpCallResponseHeaders: 6 } as const;
const BUFFER = { requestBody: 0, responseBody: 1, downstreamData: 2, pluginConfiguration: 7 } as const;
const METRIC = { counter: 0, histogram: 2 } as const;
const ACTION = { continue: 0, pause: 1 } as const;

// Where the host writes what a call returns (a pointer and a size, or an id); strings start above.
const RETURN_DATA = 16;
const RETURN_SIZE = 20;
// Eight bytes for a CAS, a time or a log level.
const SCRATCH = 24;
const STRINGS_START = 256;
// The allocator hands out memory from the second page on.
const HEAP_START = 65536;
// A plugin that answers on its own without reading headers is a token bucket refilled by the timer.
const TOKENS_PER_TICK = 100;

/** The text of one module; strings go into data segments, host functions are imported on first use. */
class ModuleText {
  private readonly imports = new Map<string, string>();
  private readonly data: string[] = [];
  private readonly strings = new Map<string, number>();
  private nextString = STRINGS_START;

  constructor(private readonly toolchain: Toolchain) {}

  /** `(call $proxy_… args)` for a host function, imported on first use. */
  host(name: string, ...args: string[]): string {
    const signature = HOST_SIGNATURES[name];
    if (signature === undefined) throw new Error(`no signature for host function ${name}`);
    this.imports.set(name, `(import "env" "${name}" (func $${name} ${signature}))`);
    return `(call $${name}${args.map((a) => ` ${a}`).join('')})`;
  }

  /** A host call whose status the plugin does not look at. */
  hostStatement(name: string, ...args: string[]): string {
    return `(drop ${this.host(name, ...args)})`;
  }

  wasiImports(): void {
    for (const name of this.toolchain.wasi) {
      this.imports.set(`wasi:${name}`, `(import "${this.toolchain.wasiModule}" "${name}" (func $wasi_${name} ${WASI_SIGNATURES[name]}))`);
    }
  }

  /** A string in linear memory, as the pointer and length arguments of a call. */
  string(value: string): string {
    const bytes = Buffer.from(value, 'utf8');
    let at = this.strings.get(value);
    if (at === undefined) {
      at = this.nextString;
      this.strings.set(value, at);
      this.data.push(`(data (i32.const ${at}) "${escapeWatString(bytes)}")`);
      this.nextString = at + bytes.length + ((8 - (bytes.length % 8)) % 8);
      if (this.nextString >= HEAP_START) throw new Error('the strings do not fit into the first page');
    }
    return `(i32.const ${at}) (i32.const ${bytes.length})`;
  }

  log(level: number, message: string): string {
    return this.hostStatement('proxy_log', `(i32.const ${level})`, this.string(message));
  }

  render(body: string[]): string {
    return ['(module', ...[...this.imports.values(), ...body, ...this.data].map((line) => `  ${line}`), ')', ''].join('\n');
  }
}

function escapeWatString(bytes: Buffer): string {
  let text = '';
  for (const byte of bytes) {
    text += byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c ? String.fromCharCode(byte) : `\\${byte.toString(16).padStart(2, '0')}`;
  }
  return text;
}

const i32 = (value: number): string => `(i32.const ${value})`;

/** The WebAssembly text of a plugin version. */
export function pluginModuleWat(spec: PluginModuleSpec): string {
  const m = new ModuleText(spec.toolchain);
  const has = (feature: Feature): boolean => spec.features.includes(feature);
  const legacy = spec.abi === '0.1.0';
  const [, name] = spec.plugin.split('/');
  const header = spec.header ?? 'authorization';
  // 0.1.0 header callbacks have no end_of_stream argument.
  const headerParams = legacy ? '(param $context i32) (param $headers i32)' : '(param $context i32) (param $headers i32) (param $end_of_stream i32)';
  const fields: string[] = [];

  // Exports first, in the order SDK builds have them: memory, the ABI marker, the allocator.
  fields.push('(memory (export "memory") 2)');
  fields.push(`(func (export "proxy_abi_version_${spec.abi.replaceAll('.', '_')}"))`);
  fields.push(`(global $heap (mut i32) ${i32(HEAP_START)})`);
  fields.push('(global $requests (mut i32) (i32.const 0))', '(global $latency (mut i32) (i32.const 0))', '(global $queue (mut i32) (i32.const 0))');
  fields.push(`(global $tokens (mut i32) ${i32(TOKENS_PER_TICK)})`);
  fields.push(
    `(func (export "${legacy ? 'malloc' : 'proxy_on_memory_allocate'}") (param $size i32) (result i32)`,
    '  (local $at i32) (local $end i32)',
    '  (local.set $at (global.get $heap))',
    '  (local.set $end (i32.and (i32.add (i32.add (local.get $at) (local.get $size)) (i32.const 7)) (i32.const -8)))',
    '  (if (i32.gt_u (local.get $end) (i32.shl (memory.size) (i32.const 16)))',
    '    (then (if (i32.lt_s (memory.grow (i32.add (i32.shr_u (i32.sub (local.get $end) (i32.shl (memory.size) (i32.const 16))) (i32.const 16)) (i32.const 1))) (i32.const 0))',
    '      (then (unreachable)))))',
    '  (global.set $heap (local.get $end))',
    '  (local.get $at))',
  );
  if (spec.toolchain.entryPoint !== null) fields.push(`(func (export "${spec.toolchain.entryPoint}"))`);
  m.wasiImports();

  fields.push('(func (export "proxy_on_context_create") (param $context i32) (param $parent i32))');
  fields.push(
    '(func (export "proxy_on_vm_start") (param $root i32) (param $vm_configuration_size i32) (result i32)',
    `  ${m.log(LOG.info, `${spec.plugin} ${spec.version} started`)}`,
    // Loggers skip formatting below the proxy's level; only 0.2.1 can ask for it.
    spec.abi === '0.2.1' && has('access-log') ? `  (drop ${m.host('proxy_get_log_level', i32(SCRATCH))})` : '',
    '  (i32.const 1))',
  );

  const configure: string[] = [];
  if (!legacy) {
    // Read through the plugin-configuration buffer, which 0.1.0 lacks. The demo's 0.1.0 plugins take no
    // configuration: its proxy_get_configuration is a function MOSN does not link.
    configure.push(
      '(if (i32.gt_u (local.get $configuration_size) (i32.const 0))',
      `  (then (drop ${m.host('proxy_get_buffer_bytes', i32(BUFFER.pluginConfiguration), i32(0), '(local.get $configuration_size)', i32(RETURN_DATA), i32(RETURN_SIZE))})))`,
    );
  }
  if (has('metrics')) {
    configure.push(
      `(drop ${m.host('proxy_define_metric', i32(METRIC.counter), m.string(`${name}_requests_total`), i32(RETURN_DATA))})`,
      `(global.set $requests (i32.load ${i32(RETURN_DATA)}))`,
      `(drop ${m.host('proxy_define_metric', i32(METRIC.histogram), m.string(`${name}_duration_ms`), i32(RETURN_DATA))})`,
      `(global.set $latency (i32.load ${i32(RETURN_DATA)}))`,
    );
  }
  if (has('timer')) configure.push(m.hostStatement('proxy_set_tick_period_milliseconds', i32(has('shared-queue') ? 1000 : 5000)));
  if (has('shared-queue')) {
    configure.push(`(drop ${m.host('proxy_register_shared_queue', m.string(`${name}-events`), i32(RETURN_DATA))})`, `(global.set $queue (i32.load ${i32(RETURN_DATA)}))`);
  }
  fields.push('(func (export "proxy_on_configure") (param $root i32) (param $configuration_size i32) (result i32)', ...configure.map((l) => `  ${l}`), '  (i32.const 1))');

  if (has('tcp')) {
    fields.push(
      '(func (export "proxy_on_new_connection") (param $context i32) (result i32)',
      has('properties') ? `  (drop ${m.host('proxy_get_property', m.string('source.address'), i32(RETURN_DATA), i32(RETURN_SIZE))})` : '',
      has('metrics') ? `  ${m.hostStatement('proxy_increment_metric', '(global.get $requests)', '(i64.const 1)')}` : '',
      `  ${i32(ACTION.continue)})`,
      '(func (export "proxy_on_downstream_data") (param $context i32) (param $size i32) (param $end_of_stream i32) (result i32)',
      `  (drop ${m.host('proxy_get_buffer_bytes', i32(BUFFER.downstreamData), i32(0), '(local.get $size)', i32(RETURN_DATA), i32(RETURN_SIZE))})`,
      has('shared-queue') ? `  ${m.hostStatement('proxy_enqueue_shared_queue', '(global.get $queue)', `(i32.load ${i32(RETURN_DATA)})`, `(i32.load ${i32(RETURN_SIZE)})`)}` : '',
      `  ${i32(ACTION.continue)})`,
      '(func (export "proxy_on_downstream_connection_close") (param $context i32) (param $peer i32))',
    );
  } else {
    const requestHeaders: string[] = [];
    if (has('metrics')) requestHeaders.push(m.hostStatement('proxy_increment_metric', '(global.get $requests)', '(i64.const 1)'));
    if (has('properties')) {
      requestHeaders.push(`(drop ${m.host('proxy_get_property', m.string('source.address'), i32(RETURN_DATA), i32(RETURN_SIZE))})`);
    }
    if (has('read-headers')) {
      const missing = `(i32.ne ${m.host('proxy_get_header_map_value', i32(MAP.requestHeaders), m.string(header), i32(RETURN_DATA), i32(RETURN_SIZE))} (i32.const 0))`;
      const refuse = has('local-response')
        ? `(then ${m.hostStatement('proxy_send_local_response', i32(401), m.string(`${name}: missing ${header}`), m.string('{"error":"unauthorized"}'), i32(0), i32(0), i32(-1))} (return ${i32(ACTION.pause)}))`
        : `(then ${m.log(LOG.debug, `${name}: no ${header} header`)})`;
      requestHeaders.push(`(if ${missing}`, `  ${refuse})`);
    } else if (has('local-response')) {
      // Without a header to judge by, a plugin answering by itself is a token bucket.
      requestHeaders.push(
        '(global.set $tokens (i32.sub (global.get $tokens) (i32.const 1)))',
        '(if (i32.lt_s (global.get $tokens) (i32.const 0))',
        `  (then ${m.hostStatement('proxy_send_local_response', i32(429), m.string(`${name}: over the limit`), m.string('too many requests'), i32(0), i32(0), i32(-1))} (return ${i32(ACTION.pause)})))`,
      );
    }
    if (has('shared-data')) {
      // State shared by every worker, written back with the CAS it was read with.
      requestHeaders.push(
        `(drop ${m.host('proxy_get_shared_data', m.string(`${name}:state`), i32(RETURN_DATA), i32(RETURN_SIZE), i32(SCRATCH))})`,
        `(drop ${m.host('proxy_set_shared_data', m.string(`${name}:state`), `(i32.load ${i32(RETURN_DATA)})`, `(i32.load ${i32(RETURN_SIZE)})`, `(i32.load ${i32(SCRATCH)})`)})`,
      );
    }
    if (has('write-headers')) {
      requestHeaders.push(m.hostStatement('proxy_add_header_map_value', i32(MAP.requestHeaders), m.string(`x-${name}`), m.string(spec.version)));
    }
    if (has('grpc-call')) {
      requestHeaders.push(
        `(drop ${m.host('proxy_grpc_call', m.string(`${name}-grpc`), m.string(`${name}.v1.Service`), m.string('Check'), i32(0), i32(0), i32(0), i32(0), i32(3000), i32(RETURN_DATA))})`,
      );
    }
    if (has('http-call')) {
      requestHeaders.push(
        `(drop ${m.host('proxy_http_call', m.string(`${name}-upstream`), i32(0), i32(0), i32(0), i32(0), i32(0), i32(0), i32(5000), i32(RETURN_DATA))})`,
        // The request waits for proxy_on_http_call_response.
        `(return ${i32(ACTION.pause)})`,
      );
    }
    fields.push(`(func (export "proxy_on_request_headers") ${headerParams} (result i32)`, ...requestHeaders.map((l) => `  ${l}`), `  ${i32(ACTION.continue)})`);

    if (has('request-body')) {
      fields.push(
        '(func (export "proxy_on_request_body") (param $context i32) (param $size i32) (param $end_of_stream i32) (result i32)',
        '  (if (i32.eqz (local.get $end_of_stream)) (then (return (i32.const 1))))',
        `  (drop ${m.host('proxy_get_buffer_bytes', i32(BUFFER.requestBody), i32(0), '(local.get $size)', i32(RETURN_DATA), i32(RETURN_SIZE))})`,
        `  ${i32(ACTION.continue)})`,
      );
    }
    if (has('write-headers') || has('response-body')) {
      fields.push(
        `(func (export "proxy_on_response_headers") ${headerParams} (result i32)`,
        has('write-headers') ? `  ${m.hostStatement('proxy_replace_header_map_value', i32(MAP.responseHeaders), m.string('server'), m.string('envoy'))}` : '',
        has('response-body') ? `  ${m.hostStatement('proxy_remove_header_map_value', i32(MAP.responseHeaders), m.string('content-length'))}` : '',
        `  ${i32(ACTION.continue)})`,
      );
    }
    if (has('response-body')) {
      fields.push(
        '(func (export "proxy_on_response_body") (param $context i32) (param $size i32) (param $end_of_stream i32) (result i32)',
        '  (if (i32.eqz (local.get $end_of_stream)) (then (return (i32.const 1))))',
        `  (drop ${m.host('proxy_get_buffer_bytes', i32(BUFFER.responseBody), i32(0), '(local.get $size)', i32(RETURN_DATA), i32(RETURN_SIZE))})`,
        `  (drop ${m.host('proxy_set_buffer_bytes', i32(BUFFER.responseBody), i32(0), '(local.get $size)', `(i32.load ${i32(RETURN_DATA)})`, `(i32.load ${i32(RETURN_SIZE)})`)})`,
        `  ${i32(ACTION.continue)})`,
      );
    }
    if (has('http-call')) {
      fields.push(
        '(func (export "proxy_on_http_call_response") (param $context i32) (param $token i32) (param $headers i32) (param $body_size i32) (param $trailers i32)',
        `  (drop ${m.host('proxy_get_header_map_value', i32(MAP.httpCallResponseHeaders), m.string(':status'), i32(RETURN_DATA), i32(RETURN_SIZE))})`,
        `  ${legacy ? m.hostStatement('proxy_continue_request') : m.hostStatement('proxy_continue_stream', i32(0))})`,
      );
    }
    if (has('grpc-call')) {
      fields.push(
        '(func (export "proxy_on_grpc_receive") (param $context i32) (param $token i32) (param $size i32))',
        '(func (export "proxy_on_grpc_close") (param $context i32) (param $token i32) (param $status i32))',
      );
    }
  }

  if (has('access-log') || has('metrics') || has('shared-queue')) {
    const log: string[] = [];
    if (has('metrics')) {
      log.push(
        `(drop ${m.host('proxy_get_current_time_nanoseconds', i32(SCRATCH))})`,
        m.hostStatement('proxy_record_metric', '(global.get $latency)', `(i64.div_u (i64.load ${i32(SCRATCH)}) (i64.const 1000000))`),
      );
    }
    if (has('access-log')) {
      log.push(`(drop ${m.host('proxy_get_header_map_pairs', i32(MAP.requestHeaders), i32(RETURN_DATA), i32(RETURN_SIZE))})`, m.log(LOG.info, `${name}: request done`));
    }
    if (has('shared-queue') && !has('tcp')) {
      log.push(m.hostStatement('proxy_enqueue_shared_queue', '(global.get $queue)', m.string(`{"plugin":"${name}"}`)));
    }
    fields.push('(func (export "proxy_on_log") (param $context i32)', ...log.map((l) => `  ${l}`), ')');
  }
  if (has('timer')) {
    fields.push(
      '(func (export "proxy_on_tick") (param $root i32)',
      `  (drop ${m.host('proxy_get_current_time_nanoseconds', i32(SCRATCH))})`,
      `  (global.set $tokens ${i32(TOKENS_PER_TICK)})`,
      has('shared-queue') ? `  (drop ${m.host('proxy_dequeue_shared_queue', '(global.get $queue)', i32(RETURN_DATA), i32(RETURN_SIZE))})` : '',
      ')',
    );
  }
  if (has('shared-queue')) {
    fields.push(
      '(func (export "proxy_on_queue_ready") (param $root i32) (param $queue i32)',
      `  (drop ${m.host('proxy_dequeue_shared_queue', '(local.get $queue)', i32(RETURN_DATA), i32(RETURN_SIZE))})`,
      ')',
    );
  }
  fields.push('(func (export "proxy_on_done") (param $context i32) (result i32) (i32.const 1))');
  fields.push('(func (export "proxy_on_delete") (param $context i32))');

  return m.render(fields.filter((line) => line !== ''));
}

type Wabt = Awaited<ReturnType<typeof wabtFactory>>;
let wabt: Promise<Wabt> | null = null;

/** Compiles a plugin version to a validated binary with its `producers` section. */
export async function buildPluginModule(spec: PluginModuleSpec): Promise<Buffer> {
  wabt ??= wabtFactory();
  const module = (await wabt).parseWat(`${spec.plugin}@${spec.version}.wat`, pluginModuleWat(spec), { mutable_globals: true, sign_extension: true, bulk_memory: true });
  try {
    module.validate();
    const binary = Buffer.from(module.toBinary({ log: false, write_debug_names: false }).buffer);
    return Buffer.concat([binary, customSection('producers', producersPayload(spec.toolchain))]);
  } finally {
    module.destroy();
  }
}

const leb128 = (value: number): Buffer => Buffer.from(encodeUnsignedLeb128(value));

function wasmName(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([leb128(bytes.length), bytes]);
}

/** Custom sections may follow the last known section; hosts and validators skip them. */
function customSection(name: string, payload: Buffer): Buffer {
  const body = Buffer.concat([wasmName(name), payload]);
  return Buffer.concat([Buffer.from([0]), leb128(body.length), body]);
}

/** https://github.com/WebAssembly/tool-conventions/blob/main/ProducersSection.md */
function producersPayload(toolchain: Toolchain): Buffer {
  const fields: [string, (readonly [string, string])[]][] = [
    ['language', [toolchain.language]],
    ['processed-by', [toolchain.processedBy]],
  ];
  if (toolchain.sdk !== null) fields.push(['sdk', [toolchain.sdk]]);
  return Buffer.concat([
    leb128(fields.length),
    ...fields.flatMap(([field, values]) => [wasmName(field), leb128(values.length), ...values.flatMap(([value, version]) => [wasmName(value), wasmName(version)])]),
  ]);
}
