import { encodeUnsignedLeb128 } from '../libs/analysis/index.js';
import { compileWat } from './wasm-fixtures.js';

/**
 * Modules for the analysis tests: WebAssembly text compiled by wabt (with the
 * post-MVP features the tests need), modules wabt would refuse to validate,
 * and custom sections built byte by byte.
 */

/** Compiles and validates WAT with the post-MVP features (tags, memory64, shared memory …). */
export function compileWatWithFeatures(source: string, name = 'analysis.wat'): Promise<Buffer> {
  return compileWat(source, { name });
}

/** Compiles WAT without type checking, for modules that decode but are invalid. */
export function compileWatUnchecked(source: string, name = 'unchecked.wat'): Promise<Buffer> {
  return compileWat(source, { name, validate: false });
}

/** Compiles WAT keeping the `name` section. */
export function compileWatWithNames(source: string): Promise<Buffer> {
  return compileWat(source, { name: 'named.wat', names: true });
}

/** Unsigned LEB128 as a Buffer, with the analyzer's own encoder. */
export const leb128 = (value: number): Buffer => Buffer.from(encodeUnsignedLeb128(value));

/** A Wasm `name`: LEB128 length then UTF-8 bytes. */
export function wasmName(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([leb128(bytes.length), bytes]);
}

export function section(id: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([id]), leb128(payload.length), payload]);
}

export function customSection(name: string, payload: Buffer): Buffer {
  return section(0, Buffer.concat([wasmName(name), payload]));
}

/** A `producers` payload: https://github.com/WebAssembly/tool-conventions/blob/main/ProducersSection.md */
export function producersPayload(fields: Record<string, [name: string, version: string][]>): Buffer {
  const entries = Object.entries(fields);
  return Buffer.concat([
    leb128(entries.length),
    ...entries.flatMap(([field, values]) => [
      wasmName(field),
      leb128(values.length),
      ...values.flatMap(([name, version]) => [wasmName(name), wasmName(version)]),
    ]),
  ]);
}

/** A `target_features` payload: prefix byte then feature name. */
export function targetFeaturesPayload(features: [prefix: string, name: string][]): Buffer {
  return Buffer.concat([
    leb128(features.length),
    ...features.flatMap(([prefix, name]) => [Buffer.from(prefix, 'latin1'), wasmName(name)]),
  ]);
}

export const WASM_HEADER = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

/** A core module made of the header and the given sections. */
export function moduleOf(...sections: Buffer[]): Buffer {
  return Buffer.concat([WASM_HEADER, ...sections]);
}

/**
 * A Proxy-Wasm plugin in WAT: the given imports (WAT import fields) and the
 * usual exports, with `extra` module fields appended.
 */
export function pluginWat(options: {
  imports?: string[];
  markers?: string[];
  allocator?: 'proxy_on_memory_allocate' | 'malloc' | null;
  memory?: 'export' | 'none';
  callbacks?: { name: string; params: number; result: boolean }[];
  extra?: string[];
}): string {
  const { imports = [], markers = ['proxy_abi_version_0_2_1'], allocator = 'proxy_on_memory_allocate', memory = 'export' } = options;
  const callbacks = options.callbacks ?? [];
  const params = (n: number) => (n > 0 ? `(param ${Array(n).fill('i32').join(' ')})` : '');
  return `(module
  ${imports.join('\n  ')}
  ${memory === 'export' ? '(memory (export "memory") 1)' : ''}
  ${markers.map((m) => `(func (export "${m}"))`).join('\n  ')}
  ${allocator ? `(func (export "${allocator}") (param i32) (result i32) (i32.const 1024))` : ''}
  ${callbacks.map((c) => `(func (export "${c.name}") ${params(c.params)} ${c.result ? '(result i32) (i32.const 0)' : ''})`).join('\n  ')}
  ${(options.extra ?? []).join('\n  ')}
)`;
}

/** An HTTP filter like the Rust SDK builds (ABI 0.2.1): headers, body, log, an HTTP call out, metrics, WASI clock and random. */
export const HTTP_FILTER_0_2_1 = pluginWat({
  imports: [
    '(import "env" "proxy_log" (func (param i32 i32 i32) (result i32)))',
    '(import "env" "proxy_get_header_map_value" (func (param i32 i32 i32 i32 i32) (result i32)))',
    '(import "env" "proxy_http_call" (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))',
    '(import "env" "proxy_define_metric" (func (param i32 i32 i32 i32) (result i32)))',
    '(import "env" "proxy_send_local_response" (func (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))',
    '(import "wasi_snapshot_preview1" "clock_time_get" (func (param i32 i64 i32) (result i32)))',
    '(import "wasi_snapshot_preview1" "random_get" (func (param i32 i32) (result i32)))',
  ],
  callbacks: [
    { name: 'proxy_on_context_create', params: 2, result: false },
    { name: 'proxy_on_vm_start', params: 2, result: true },
    { name: 'proxy_on_request_headers', params: 3, result: true },
    { name: 'proxy_on_response_headers', params: 3, result: true },
    { name: 'proxy_on_http_call_response', params: 5, result: false },
    { name: 'proxy_on_log', params: 1, result: false },
  ],
  extra: ['(func (export "_initialize"))'],
});

/** A TCP (network) filter, ABI 0.2.0, as TinyGo builds of the Go SDK look. */
export const TCP_FILTER_0_2_0 = pluginWat({
  markers: ['proxy_abi_version_0_2_0'],
  allocator: 'malloc',
  imports: [
    '(import "env" "proxy_get_buffer_bytes" (func (param i32 i32 i32 i32 i32) (result i32)))',
    '(import "env" "proxy_continue_stream" (func (param i32) (result i32)))',
    '(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))',
  ],
  callbacks: [
    { name: 'proxy_on_context_create', params: 2, result: false },
    { name: 'proxy_on_new_connection', params: 1, result: true },
    { name: 'proxy_on_downstream_data', params: 3, result: true },
    { name: 'proxy_on_upstream_data', params: 3, result: true },
    { name: 'proxy_on_downstream_connection_close', params: 2, result: false },
  ],
  extra: ['(func (export "_start"))'],
});
