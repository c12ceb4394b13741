import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  compileWatUnchecked,
  compileWatWithFeatures,
  compileWatWithNames,
  customSection,
  HTTP_FILTER_0_2_1,
  leb128,
  moduleOf,
  pluginWat,
  producersPayload,
  section,
  targetFeaturesPayload,
  TCP_FILTER_0_2_0,
  wasmName,
  WASM_HEADER,
} from '../../../testing/analysis-fixtures.js';
import { analyzeModule } from './analyze-module.js';
import type { ComponentDescription } from './component.js';
import type { AnalysisReport, Finding } from './report.js';

const codes = (report: AnalysisReport): string[] => report.findings.map((f) => `${f.severity}:${f.code}`);
const plugin = (options: Parameters<typeof pluginWat>[0]) => compileWatWithFeatures(pluginWat(options));

describe('analyzeModule: a valid Proxy-Wasm HTTP filter (ABI 0.2.1)', () => {
  it('reports its structure, ABI, capabilities and hosts', async () => {
    const bytes = await compileWatWithFeatures(HTTP_FILTER_0_2_1);
    const report = await analyzeModule(bytes);

    expect(report.reportVersion).toBe(2);
    expect(report).toMatchObject({ truncated: false, omitted: {}, shortenedStrings: 0 });
    expect(report.totals).toEqual({ imports: 7, exports: 10, memories: 1, tables: 0, customSections: 0, findings: 0 });
    expect(report.size).toBe(bytes.length);
    expect(report.kind).toBe('module');
    expect(report.binaryVersion).toBe(1);
    expect(report.layer).toBe(0);
    expect(report.valid).toBe(true);
    expect(report.validationError).toBeNull();
    expect(report.imports).toEqual([
      { module: 'env', name: 'proxy_log', kind: 'function' },
      { module: 'env', name: 'proxy_get_header_map_value', kind: 'function' },
      { module: 'env', name: 'proxy_http_call', kind: 'function' },
      { module: 'env', name: 'proxy_define_metric', kind: 'function' },
      { module: 'env', name: 'proxy_send_local_response', kind: 'function' },
      { module: 'wasi_snapshot_preview1', name: 'clock_time_get', kind: 'function' },
      { module: 'wasi_snapshot_preview1', name: 'random_get', kind: 'function' },
    ]);
    expect(report.exports).toEqual([
      { name: 'memory', kind: 'memory' },
      { name: 'proxy_abi_version_0_2_1', kind: 'function' },
      { name: 'proxy_on_memory_allocate', kind: 'function' },
      { name: 'proxy_on_context_create', kind: 'function' },
      { name: 'proxy_on_vm_start', kind: 'function' },
      { name: 'proxy_on_request_headers', kind: 'function' },
      { name: 'proxy_on_response_headers', kind: 'function' },
      { name: 'proxy_on_http_call_response', kind: 'function' },
      { name: 'proxy_on_log', kind: 'function' },
      { name: '_initialize', kind: 'function' },
    ]);
    expect(report.memories).toEqual([{ initial: 1, maximum: null, shared: false, memory64: false, imported: false }]);
    expect(report.tables).toEqual([]);
    expect(report.startFunction).toBeNull();
    expect(report.functionCount).toBe(9);
    expect(report.customSections).toEqual([]);
    expect(report.producers).toBeNull();
    expect(report.targetFeatures).toBeNull();
    expect(report.hasNameSection).toBe(false);
    expect(report.component).toBeNull();

    expect(report.proxyWasm).toEqual({
      declaredAbiVersions: ['0.2.1'],
      abiVersion: '0.2.1',
      nonStandardAbiMarkers: [],
      legacyUnversioned: false,
      allocator: 'proxy_on_memory_allocate',
      exportsMemory: true,
      entryPoint: '_initialize',
      hostImports: [
        'env.proxy_log',
        'env.proxy_get_header_map_value',
        'env.proxy_http_call',
        'env.proxy_define_metric',
        'env.proxy_send_local_response',
        'wasi_snapshot_preview1.clock_time_get',
        'wasi_snapshot_preview1.random_get',
      ],
      unknownImports: [],
      wasiImports: ['wasi_snapshot_preview1.clock_time_get', 'wasi_snapshot_preview1.random_get'],
      callbacks: {
        http: ['proxy_on_request_headers', 'proxy_on_response_headers'],
        tcp: [],
        lifecycle: ['proxy_on_context_create', 'proxy_on_vm_start', 'proxy_on_log'],
        other: ['proxy_on_http_call_response'],
      },
      filterTypes: ['http'],
      envoy: { loads: true, reasons: [] },
    });

    expect(report.capabilities.map((c) => [c.id, c.functions])).toEqual([
      ['http_calls', ['env.proxy_http_call']],
      ['metrics', ['env.proxy_define_metric']],
      ['response_control', ['env.proxy_send_local_response']],
      ['wasi_random', ['wasi_snapshot_preview1.random_get']],
      ['wasi_clock', ['wasi_snapshot_preview1.clock_time_get']],
    ]);
    expect(report.capabilities.every((c) => c.description.length > 20 && c.description.endsWith('.'))).toBe(true);

    expect(report.compatibility.map(({ host, versions }) => ({ host, versions }))).toEqual([
      { host: 'envoy', versions: '>=1.17' },
      { host: 'istio', versions: '>=1.8' },
    ]);
    expect(report.compatibility[0]!.reason).toMatch(/^Declares Proxy-Wasm ABI 0\.2\.1\. /);
    expect(report.compatibility[0]!.source).toContain('https://github.com/proxy-wasm/proxy-wasm-cpp-host/pull/50');
    expect(report.findings).toEqual([]);
  });

  it('is deterministic: the same bytes give the same report', async () => {
    const bytes = await compileWatWithFeatures(HTTP_FILTER_0_2_1);
    expect(await analyzeModule(bytes)).toEqual(await analyzeModule(Uint8Array.from(bytes)));
  });
});

describe('analyzeModule: Proxy-Wasm rules of the C++ host', () => {
  it('sees a TCP filter as a network filter', async () => {
    const report = await analyzeModule(await compileWatWithFeatures(TCP_FILTER_0_2_0));
    expect(report.proxyWasm).toMatchObject({
      abiVersion: '0.2.0',
      allocator: 'malloc',
      entryPoint: '_start',
      filterTypes: ['network'],
      callbacks: {
        http: [],
        tcp: ['proxy_on_new_connection', 'proxy_on_downstream_data', 'proxy_on_upstream_data', 'proxy_on_downstream_connection_close'],
        lifecycle: ['proxy_on_context_create'],
        other: [],
      },
      envoy: { loads: true, reasons: [] },
    });
    expect(report.compatibility.map((c) => `${c.host} ${c.versions}`)).toEqual(['envoy >=1.17', 'istio >=1.7']);
  });

  it('refuses an env import that is not a host function, naming it', async () => {
    const bytes = await plugin({
      imports: [
        '(import "env" "proxy_log" (func (param i32 i32 i32) (result i32)))',
        '(import "env" "foo" (func))',
      ],
    });
    const report = await analyzeModule(bytes);
    const message =
      'Envoy will refuse to load this module: env.foo is not a Proxy-Wasm host function, so linking fails ("Failed to load Wasm module due to a missing import: env.foo"). Remove the import or build against a Proxy-Wasm SDK.';
    expect(report.findings).toEqual([
      { code: 'unknown_host_import', severity: 'error', message, host: 'envoy', offset: bytes.indexOf(Buffer.from('\x03env\x03foo', 'latin1')) },
    ]);
    expect(report.proxyWasm?.unknownImports).toEqual(['env.foo']);
    expect(report.proxyWasm?.hostImports).toEqual(['env.proxy_log']);
    expect(report.proxyWasm?.envoy).toEqual({ loads: false, reasons: [message] });
    expect(report.compatibility).toEqual([]);
  });

  it('refuses a 0.1.0-only host function in a 0.2.1 module, and accepts it in a 0.1.0 module', async () => {
    const imports = ['(import "env" "proxy_get_configuration" (func (param i32 i32) (result i32)))'];
    const modern = await analyzeModule(await plugin({ imports }));
    expect(codes(modern)).toEqual(['error:unknown_host_import']);
    expect(modern.findings[0]!.message).toContain(
      'env.proxy_get_configuration is a Proxy-Wasm 0.1.0 host function, and the host provides it only to modules declaring that version, not to this 0.2.1 module',
    );
    expect(modern.proxyWasm?.envoy.loads).toBe(false);

    const old = await analyzeModule(await plugin({ imports, markers: ['proxy_abi_version_0_1_0'] }));
    expect(old.findings).toEqual([]);
    expect(old.proxyWasm?.abiVersion).toBe('0.1.0');
    expect(old.compatibility.map((c) => `${c.host} ${c.versions}`)).toEqual(['envoy >=1.17', 'istio >=1.5']);
  });

  it('uses the first of two ABI markers and warns', async () => {
    const bytes = await plugin({ markers: ['proxy_abi_version_0_2_0', 'proxy_abi_version_0_2_1'] });
    const report = await analyzeModule(bytes);
    expect(report.proxyWasm?.declaredAbiVersions).toEqual(['0.2.0', '0.2.1']);
    expect(report.proxyWasm?.abiVersion).toBe('0.2.0');
    expect(report.findings).toEqual([
      {
        code: 'multiple_abi_versions',
        severity: 'warning',
        message:
          'The module exports proxy_abi_version_0_2_0, proxy_abi_version_0_2_1; Envoy uses the first, 0.2.0, and ignores the others. Export exactly one ABI marker.',
        host: 'envoy',
        offset: bytes.indexOf(Buffer.from('proxy_abi_version_0_2_1')) - 1,
      },
    ]);
    expect(report.proxyWasm?.envoy.loads).toBe(true);
  });

  it('accepts an ABI export with no imports at all', async () => {
    const report = await analyzeModule(await plugin({}));
    expect(report.imports).toEqual([]);
    expect(report.proxyWasm).toMatchObject({ abiVersion: '0.2.1', hostImports: [], unknownImports: [], wasiImports: [], filterTypes: [] });
    expect(report.proxyWasm?.envoy).toEqual({ loads: true, reasons: [] });
    expect(report.capabilities).toEqual([]);
    expect(report.compatibility.map((c) => c.host)).toEqual(['envoy', 'istio']);
    expect(report.findings).toEqual([]);
  });

  it('names the host that accepts a non-standard marker, and refuses it for Envoy', async () => {
    const report = await analyzeModule(
      await plugin({
        markers: ['proxy_abi_mosn_version_0_2_0'],
        allocator: 'malloc',
        imports: ['(import "env" "proxy_log" (func (param i32 i32 i32) (result i32)))'],
      }),
    );
    expect(report.proxyWasm).toMatchObject({
      declaredAbiVersions: [],
      abiVersion: null,
      nonStandardAbiMarkers: ['proxy_abi_mosn_version_0_2_0'],
      legacyUnversioned: false,
    });
    expect(codes(report)).toEqual(['error:unknown_abi_version']);
    expect(report.findings[0]!.message).toBe(
      "Envoy will refuse to load this module (\"Missing or unknown Proxy-Wasm ABI version\"): its only ABI marker, proxy_abi_mosn_version_0_2_0, is a marker only MOSN recognises (MOSN's xprotocol Wasm codec extension). Export proxy_abi_version_0_2_1 (or 0_2_0/0_1_0) to run on Envoy and Istio.",
    );
    expect(report.proxyWasm?.envoy.loads).toBe(false);
    expect(report.compatibility).toEqual([
      expect.objectContaining({ host: 'mosn', versions: 'unconfirmed', source: expect.stringContaining('xproxywasm020') }),
    ]);
  });

  it('recognises a legacy plugin that imports host functions but declares no ABI', async () => {
    const report = await analyzeModule(
      await plugin({ markers: [], imports: ['(import "env" "proxy_log" (func (param i32 i32 i32) (result i32)))'] }),
    );
    expect(report.proxyWasm).toMatchObject({ legacyUnversioned: true, abiVersion: null, hostImports: ['env.proxy_log'] });
    expect(codes(report)).toEqual(['error:legacy_unversioned_plugin']);
    expect(report.findings[0]!.message).toMatch(
      /^Envoy will refuse to load this module \("Missing or unknown Proxy-Wasm ABI version"\): it imports Proxy-Wasm host functions \(env\.proxy_log\) but exports no proxy_abi_version_\* marker/,
    );
    expect(report.compatibility).toEqual([]);
  });

  it('flags callbacks without any ABI marker', async () => {
    const report = await analyzeModule(
      await plugin({ markers: [], callbacks: [{ name: 'proxy_on_request_headers', params: 3, result: true }] }),
    );
    expect(codes(report)).toEqual(['error:missing_abi_version']);
    expect(report.proxyWasm?.filterTypes).toEqual(['http']);
  });

  it('refuses a plugin without an allocator', async () => {
    const report = await analyzeModule(await plugin({ allocator: null }));
    expect(report.proxyWasm?.allocator).toBeNull();
    expect(report.findings).toEqual([
      {
        code: 'missing_allocator',
        severity: 'error',
        message:
          'Envoy will refuse to start this module ("Wasm module is missing malloc function"): it exports neither proxy_on_memory_allocate nor malloc, so the host cannot hand it data. Export proxy_on_memory_allocate (Proxy-Wasm SDKs do).',
        host: 'envoy',
      },
    ]);
    expect(report.compatibility).toEqual([]);
  });

  it('reports malloc as the allocator when both are exported, as the C++ host looks it up first', async () => {
    const report = await analyzeModule(await plugin({ extra: ['(func (export "malloc") (param i32) (result i32) (i32.const 8))'] }));
    expect(report.proxyWasm?.allocator).toBe('malloc');
  });

  it('refuses a plugin without memory', async () => {
    const report = await analyzeModule(await plugin({ memory: 'none' }));
    expect(report.proxyWasm?.exportsMemory).toBe(false);
    expect(codes(report)).toEqual(['error:missing_memory_export']);
  });

  it('links WASI under both module names and refuses an unknown WASI function', async () => {
    const bytes = await plugin({
      imports: [
        '(import "wasi_unstable" "fd_write" (func (param i32 i32 i32 i32) (result i32)))',
        '(import "wasi_snapshot_preview1" "environ_get" (func (param i32 i32) (result i32)))',
        '(import "wasi_snapshot_preview1" "not_a_wasi_function" (func))',
      ],
    });
    const report = await analyzeModule(bytes);
    expect(report.proxyWasm).toMatchObject({
      hostImports: ['wasi_unstable.fd_write', 'wasi_snapshot_preview1.environ_get'],
      unknownImports: ['wasi_snapshot_preview1.not_a_wasi_function'],
      wasiImports: ['wasi_unstable.fd_write', 'wasi_snapshot_preview1.environ_get', 'wasi_snapshot_preview1.not_a_wasi_function'],
    });
    expect(codes(report)).toEqual(['error:unknown_host_import']);
    expect(report.findings[0]!.message).toContain(
      'wasi_snapshot_preview1.not_a_wasi_function is not a WASI function the Proxy-Wasm C++ host links',
    );
    expect(report.capabilities).toEqual([
      expect.objectContaining({ id: 'wasi_environment', functions: ['wasi_snapshot_preview1.environ_get'] }),
    ]);
  });

  it('warns that WASI functions added in 2026 need a recent Envoy', async () => {
    const report = await analyzeModule(
      await plugin({
        imports: [
          '(import "wasi_snapshot_preview1" "sched_yield" (func (result i32)))',
          '(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))',
        ],
      }),
    );
    expect(codes(report)).toEqual(['warning:requires_recent_host']);
    expect(report.findings[0]!.message).toBe(
      'Only recent Envoy and Istio releases load this module: it imports wasi_snapshot_preview1.sched_yield, which the Proxy-Wasm C++ host links only since proxy-wasm-cpp-host PRs #427 and #533 (all of WASI preview1, merged 2026-03-27). Older releases refuse it with "missing import".',
    );
    expect(report.proxyWasm?.envoy.loads).toBe(true);
    expect(report.compatibility.map((c) => `${c.host}: ${c.versions}`)).toEqual([
      'envoy: recent releases only (first release not confirmed)',
      'istio: recent releases only (first release not confirmed)',
    ]);
    expect(report.capabilities.map((c) => c.id)).toEqual(['wasi_process']);
  });

  it('accepts a memory imported from env, which the runtime creates', async () => {
    const report = await analyzeModule(await plugin({ memory: 'none', imports: ['(import "env" "memory" (memory 2 16))'] }));
    expect(report.memories).toEqual([{ initial: 2, maximum: 16, shared: false, memory64: false, imported: true }]);
    expect(report.proxyWasm).toMatchObject({ exportsMemory: false, hostImports: ['env.memory'], unknownImports: [] });
    expect(report.proxyWasm?.envoy.loads).toBe(true);
    expect(report.findings).toEqual([]);
  });

  it('refuses imported globals and tags, which the C++ host does not provide', async () => {
    const bytes = await compileWatUnchecked(
      pluginWat({ imports: ['(import "env" "g" (global i32))', '(import "env" "t" (tag (param i32)))'] }),
    );
    const report = await analyzeModule(bytes);
    expect(report.valid).toBe(true);
    expect(report.imports).toEqual([
      { module: 'env', name: 'g', kind: 'global' },
      { module: 'env', name: 't', kind: 'tag' },
    ]);
    expect(codes(report)).toEqual(['error:unsupported_import_kind', 'error:unsupported_import_kind']);
    expect(report.findings[0]!.message).toContain(
      'it imports the global env.g, and the Proxy-Wasm C++ host provides no imported globals',
    );
    expect(report.proxyWasm?.unknownImports).toEqual(['env.g', 'env.t']);
  });

  it('says a plain module is not a Proxy-Wasm plugin', async () => {
    const report = await analyzeModule(await compileWatWithFeatures('(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))'));
    expect(report.valid).toBe(true);
    expect(report.proxyWasm).toBeNull();
    expect(report.compatibility).toEqual([]);
    expect(codes(report)).toEqual(['info:not_a_proxy_wasm_plugin']);
  });

  it('sorts findings worst first', async () => {
    const bytes = await plugin({
      markers: ['proxy_abi_version_0_2_1', 'proxy_abi_mosn_version_0_2_0', 'proxy_abi_version_0_2_0'],
      allocator: null,
    });
    const report = await analyzeModule(bytes);
    expect(codes(report)).toEqual(['error:missing_allocator', 'warning:multiple_abi_versions', 'info:unknown_abi_version']);
  });
});

describe('analyzeModule: custom sections', () => {
  const producers = customSection(
    'producers',
    producersPayload({
      language: [['Rust', '1.80']],
      'processed-by': [['rustc', '1.80.0 (051478957 2024-07-21)']],
      sdk: [['proxy-wasm-rust-sdk', '0.2.2']],
    }),
  );

  it('reads producers and target_features', async () => {
    const filter = await compileWatWithFeatures(HTTP_FILTER_0_2_1);
    const features = customSection('target_features', targetFeaturesPayload([['+', 'mutable-globals'], ['+', 'sign-ext']]));
    const report = await analyzeModule(Buffer.concat([filter, producers, features]));
    expect(report.valid).toBe(true);
    expect(report.producers).toEqual({
      language: [{ name: 'Rust', version: '1.80' }],
      processedBy: [{ name: 'rustc', version: '1.80.0 (051478957 2024-07-21)' }],
      sdk: [{ name: 'proxy-wasm-rust-sdk', version: '0.2.2' }],
    });
    expect(report.targetFeatures).toEqual([
      { prefix: '+', name: 'mutable-globals' },
      { prefix: '+', name: 'sign-ext' },
    ]);
    expect(report.customSections).toEqual([
      { name: 'producers', size: producers.length - 2, offset: filter.length },
      { name: 'target_features', size: features.length - 2, offset: filter.length + producers.length },
    ]);
    expect(report.findings).toEqual([]);
  });

  it('turns a malformed producers section into a warning and keeps the rest of the report', async () => {
    const filter = await compileWatWithFeatures(HTTP_FILTER_0_2_1);
    const broken = customSection('producers', Buffer.concat([leb128(3), wasmName('language'), leb128(1), wasmName('Rust')]));
    const report = await analyzeModule(Buffer.concat([filter, broken]));
    expect(report.valid).toBe(true);
    expect(report.producers).toBeNull();
    expect(report.findings).toEqual([
      {
        code: 'malformed_custom_section',
        severity: 'warning',
        message: `The "producers" custom section is malformed and was ignored: unexpected end inside the LEB128 producer version length ("producers" custom section, offset ${filter.length + broken.length})`,
        offset: filter.length,
      },
    ]);
    expect(report.customSections).toEqual([{ name: 'producers', size: broken.length - 2, offset: filter.length }]);
    expect(report.proxyWasm?.abiVersion).toBe('0.2.1');
    expect(report.proxyWasm?.envoy.loads).toBe(true);
    expect(report.imports).toHaveLength(7);
  });

  it('detects the name section', async () => {
    const report = await analyzeModule(await compileWatWithNames(pluginWat({ extra: ['(func $helper)'] })));
    expect(report.hasNameSection).toBe(true);
    expect(report.customSections.map((c) => c.name)).toEqual(['name']);
  });
});

describe('analyzeModule: malformed input', () => {
  const invalid = (report: AnalysisReport): Finding | undefined => report.findings.find((f) => f.code === 'invalid_module');

  it.each([
    ['zero bytes', Buffer.alloc(0), 'The file is empty: a WebAssembly binary starts with an 8-byte header (offset 0)', 0],
    ['the magic alone', WASM_HEADER.subarray(0, 4), 'Truncated header: the file ends after 4 bytes, inside the 8-byte header (offset 4)', 4],
    ['a header cut after six bytes', WASM_HEADER.subarray(0, 6), 'Truncated header: the file ends after 6 bytes, inside the 8-byte header (offset 6)', 6],
    [
      'an unknown version field',
      Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00]),
      'Unknown binary version 2 (layer 0) at offset 4: core modules have version 1 and layer 0, components layer 1',
      4,
    ],
    [
      'a section size past the end of the file',
      moduleOf(Buffer.from([10, 0x88, 0x27]), Buffer.alloc(120)),
      'The code section (id 10) claims 5000 bytes but only 120 remain in the file (offset 8)',
      8,
    ],
    [
      'a gzipped module',
      gzipSync(WASM_HEADER),
      'This is a gzip stream (magic bytes 1f 8b), not a WebAssembly binary: decompress it and publish the .wasm file (offset 0)',
      0,
    ],
    [
      'a text file',
      Buffer.from('this is not a WebAssembly module\n'),
      'This looks like a text file, not a WebAssembly binary (which starts with the bytes 00 61 73 6d) (offset 0)',
      0,
    ],
  ])('explains %s', async (_what, bytes, message, offset) => {
    const report = await analyzeModule(bytes);
    expect(report.valid).toBe(false);
    expect(report.validationError).toEqual({ message, offset });
    expect(report.findings).toEqual([
      { code: 'invalid_module', severity: 'error', message: `The module is not valid WebAssembly: ${message}`, offset },
    ]);
    expect(report.proxyWasm).toBeNull();
    expect(report.compatibility).toEqual([]);
    expect(report.size).toBe(bytes.length);
  });

  it('reports the version field it read from an unknown version', async () => {
    const report = await analyzeModule(Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00]));
    expect([report.kind, report.binaryVersion, report.layer]).toEqual(['module', 2, 0]);
  });

  it('keeps the structure read before a module is cut mid-section', async () => {
    const filter = await compileWatWithFeatures(HTTP_FILTER_0_2_1);
    const cut = filter.subarray(0, filter.length - 10);
    const report = await analyzeModule(cut);
    expect(report.valid).toBe(false);
    expect(report.validationError?.message).toMatch(/^The code section \(id 10\) claims \d+ bytes but only \d+ remain in the file \(offset \d+\)$/);
    expect(report.imports).toHaveLength(7);
    expect(report.exports).toHaveLength(10);
    expect(report.proxyWasm?.abiVersion).toBe('0.2.1');
    expect(report.proxyWasm?.envoy.loads).toBe(false);
    expect(report.proxyWasm?.envoy.reasons[0]).toMatch(/^The module is not valid WebAssembly: The code section/);
    expect(report.compatibility).toEqual([]);
  });

  it("reports V8's message and offset for a module that decodes but fails type checking", async () => {
    const bytes = await compileWatUnchecked('(module (func (result i32)))');
    const report = await analyzeModule(bytes);
    expect(report.valid).toBe(false);
    expect(report.validationError).toEqual({
      message: 'Compiling function #0 failed: expected 1 elements on the stack for fallthru, found 0 @+24',
      offset: 24,
    });
    expect(invalid(report)).toEqual({
      code: 'invalid_module',
      severity: 'error',
      message: 'The module is not valid WebAssembly: Compiling function #0 failed: expected 1 elements on the stack for fallthru, found 0 @+24',
      offset: 24,
    });
    expect(report.functionCount).toBe(1);
  });

  it('still describes an invalid plugin', async () => {
    const report = await analyzeModule(await compileWatUnchecked(pluginWat({ extra: ['(func (result i32))'] })));
    expect(report.valid).toBe(false);
    expect(report.proxyWasm?.abiVersion).toBe('0.2.1');
    expect(report.proxyWasm?.envoy.loads).toBe(false);
    expect(report.compatibility).toEqual([]);
    expect(codes(report)).toEqual(['error:invalid_module']);
  });

  it('fails fast on a vector claiming 0xFFFFFFFF entries', async () => {
    const bytes = moduleOf(section(2, Buffer.concat([leb128(0xffffffff), Buffer.alloc(16)])));
    const started = performance.now();
    const report = await analyzeModule(bytes);
    expect(performance.now() - started).toBeLessThan(200);
    expect(report.valid).toBe(false);
    expect(report.imports).toEqual([]);
    expect(report.validationError).toEqual({ message: 'imports count of 4294967295 exceeds internal limit of 1000000 @+10', offset: 10 });
    expect(invalid(report)?.offset).toBe(10);
  });
});

describe('analyzeModule: components', () => {
  const componentBytes = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);
  const info = { wit: 'package root:component;\n\nworld root {\n}\n', imports: ['wasi:cli/environment@0.2.0'], exports: [] };

  it('describes a component through describeComponent and says proxies cannot load it', async () => {
    const seen: Uint8Array[] = [];
    const describeComponent = async (bytes: Uint8Array): Promise<ComponentDescription> => {
      seen.push(bytes);
      return { info, error: null };
    };
    const report = await analyzeModule(componentBytes, { describeComponent });
    expect(seen).toHaveLength(1);
    expect(Buffer.from(seen[0]!).equals(componentBytes)).toBe(true);
    expect(report).toMatchObject({ kind: 'component', binaryVersion: 0x0d, layer: 1, valid: true, validationError: null, component: info, proxyWasm: null });
    expect(report.findings).toEqual([
      {
        code: 'component_not_loadable_by_proxies',
        severity: 'error',
        message:
          'This is a WebAssembly component, not a core module: Envoy, Istio and MOSN load only core modules implementing the Proxy-Wasm ABI, so no proxy can run it.',
      },
    ]);
  });

  it('reports an invalid component with the decoder message', async () => {
    const error = { message: 'unexpected end of section', offset: 8 };
    const report = await analyzeModule(componentBytes, { describeComponent: async () => ({ info: null, error }) });
    expect(report.valid).toBe(false);
    expect(report.validationError).toEqual(error);
    expect(codes(report)).toEqual(['error:component_not_loadable_by_proxies', 'error:invalid_module']);
    expect(report.findings[1]).toMatchObject({ offset: 8, message: 'The component is invalid: unexpected end of section' });
  });

  it('reports a decoder crash as a failed analysis', async () => {
    const report = await analyzeModule(componentBytes, {
      describeComponent: async () => {
        throw new Error('wasm-tools could not be loaded');
      },
    });
    expect(report.valid).toBe(false);
    expect(codes(report)).toEqual(['error:component_not_loadable_by_proxies', 'error:analysis_failed']);
    expect(report.findings[1]!.message).toBe('The component could not be decoded (wasm-tools could not be loaded); it was not checked.');
  });

  it('lists the custom sections of a component', async () => {
    const producers = customSection('producers', producersPayload({ language: [['JavaScript', 'ES2024']] }));
    const report = await analyzeModule(Buffer.concat([componentBytes, producers]), { describeComponent: async () => ({ info, error: null }) });
    expect(report.customSections).toEqual([{ name: 'producers', size: producers.length - 2, offset: 8 }]);
    expect(report.producers?.language).toEqual([{ name: 'JavaScript', version: 'ES2024' }]);
  });
});
