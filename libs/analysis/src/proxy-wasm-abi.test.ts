import { describe, expect, it } from 'vitest';
import { restrictableCapabilities } from './proxy-wasm-abi.js';

const fn = (module: string, name: string) => ({ module, name, kind: 'function' });
const exported = (name: string, kind = 'function') => ({ name, kind });

describe('restrictableCapabilities: the names Envoy\'s C++ host checks against capability_restriction_config', () => {
  it('lists imported host functions by name and WASI functions by their bare name, once for both WASI modules', () => {
    const names = restrictableCapabilities(
      [
        fn('env', 'proxy_log'),
        fn('env', 'proxy_http_call'),
        fn('wasi_snapshot_preview1', 'fd_write'),
        fn('wasi_unstable', 'fd_write'),
        fn('wasi_snapshot_preview1', 'clock_time_get'),
      ],
      [],
      '0.2.1',
    );
    expect(names).toEqual(['clock_time_get', 'fd_write', 'proxy_http_call', 'proxy_log']);
  });

  it('lists the exported callbacks the host looks up, and leaves out what it never checks', () => {
    const names = restrictableCapabilities(
      [
        fn('env', 'proxy_log'),
        // Registered unchecked (wasm.cc registerCallbacks' first _REGISTER).
        fn('env', 'pthread_equal'),
        fn('env', 'emscripten_notify_memory_growth'),
        // Not a host function: Envoy refuses to link it, so there is nothing to allow.
        fn('env', 'proxy_made_up'),
        { module: 'env', name: 'memory', kind: 'memory' },
      ],
      [
        exported('proxy_abi_version_0_2_1'),
        exported('proxy_on_memory_allocate'),
        exported('malloc'),
        exported('_initialize'),
        exported('memory', 'memory'),
        exported('proxy_on_context_create'),
        exported('proxy_on_vm_start'),
        exported('proxy_validate_configuration'),
        exported('proxy_on_request_headers'),
        exported('proxy_on_http_call_response'),
        exported('proxy_on_tick'),
        exported('proxy_on_foreign_function'),
        exported('my_helper'),
      ],
      '0.2.1',
    );
    expect(names).toEqual([
      'proxy_log',
      'proxy_on_context_create',
      'proxy_on_foreign_function',
      'proxy_on_http_call_response',
      'proxy_on_request_headers',
      'proxy_on_tick',
      'proxy_on_vm_start',
      'proxy_validate_configuration',
    ]);
  });

  it('follows the declared ABI: a 0.1.0 module gets no 0.2.x host function and no proxy_on_foreign_function', () => {
    const imports = [fn('env', 'proxy_continue_request'), fn('env', 'proxy_continue_stream'), fn('env', 'proxy_get_log_level')];
    const exports = [exported('proxy_on_foreign_function'), exported('proxy_on_request_headers')];
    expect(restrictableCapabilities(imports, exports, '0.1.0')).toEqual(['proxy_continue_request', 'proxy_on_request_headers']);
    expect(restrictableCapabilities(imports, exports, '0.2.0')).toEqual(['proxy_continue_stream', 'proxy_on_foreign_function', 'proxy_on_request_headers']);
    expect(restrictableCapabilities(imports, exports, '0.2.1')).toEqual(['proxy_continue_stream', 'proxy_get_log_level', 'proxy_on_foreign_function', 'proxy_on_request_headers']);
    // No known ABI: every version's functions count (Envoy will not load it anyway).
    expect(restrictableCapabilities(imports, exports, null)).toHaveLength(5);
  });
});
