import { compileWat } from '../../testing/src/wasm-fixtures.js';

/** Test support: Proxy-Wasm plugins that fit a network filter chain, and one no host links. */

/** A TCP (network) filter, ABI 0.2.1: connection and downstream data callbacks, no HTTP ones. `tag` changes the bytes. */
export function networkFilterWat(tag = 'tcp'): string {
  return `(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "${tag.replace(/[^a-zA-Z0-9 ._-]/g, '')}")
  (global $heap (mut i32) (i32.const 1024))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $at i32)
    (local.set $at (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $size)))
    (local.get $at))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_new_connection") (param i32) (result i32) (i32.const 0))
  (func (export "proxy_on_downstream_data") (param i32 i32 i32) (result i32)
    (drop (call $log (i32.const 2) (i32.const 16) (i32.const ${Math.min(tag.length, 32)})))
    (i32.const 0))
)`;
}

export const networkFilter = (tag = 'tcp'): Promise<Buffer> => compileWat(networkFilterWat(tag), `network-${tag}.wat`);

/** An HTTP filter importing a host function no Proxy-Wasm host provides: the default policy rejects it. */
export const unlinkableFilter = (): Promise<Buffer> =>
  compileWat(
    `(module
  (import "env" "proxy_log" (func (param i32 i32 i32) (result i32)))
  (import "env" "proxy_made_up" (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0)))`,
    'unlinkable.wat',
  );
