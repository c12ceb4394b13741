import { hostilePluginWat, loopAtVmStart } from '../testing/hostile-plugins.js';
import { compileWat } from '../testing/wasm-fixtures.js';

/**
 * A small HTTP filter (ABI 0.2.1, in WAT) that does what the trial should see: accepts a
 * configuration that starts with "{" (or is empty) and refuses anything else, adds `x-plugin: on`
 * to every request, and answers POST /login itself with 401. `withHttpCall` adds an import of
 * proxy_http_call (never called): a new capability for the capability diff.
 */
export function trialPluginWat(withHttpCall = false): string {
  return hostilePluginWat({
    imports: `(import "env" "proxy_get_buffer_bytes" (func $buffer (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $get (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_send_local_response" (func $respond (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  ${withHttpCall ? '(import "env" "proxy_http_call" (func $call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))' : ''}`,
    callbacks: `(data (i32.const 16) "x-plugin")
  (data (i32.const 32) "on")
  (data (i32.const 48) ":path")
  (data (i32.const 64) "denied")
  (data (i32.const 80) "no_token")
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32)
    (if (i32.eqz (local.get $size)) (then (return (i32.const 1))))
    (drop (call $buffer (i32.const 7) (i32.const 0) (local.get $size) (i32.const 256) (i32.const 260)))
    (i32.eq (i32.load8_u (i32.load (i32.const 256))) (i32.const 123)))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (local $path i32)
    (drop (call $add (i32.const 0) (i32.const 16) (i32.const 8) (i32.const 32) (i32.const 2)))
    (drop (call $get (i32.const 0) (i32.const 48) (i32.const 5) (i32.const 264) (i32.const 268)))
    (local.set $path (i32.load (i32.const 264)))
    (if (i32.and
          (i32.eq (i32.load (i32.const 268)) (i32.const 6))
          (i32.and (i32.eq (i32.load (local.get $path)) (i32.const 0x676f6c2f)) (i32.eq (i32.load16_u offset=4 (local.get $path)) (i32.const 0x6e69))))
      (then
        (drop (call $respond (i32.const 401) (i32.const 80) (i32.const 8) (i32.const 64) (i32.const 6) (i32.const 0) (i32.const 0) (i32.const -1)))
        (return (i32.const 1))))
    (i32.const 0))`,
  });
}

export const trialPlugin = (withHttpCall = false): Promise<Buffer> => compileWat(trialPluginWat(withHttpCall), `trial-plugin${withHttpCall ? '-http-call' : ''}.wat`);

export { loopAtVmStart };
