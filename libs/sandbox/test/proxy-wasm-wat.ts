/**
 * Test modules for the sandbox, written in WebAssembly text: a Proxy-Wasm plugin's prelude (ABI marker, memory,
 * allocator, a root/stream context id kept in globals, small logging helpers) around callbacks a test writes.
 * Strings are placed in the data section by `str`, which returns "(i32.const ptr) (i32.const len)".
 */

const i = (n: number): string => Array(n).fill('i32').join(' ');

/** Import types as the host gives them. */
export const ENV_IMPORTS: Readonly<Record<string, string>> = {
  proxy_log: `(param ${i(3)}) (result i32)`,
  proxy_get_log_level: '(param i32) (result i32)',
  proxy_get_property: `(param ${i(4)}) (result i32)`,
  proxy_set_property: `(param ${i(4)}) (result i32)`,
  proxy_get_configuration: `(param ${i(2)}) (result i32)`,
  proxy_get_status: `(param ${i(3)}) (result i32)`,
  proxy_send_local_response: `(param ${i(8)}) (result i32)`,
  proxy_continue_request: '(result i32)',
  proxy_continue_response: '(result i32)',
  proxy_continue_stream: '(param i32) (result i32)',
  proxy_close_stream: '(param i32) (result i32)',
  proxy_get_header_map_value: `(param ${i(5)}) (result i32)`,
  proxy_add_header_map_value: `(param ${i(5)}) (result i32)`,
  proxy_replace_header_map_value: `(param ${i(5)}) (result i32)`,
  proxy_remove_header_map_value: `(param ${i(3)}) (result i32)`,
  proxy_get_header_map_pairs: `(param ${i(3)}) (result i32)`,
  proxy_set_header_map_pairs: `(param ${i(3)}) (result i32)`,
  proxy_get_header_map_size: `(param ${i(2)}) (result i32)`,
  proxy_get_buffer_bytes: `(param ${i(5)}) (result i32)`,
  proxy_set_buffer_bytes: `(param ${i(5)}) (result i32)`,
  proxy_get_buffer_status: `(param ${i(3)}) (result i32)`,
  proxy_http_call: `(param ${i(10)}) (result i32)`,
  proxy_grpc_call: `(param ${i(12)}) (result i32)`,
  proxy_grpc_stream: `(param ${i(9)}) (result i32)`,
  proxy_set_effective_context: '(param i32) (result i32)',
  proxy_define_metric: `(param ${i(4)}) (result i32)`,
  proxy_increment_metric: '(param i32 i64) (result i32)',
  proxy_record_metric: '(param i32 i64) (result i32)',
  proxy_get_metric: `(param ${i(2)}) (result i32)`,
  proxy_get_shared_data: `(param ${i(5)}) (result i32)`,
  proxy_set_shared_data: `(param ${i(5)}) (result i32)`,
  proxy_register_shared_queue: `(param ${i(3)}) (result i32)`,
  proxy_resolve_shared_queue: `(param ${i(5)}) (result i32)`,
  proxy_enqueue_shared_queue: `(param ${i(3)}) (result i32)`,
  proxy_dequeue_shared_queue: `(param ${i(3)}) (result i32)`,
  proxy_set_tick_period_milliseconds: '(param i32) (result i32)',
  proxy_get_current_time_nanoseconds: '(param i32) (result i32)',
};

export const WASI_IMPORTS: Readonly<Record<string, string>> = {
  fd_write: `(param ${i(4)}) (result i32)`,
  fd_read: `(param ${i(4)}) (result i32)`,
  environ_sizes_get: `(param ${i(2)}) (result i32)`,
  args_sizes_get: `(param ${i(2)}) (result i32)`,
  path_open: '(param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)',
  clock_time_get: '(param i32 i64 i32) (result i32)',
  random_get: `(param ${i(2)}) (result i32)`,
  proc_exit: '(param i32)',
};

/** Fixed scratch addresses the callbacks use for the host's return values. */
export const RET = { ptr: 32, size: 36, word: 40, u64: 48 } as const;

export interface PluginOptions {
  /** e.g. '0.2.1'; null: no marker. */
  abi?: string | null;
  /** env functions besides proxy_log (always imported). */
  env?: string[];
  /** wasi_snapshot_preview1 functions. */
  wasi?: string[];
  /** Raw import lines (unknown imports, other modules). */
  extraImports?: string[];
  allocator?: 'proxy_on_memory_allocate' | 'malloc' | 'none';
  /** 'imported': env.memory, with this maximum in pages (none when omitted). */
  memory?: { imported: true; maximum?: number };
  /** Define proxy_on_context_create keeping the ids in $root / $ctx (default true). */
  contextCreate?: boolean;
  body: string;
}

export class PluginWat {
  private readonly strings = new Map<string, { at: number; bytes: Uint8Array }>();
  private next = 1024;

  /** A string (or bytes) in the data section, as two i32 operands: pointer and length. */
  str(value: string | Uint8Array): string {
    const { at, bytes } = this.place(value);
    return `(i32.const ${at}) (i32.const ${bytes.length})`;
  }

  ptr(value: string | Uint8Array): number {
    return this.place(value).at;
  }

  private place(value: string | Uint8Array): { at: number; bytes: Uint8Array } {
    const key = typeof value === 'string' ? `s:${value}` : `b:${Buffer.from(value).toString('hex')}`;
    let entry = this.strings.get(key);
    if (!entry) {
      const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
      entry = { at: this.next, bytes };
      this.strings.set(key, entry);
      this.next += Math.max(bytes.length, 1) + 8 - ((Math.max(bytes.length, 1)) % 8);
    }
    return entry;
  }

  build(options: PluginOptions): string {
    const { abi = '0.2.1', env = [], wasi = [], extraImports = [], allocator = 'proxy_on_memory_allocate', contextCreate = true } = options;
    const memory = options.memory
      ? `(import "env" "memory" (memory 4${options.memory.maximum === undefined ? '' : ` ${options.memory.maximum}`}))`
      : '(memory (export "memory") 4)';
    const imports = [
      `(import "env" "proxy_log" (func $proxy_log ${ENV_IMPORTS.proxy_log}))`,
      ...env.map((name) => `(import "env" "${name}" (func $${name} ${ENV_IMPORTS[name]}))`),
      ...wasi.map((name) => `(import "wasi_snapshot_preview1" "${name}" (func $${name} ${WASI_IMPORTS[name]}))`),
      ...extraImports,
      ...(options.memory ? [memory] : []),
    ];
    const data = [...this.strings.values()].map(
      ({ at, bytes }) => `(data (i32.const ${at}) "${[...bytes].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('')}")`,
    );
    if (this.next > 8192) throw new Error('test strings overflow the data area');
    return `(module
  ${imports.join('\n  ')}
  ${options.memory ? '' : memory}
  ${data.join('\n  ')}
  (global $heap (mut i32) (i32.const 8192))
  (global $root (mut i32) (i32.const 0))
  (global $ctx (mut i32) (i32.const 0))
  ${abi ? `(func (export "proxy_abi_version_${abi.replaceAll('.', '_')}"))` : ''}
  ${
    allocator === 'none'
      ? ''
      : `(func (export "${allocator}") (param $size i32) (result i32)
    (local $at i32)
    (local.set $at (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (i32.and (i32.add (local.get $size) (i32.const 7)) (i32.const -8))))
    (local.get $at))`
  }
  ${
    contextCreate
      ? `(func (export "proxy_on_context_create") (param $id i32) (param $parent i32)
    (if (i32.eqz (local.get $parent)) (then (global.set $root (local.get $id))) (else (global.set $ctx (local.get $id)))))`
      : ''
  }
  ;; Logs bytes at info.
  (func $log (param $ptr i32) (param $len i32) (drop (call $proxy_log (i32.const 2) (local.get $ptr) (local.get $len))))
  ;; Logs a number 0..99 as two digits, e.g. a WasmResult code: "06".
  (func $log_code (param $code i32)
    (i32.store8 (i32.const 24) (i32.add (i32.const 48) (i32.div_u (local.get $code) (i32.const 10))))
    (i32.store8 (i32.const 25) (i32.add (i32.const 48) (i32.rem_u (local.get $code) (i32.const 10))))
    (call $log (i32.const 24) (i32.const 2)))
  ;; Logs what the host returned through RET.ptr / RET.size.
  (func $log_returned (call $log (i32.load (i32.const ${RET.ptr})) (i32.load (i32.const ${RET.size}))))
  ${options.body}
)`;
  }
}

/** Header pairs serialized as the host reads them (count, sizes, NUL-terminated strings). */
export function pairsBytes(pairs: [string, string][]): Uint8Array {
  const enc = new TextEncoder();
  const parts = pairs.map(([k, v]) => [enc.encode(k), enc.encode(v)] as const);
  const out: number[] = [];
  const u32 = (n: number): void => {
    out.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  };
  u32(parts.length);
  for (const [k, v] of parts) {
    u32(k.length);
    u32(v.length);
  }
  for (const [k, v] of parts) out.push(...k, 0, ...v, 0);
  return Uint8Array.from(out);
}
