import { describe, expect, it } from 'vitest';
import { assemblyScriptProxyWasmFilter, clangWasiCommand } from '../../../testing/sdk-fixtures.js';
import { analyzeModule } from './analyze-module.js';

// Modules built from source by real toolchains: what publishers actually upload.
describe('analysis of modules built by real SDKs', () => {
  it('detects the AssemblyScript SDK (@solo-io/proxy-runtime 0.1.8) plugin as an ABI 0.2.0 HTTP filter Envoy loads', async () => {
    const report = await analyzeModule((await assemblyScriptProxyWasmFilter()).bytes);
    expect(report).toMatchObject({ kind: 'module', valid: true, validationError: null, findings: [] });
    expect(report.proxyWasm).toMatchObject({
      declaredAbiVersions: ['0.2.0'],
      abiVersion: '0.2.0',
      nonStandardAbiMarkers: [],
      legacyUnversioned: false,
      allocator: 'malloc',
      exportsMemory: true,
      unknownImports: [],
      wasiImports: ['wasi_unstable.proc_exit'],
      filterTypes: ['http'],
      envoy: { loads: true, reasons: [] },
    });
    expect(report.proxyWasm!.hostImports).toEqual([
      'env.proxy_log',
      'wasi_unstable.proc_exit',
      'env.proxy_get_buffer_bytes',
      'env.proxy_get_property',
      'env.proxy_set_effective_context',
      'env.proxy_get_header_map_value',
      'env.proxy_add_header_map_value',
    ]);
    expect(report.proxyWasm!.callbacks.http).toContain('proxy_on_response_headers');
    expect(report.proxyWasm!.callbacks.tcp).toEqual([]);
    expect(report.compatibility.map((c) => [c.host, c.versions])).toEqual([
      ['envoy', '>=1.17'],
      ['istio', '>=1.7'],
    ]);
    expect(report.capabilities.map((c) => c.id)).toEqual(['properties', 'wasi_process']);
  });

  it('recognises a C program built by clang for wasm32-wasi as a WASI command, not a plugin', async () => {
    const report = await analyzeModule((await clangWasiCommand()).bytes);
    expect(report.valid).toBe(true);
    expect(report.proxyWasm).toBeNull();
    expect(report.findings.map((f) => [f.code, f.severity])).toEqual([['not_a_proxy_wasm_plugin', 'info']]);
    expect(report.exports.map((e) => e.name).sort()).toEqual(['_start', 'memory']);
    expect(report.imports.every((i) => i.module === 'wasi_snapshot_preview1')).toBe(true);
    expect(report.compatibility).toEqual([]);
    expect(report.capabilities.map((c) => c.id)).toContain('wasi_process');
  });
});
