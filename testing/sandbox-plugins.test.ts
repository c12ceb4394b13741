import { describe, expect, it } from 'vitest';
import { HOST_FUNCTIONS } from '../libs/analysis/index.js';
import { checkRustWasmToolchain, clangAuthGatePlugin, rustBodyMaskPlugin, rustWasmDebianPackages } from './sandbox-plugins.js';
import { MissingToolchainError, type SdkFixture } from './sdk-fixtures.js';

function names(fixture: SdkFixture) {
  const module = new WebAssembly.Module(fixture.bytes);
  return {
    imports: WebAssembly.Module.imports(module).map(({ module, name }) => `${module}.${name}`),
    exports: WebAssembly.Module.exports(module).map(({ name }) => name),
  };
}

const abi021 = (name: string) => name.startsWith('env.') && HOST_FUNCTIONS['0.2.1'].has(name.slice(4));

describe('sandbox plugins built from source', () => {
  it('auth-gate (C, clang) is a wasm32-wasi reactor declaring ABI 0.2.1 with proxy_on_memory_allocate and no malloc export', async () => {
    const fixture = await clangAuthGatePlugin();
    expect(fixture.toolchain).toMatch(/^Debian clang version 14\./);
    const { imports, exports } = names(fixture);
    // wasi-libc's stdio (vsnprintf) brings the only WASI imports.
    expect(imports.filter((name) => !abi021(name)).sort()).toEqual(['wasi_snapshot_preview1.fd_close', 'wasi_snapshot_preview1.fd_seek', 'wasi_snapshot_preview1.fd_write']);
    expect(imports).toEqual(expect.arrayContaining(['env.proxy_http_call', 'env.proxy_continue_stream', 'env.proxy_send_local_response',
      'env.proxy_define_metric', 'env.proxy_get_metric', 'env.proxy_set_shared_data', 'env.proxy_set_tick_period_milliseconds']));
    expect(exports).toEqual(expect.arrayContaining(['_initialize', 'proxy_abi_version_0_2_1', 'proxy_on_memory_allocate',
      'proxy_on_configure', 'proxy_on_request_headers', 'proxy_on_http_call_response', 'proxy_on_tick']));
    expect(exports).not.toContain('malloc');
    expect(exports.filter((name) => name.startsWith('proxy_abi'))).toEqual(['proxy_abi_version_0_2_1']);
  });

  it('body-mask (Rust, Debian rustc 1.63) is a wasm32-unknown-unknown cdylib importing only env host functions of ABI 0.2.1', async () => {
    const fixture = await rustBodyMaskPlugin();
    expect(fixture.toolchain).toMatch(/^rustc 1\.63\./);
    const { imports, exports } = names(fixture);
    expect(imports.filter((name) => !abi021(name))).toEqual([]);
    expect(imports).toEqual(expect.arrayContaining(['env.proxy_set_buffer_bytes', 'env.proxy_replace_header_map_value',
      'env.proxy_remove_header_map_value', 'env.proxy_get_log_level', 'env.proxy_get_shared_data']));
    expect(exports).toEqual(expect.arrayContaining(['memory', 'proxy_abi_version_0_2_1', 'proxy_on_memory_allocate',
      'proxy_on_request_body', 'proxy_on_response_body', 'proxy_on_tick']));
    expect(exports).not.toContain('_initialize');
  });

  it('names the Debian packages when rustc is missing', async () => {
    const error = await checkRustWasmToolchain('/nonexistent/rustc').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingToolchainError);
    expect((error as MissingToolchainError).packages).toEqual(['rustc', 'libstd-rust-dev-wasm32']);
    expect((error as Error).message).toMatch(/^cannot build Rust to wasm32-unknown-unknown: .*apt-get install -y rustc libstd-rust-dev-wasm32/);
    expect(rustWasmDebianPackages()).toEqual(['rustc', 'libstd-rust-dev-wasm32', 'lld']);
  });
});
