import { compileWat } from './wasm-fixtures.js';

/**
 * Proxy-Wasm plugins (ABI 0.2.1) that misbehave when run, for the sandbox's runner (issue 14): each links
 * and starts like a real filter, then loops, grows its memory, traps, hands the host pointers outside its
 * memory, or calls out without end. Written in WebAssembly text so that the bad part is plain to read.
 */

/** WasmResult::InvalidMemoryAccess in proxy-wasm-cpp-host. */
export const INVALID_MEMORY_ACCESS = 6;

interface PluginParts {
  /** Imports from "env" (or WASI), in WAT. */
  imports?: string;
  /** The memory declaration; default one page, exported. */
  memory?: string;
  /** Exported callbacks, in WAT; proxy_on_context_create is added when not among them. */
  callbacks: string;
}

/** A minimal HTTP filter around `callbacks`: ABI marker, memory, a bump allocator. */
export function hostilePluginWat(parts: PluginParts): string {
  const contextCreate = parts.callbacks.includes('"proxy_on_context_create"') ? '' : '(func (export "proxy_on_context_create") (param i32 i32))';
  return `(module
  ${parts.imports ?? ''}
  ${parts.memory ?? '(memory (export "memory") 1)'}
  (global $heap (mut i32) (i32.const 4096))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $at i32)
    (local.set $at (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $size)))
    (local.get $at))
  ${contextCreate}
  ${parts.callbacks}
)`;
}

const requestHeaders = (body: string): string => `(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) ${body})`;
const FOREVER = '(loop $forever (br $forever)) (i32.const 0)';

/** proxy_on_vm_start never returns. */
export const loopAtVmStart = (): Promise<Buffer> =>
  compileWat(hostilePluginWat({ callbacks: `(func (export "proxy_on_vm_start") (param i32 i32) (result i32) ${FOREVER})\n  ${requestHeaders('(i32.const 0)')}` }), 'loop-at-vm-start.wat');

/** Starts well; proxy_on_request_headers never returns. */
export const loopInRequestHeaders = (): Promise<Buffer> =>
  compileWat(hostilePluginWat({ callbacks: requestHeaders(FOREVER) }), 'loop-in-request-headers.wat');

/** proxy_on_vm_start grows memory a page at a time until memory.grow fails, then traps, as allocators abort. */
export const memoryGrowBomb = (): Promise<Buffer> =>
  compileWat(
    hostilePluginWat({
      callbacks: `(func (export "proxy_on_vm_start") (param i32 i32) (result i32)
    (loop $more
      (br_if $more (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    unreachable)
  ${requestHeaders('(i32.const 0)')}`,
    }),
    'memory-grow-bomb.wat',
  );

/**
 * proxy_on_vm_start grows a table without end: tables live in V8's heap, not in the linear memory, so this
 * exhausts the heap of whatever runs it (a worker thread's resourceLimits do not stop it: V8 aborts the process).
 */
export const tableGrowBomb = (): Promise<Buffer> =>
  compileWat(
    hostilePluginWat({
      callbacks: `(table $grown 1 funcref)
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
    (loop $more
      (drop (table.grow $grown (ref.null func) (i32.const 10000)))
      (br $more))
    (i32.const 1))
  ${requestHeaders('(i32.const 0)')}`,
    }),
    'table-grow-bomb.wat',
  );

/** A memory of `pages` pages from the start (32,768 pages: 2 GiB). */
export const hugeInitialMemory = (pages = 32_768): Promise<Buffer> =>
  compileWat(hostilePluginWat({ memory: `(memory (export "memory") ${pages})`, callbacks: requestHeaders('(i32.const 0)') }), 'huge-initial-memory.wat');

const HTTP_CALLBACKS: [name: string, params: number, returns: boolean][] = [
  ['proxy_on_request_headers', 3, true],
  ['proxy_on_request_body', 3, true],
  ['proxy_on_request_trailers', 2, true],
  ['proxy_on_response_headers', 3, true],
  ['proxy_on_response_body', 3, true],
  ['proxy_on_response_trailers', 2, true],
  ['proxy_on_log', 1, false],
  ['proxy_on_done', 1, true],
  ['proxy_on_delete', 1, false],
];

const trapping = ([name, params, returns]: [string, number, boolean]): string =>
  `(func (export "${name}") (param${' i32'.repeat(params)})${returns ? ' (result i32)' : ''} unreachable)`;

/** Every callback traps, proxy_on_context_create (the host's first call) included. */
export const trapEverywhere = (): Promise<Buffer> =>
  compileWat(
    hostilePluginWat({
      callbacks: [
        ['proxy_on_context_create', 2, false],
        ['proxy_on_vm_start', 2, true],
        ['proxy_on_configure', 2, true],
        ['proxy_on_tick', 1, false],
        ...HTTP_CALLBACKS,
      ]
        .map((callback) => trapping(callback as [string, number, boolean]))
        .join('\n  '),
    }),
    'trap-everywhere.wat',
  );

/** Starts and accepts its configuration, then traps in every HTTP callback. */
export const trapInEveryRequestCallback = (): Promise<Buffer> =>
  compileWat(hostilePluginWat({ callbacks: HTTP_CALLBACKS.map(trapping).join('\n  ') }), 'trap-in-request-callbacks.wat');

/**
 * proxy_on_vm_start hands the host pointers and lengths outside its one page of memory, in every host call
 * it makes, and returns true only when each answered InvalidMemoryAccess (without trapping).
 */
export const outOfRangePointers = (): Promise<Buffer> => {
  const expectInvalid = (call: string): string => `(local.set $ok (i32.and (local.get $ok) (i32.eq ${call} (i32.const ${INVALID_MEMORY_ACCESS}))))`;
  return compileWat(
    hostilePluginWat({
      imports: `(import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_property" (func $get_property (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_http_call" (func $http_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))`,
      callbacks: `(data (i32.const 16) "plugin_name")
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
    (local $ok i32)
    (local.set $ok (i32.const 1))
    ${expectInvalid('(call $log (i32.const 2) (i32.const 0xfffffff0) (i32.const 16))')}
    ${expectInvalid('(call $log (i32.const 2) (i32.const 16) (i32.const -1))')}
    ${expectInvalid('(call $log (i32.const 2) (i32.const 65530) (i32.const 16))')}
    ${expectInvalid('(call $get_property (i32.const 0x7ffffff0) (i32.const 11) (i32.const 64) (i32.const 68))')}
    ${expectInvalid('(call $get_property (i32.const 16) (i32.const 11) (i32.const 0xfffffffc) (i32.const 68))')}
    ${expectInvalid('(call $http_call (i32.const 16) (i32.const 0x7fffffff) (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1000) (i32.const 72))')}
    (local.get $ok))
  ${requestHeaders('(i32.const 0)')}`,
    }),
    'out-of-range-pointers.wat',
  );
};

/** Serialized header map as Proxy-Wasm marshals it: count, (name size, value size)…, then each name\0value\0. */
function serializedHeaders(pairs: [string, string][]): Buffer {
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  return Buffer.concat([
    u32(pairs.length),
    ...pairs.flatMap(([name, value]) => [u32(Buffer.byteLength(name)), u32(Buffer.byteLength(value))]),
    ...pairs.flatMap(([name, value]) => [Buffer.from(`${name}\0${value}\0`)]),
  ]);
}

const watBytes = (bytes: Buffer): string => Array.from(bytes, (b) => `\\${b.toString(16).padStart(2, '0')}`).join('');

/** The first request's proxy_on_request_headers calls proxy_http_call `count` times (100,000 by default). */
export const httpCallFlood = (count = 100_000): Promise<Buffer> => {
  const upstream = Buffer.from('flood_cluster');
  const headers = serializedHeaders([[':method', 'GET'], [':path', '/flood'], [':authority', 'flood.example']]);
  return compileWat(
    hostilePluginWat({
      imports: '(import "env" "proxy_http_call" (func $http_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))',
      callbacks: `(data (i32.const 16) "${watBytes(upstream)}")
  (data (i32.const 256) "${watBytes(headers)}")
  (global $flooded (mut i32) (i32.const 0))
  (func (export "proxy_on_http_call_response") (param i32 i32 i32 i32 i32))
  ${requestHeaders(`(local $i i32)
    (if (i32.eqz (global.get $flooded))
      (then
        (global.set $flooded (i32.const 1))
        (loop $again
          (drop (call $http_call (i32.const 16) (i32.const ${upstream.length}) (i32.const 256) (i32.const ${headers.length})
            (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 5000) (i32.const 128)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $again (i32.lt_u (local.get $i) (i32.const ${count}))))))
    (i32.const 0)`)}`,
    }),
    'http-call-flood.wat',
  );
};

/**
 * Reads its own environment and preopened directories through WASI, as a module would look for secrets:
 * proxy_on_vm_start returns true only when environ_sizes_get counts no variable and fd 3 is no preopen (EBADF).
 */
export const environmentReader = (): Promise<Buffer> =>
  compileWat(
    hostilePluginWat({
      imports: `(import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))`,
      callbacks: `(func (export "proxy_on_vm_start") (param i32 i32) (result i32)
    (i32.store (i32.const 64) (i32.const -1))
    (if (call $environ_sizes_get (i32.const 64) (i32.const 68)) (then (return (i32.const 0))))
    (if (i32.ne (i32.load (i32.const 64)) (i32.const 0)) (then (return (i32.const 0))))
    ;; 8: EBADF, no directory was preopened
    (i32.eq (call $fd_prestat_get (i32.const 3) (i32.const 72)) (i32.const 8)))
  ${requestHeaders('(i32.const 0)')}`,
    }),
    'environment-reader.wat',
  );

/** A well-behaved filter that counts its requests in a header: the control beside a hostile one. */
export const wellBehavedFilter = (): Promise<Buffer> =>
  compileWat(
    hostilePluginWat({
      imports: '(import "env" "proxy_add_header_map_value" (func $add_header (param i32 i32 i32 i32 i32) (result i32)))',
      callbacks: `(data (i32.const 16) "x-sandbox-checked")
  (data (i32.const 48) "yes")
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  ${requestHeaders('(drop (call $add_header (i32.const 0) (i32.const 16) (i32.const 17) (i32.const 48) (i32.const 3))) (i32.const 0)')}`,
    }),
    'well-behaved.wat',
  );
