import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { afterAll, describe, expect, it } from 'vitest';
import {
  MissingToolchainError,
  assemblyScriptProxyWasmFilter,
  checkClangWasiToolchain,
  clangWasiCommand,
  clangWasiDebianPackages,
  clangWasiReactor,
  type SdkFixture,
} from './sdk-fixtures.js';

const CORE_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

function describeModule(fixture: SdkFixture) {
  const module = new WebAssembly.Module(fixture.bytes);
  return {
    imports: WebAssembly.Module.imports(module).map(({ module, name, kind }) => ({ module, name, kind })),
    exports: WebAssembly.Module.exports(module).map(({ name, kind }) => ({ name, kind })),
  };
}

const timings: string[] = [];
function noteTiming(fixture: SdkFixture) {
  timings.push(`${fixture.name} (${fixture.toolchain}): ${fixture.elapsedMs.toFixed(0)} ms${fixture.fromCache ? ' from cache' : ' build'}, ${fixture.bytes.length} bytes`);
}
afterAll(() => console.log(`SDK fixtures:\n  ${timings.join('\n  ')}`));

describe('AssemblyScript Proxy-Wasm SDK filter', () => {
  it('is a valid core module with the SDK ABI 0.2.0 marker, env.proxy_* host calls and wasi_unstable.proc_exit', async () => {
    const fixture = await assemblyScriptProxyWasmFilter();
    noteTiming(fixture);

    expect(fixture.toolchain).toBe('assemblyscript 0.14.13 + @solo-io/proxy-runtime 0.1.8');
    expect(WebAssembly.validate(fixture.bytes)).toBe(true);
    expect(Array.from(fixture.bytes.subarray(0, 8))).toEqual(CORE_HEADER);
    expect(readFileSync(fixture.path).equals(fixture.bytes)).toBe(true);

    const { imports, exports } = describeModule(fixture);
    // asc --optimize keeps only the host functions the filter reaches.
    expect(imports).toEqual([
      { module: 'env', name: 'proxy_log', kind: 'function' },
      { module: 'wasi_unstable', name: 'proc_exit', kind: 'function' },
      { module: 'env', name: 'proxy_get_buffer_bytes', kind: 'function' },
      { module: 'env', name: 'proxy_get_property', kind: 'function' },
      { module: 'env', name: 'proxy_set_effective_context', kind: 'function' },
      { module: 'env', name: 'proxy_get_header_map_value', kind: 'function' },
      { module: 'env', name: 'proxy_add_header_map_value', kind: 'function' },
    ]);
    expect(exports.filter((e) => e.name.startsWith('proxy_abi'))).toEqual([
      { name: 'proxy_abi_version_0_2_0', kind: 'function' },
    ]);
    expect(exports).toEqual([
      { name: 'memory', kind: 'memory' },
      // The AssemblyScript runtime (reference counting) and the SDK's allocator: malloc, not proxy_on_memory_allocate.
      { name: '__alloc', kind: 'function' },
      { name: '__retain', kind: 'function' },
      { name: '__release', kind: 'function' },
      { name: '__collect', kind: 'function' },
      { name: '__rtti_base', kind: 'global' },
      { name: 'malloc', kind: 'function' },
      { name: 'free', kind: 'function' },
      { name: 'proxy_abi_version_0_2_0', kind: 'function' },
      { name: 'proxy_on_vm_start', kind: 'function' },
      { name: 'proxy_validate_configuration', kind: 'function' },
      { name: 'proxy_on_configure', kind: 'function' },
      { name: 'proxy_on_tick', kind: 'function' },
      { name: 'proxy_on_foreign_function', kind: 'function' },
      { name: 'proxy_on_queue_ready', kind: 'function' },
      { name: 'proxy_on_context_create', kind: 'function' },
      { name: 'proxy_on_request_headers', kind: 'function' },
      { name: 'proxy_on_request_body', kind: 'function' },
      { name: 'proxy_on_request_trailers', kind: 'function' },
      { name: 'proxy_on_request_metadata', kind: 'function' },
      { name: 'proxy_on_response_headers', kind: 'function' },
      { name: 'proxy_on_response_body', kind: 'function' },
      { name: 'proxy_on_response_trailers', kind: 'function' },
      { name: 'proxy_on_response_metadata', kind: 'function' },
      { name: 'proxy_on_http_call_response', kind: 'function' },
      { name: 'proxy_on_grpc_receive_initial_metadata', kind: 'function' },
      { name: 'proxy_on_grpc_trailing_metadata', kind: 'function' },
      { name: 'proxy_on_grpc_receive', kind: 'function' },
      { name: 'proxy_on_grpc_close', kind: 'function' },
      { name: 'proxy_on_done', kind: 'function' },
      { name: 'proxy_on_log', kind: 'function' },
      { name: 'proxy_on_delete', kind: 'function' },
    ]);
  });

  it('behaves as written: adds the configured tag to responses (run under a minimal stub host)', async () => {
    const fixture = await assemblyScriptProxyWasmFilter();
    const decoder = new TextDecoder();
    const encoder = new TextEncoder();
    let exports!: { memory: WebAssembly.Memory; malloc(size: number): number } & Record<string, (...args: number[]) => number>;
    const text = (ptr: number, len: number) => decoder.decode(new Uint8Array(exports.memory.buffer, ptr, len));
    // Hands bytes to the plugin the way hosts do: in a buffer from its malloc, pointer and size written back.
    const give = (bytes: Uint8Array, ptrPtr: number, sizePtr: number) => {
      const ptr = exports.malloc(bytes.length);
      new Uint8Array(exports.memory.buffer, ptr, bytes.length).set(bytes);
      const view = new DataView(exports.memory.buffer);
      view.setUint32(ptrPtr, ptr, true);
      view.setUint32(sizePtr, bytes.length, true);
      return 0;
    };
    const configuration = encoder.encode('blue');
    const added: [number, string, string][] = [];
    const logs: string[] = [];
    const env = {
      proxy_log: (_level: number, ptr: number, len: number) => (logs.push(text(ptr, len)), 0),
      proxy_get_buffer_bytes: (type: number, _start: number, _size: number, ptrPtr: number, sizePtr: number) =>
        type === 7 ? give(configuration, ptrPtr, sizePtr) : 1,
      proxy_get_property: (ptr: number, len: number, ptrPtr: number, sizePtr: number) =>
        text(ptr, len).replace(/\0/g, '') === 'plugin_root_id' ? give(encoder.encode('registry_tag'), ptrPtr, sizePtr) : 1,
      proxy_set_effective_context: () => 0,
      proxy_get_header_map_value: (type: number, ptr: number, len: number, ptrPtr: number, sizePtr: number) =>
        type === 0 && text(ptr, len) === 'x-client-id' ? give(encoder.encode('client-7'), ptrPtr, sizePtr) : 1,
      proxy_add_header_map_value: (type: number, kPtr: number, kLen: number, vPtr: number, vLen: number) =>
        (added.push([type, text(kPtr, kLen), text(vPtr, vLen)]), 0),
    };
    const wasi_unstable = {
      proc_exit: (code: number) => {
        throw new Error(`proc_exit(${code}): ${logs.at(-1)}`);
      },
    };
    const instance = new WebAssembly.Instance(new WebAssembly.Module(fixture.bytes), { env, wasi_unstable });
    exports = instance.exports as typeof exports;

    exports.proxy_on_context_create!(1, 0);
    expect(exports.proxy_on_vm_start!(1, 0)).toBe(1);
    expect(exports.proxy_on_configure!(1, configuration.length)).toBe(1);
    exports.proxy_on_context_create!(2, 1);
    expect(exports.proxy_on_request_headers!(2, 3, 0)).toBe(0); // Continue
    expect(exports.proxy_on_response_headers!(2, 5, 0)).toBe(0);

    expect(added).toEqual([[2, 'x-registry-tag', 'blue']]); // 2 = response headers
    expect(logs).toContain('tagged response for client-7');
  });
});

describe('C to wasm32-wasi with Debian clang', () => {
  const outputs: string[] = [];
  afterAll(async () => {
    await Promise.all(outputs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('builds a command that imports wasi_snapshot_preview1 and runs, printing to stdout', async () => {
    const fixture = await clangWasiCommand();
    noteTiming(fixture);

    expect(fixture.toolchain).toMatch(/^Debian clang version \d+\.\d+\.\d+/);
    expect(WebAssembly.validate(fixture.bytes)).toBe(true);
    const { imports, exports } = describeModule(fixture);
    expect(exports).toEqual([
      { name: 'memory', kind: 'memory' },
      { name: '_start', kind: 'function' },
    ]);
    // What wasi-libc's argv, stdio and exit paths link (no wasm-opt pass: see clangEnv).
    expect(imports).toEqual(
      ['args_get', 'args_sizes_get', 'fd_close', 'fd_fdstat_get', 'fd_seek', 'fd_write', 'proc_exit'].map((name) => ({
        module: 'wasi_snapshot_preview1',
        name,
        kind: 'function',
      })),
    );

    const dir = await mkdtemp(join(tmpdir(), 'c-wasi-run-'));
    outputs.push(dir);
    const runCommand = (args: string[]) => {
      const file = join(dir, `stdout-${args.length}`);
      const fd = openSync(file, 'w');
      try {
        const wasi = new WASI({ version: 'preview1', args: ['fixture', ...args], stdout: fd, returnOnExit: true });
        const instance = new WebAssembly.Instance(new WebAssembly.Module(fixture.bytes), wasi.getImportObject() as WebAssembly.Imports);
        return { code: wasi.start(instance), stdout: readFileSync(file, 'utf8') };
      } finally {
        closeSync(fd);
      }
    };
    expect(runCommand([])).toEqual({ code: 0, stdout: 'wasm32-wasi fixture: 0 argument(s)\n' });
    expect(runCommand(['a', 'fail'])).toEqual({ code: 3, stdout: 'wasm32-wasi fixture: 2 argument(s)\n' });
  });

  it('builds a reactor that exports _initialize and reads its environment through WASI', async () => {
    const fixture = await clangWasiReactor();
    noteTiming(fixture);

    const { imports, exports } = describeModule(fixture);
    expect(exports).toEqual([
      { name: 'memory', kind: 'memory' },
      { name: '_initialize', kind: 'function' },
      { name: 'greeting_length', kind: 'function' },
      { name: 'calls', kind: 'function' },
    ]);
    expect(imports).toEqual([
      { module: 'wasi_snapshot_preview1', name: 'environ_get', kind: 'function' },
      { module: 'wasi_snapshot_preview1', name: 'environ_sizes_get', kind: 'function' },
      // wasi-libc aborts through proc_exit when the environment cannot be read.
      { module: 'wasi_snapshot_preview1', name: 'proc_exit', kind: 'function' },
    ]);

    const wasi = new WASI({ version: 'preview1', env: { GREETING: 'bonjour!' } });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(fixture.bytes), wasi.getImportObject() as WebAssembly.Imports);
    wasi.initialize(instance);
    const { greeting_length, calls } = instance.exports as Record<string, () => number>;
    expect(greeting_length!()).toBe('bonjour!'.length);
    expect(calls!()).toBe(1);
  });

  it('is cached: a second call returns the same bytes without building', async () => {
    const first = await clangWasiReactor();
    const again = await clangWasiReactor();
    expect(again).toBe(first); // same promise within a process
  });

  it('names the Debian packages to install when clang is missing', async () => {
    const error = await clangWasiCommand({ clang: '/nonexistent/clang' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingToolchainError);
    expect((error as MissingToolchainError).packages).toEqual(['clang', 'lld', 'wasi-libc', 'libclang-rt-14-dev-wasm32']);
    expect((error as Error).message).toMatch(
      /^cannot build C to wasm32-wasi: \/nonexistent\/clang --version failed .*; missing Debian packages: clang, lld, wasi-libc, libclang-rt-14-dev-wasm32 \(apt-get install -y clang lld wasi-libc libclang-rt-14-dev-wasm32\)$/,
    );
    expect(clangWasiDebianPackages(19)).toEqual(['clang', 'lld', 'wasi-libc', 'libclang-rt-19-dev-wasm32']);
  });

  it('finds every part of the toolchain on this machine', async () => {
    await expect(checkClangWasiToolchain()).resolves.toMatch(/^Debian clang version /);
  });
});
