import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  compileWatUnchecked,
  compileWatWithFeatures,
  compileWatWithNames,
  customSection,
  leb128,
  moduleOf,
  producersPayload,
  section,
  targetFeaturesPayload,
  wasmName,
  WASM_HEADER,
} from '../../../testing/analysis-fixtures.js';
import { MALFORMED_MODULES } from '../../../testing/wasm-fixtures.js';
import { encodeUnsignedLeb128, parseWasm } from './wasm-binary.js';

describe('parseWasm: the header', () => {
  it('says an empty file is empty', () => {
    const parsed = parseWasm(new Uint8Array(0));
    expect(parsed.header).toBeNull();
    expect(parsed.error).toEqual({
      message: 'the file is empty: a WebAssembly binary starts with an 8-byte header (offset 0)',
      offset: 0,
      framing: true,
    });
  });

  it('says where a header that stops after the magic ends', () => {
    expect(parseWasm(WASM_HEADER.subarray(0, 4)).error).toEqual({
      message: 'truncated header: the file ends after 4 bytes, inside the 8-byte header (offset 4)',
      offset: 4,
      framing: true,
    });
    expect(parseWasm(MALFORMED_MODULES['a truncated header']!).error?.offset).toBe(5);
  });

  it('names gzip streams and text files instead of calling them corrupt', () => {
    const gzip = parseWasm(gzipSync(moduleOf()));
    expect(gzip.error?.message).toBe(
      'this is a gzip stream (magic bytes 1f 8b), not a WebAssembly binary: decompress it and publish the .wasm file (offset 0)',
    );
    expect(parseWasm(MALFORMED_MODULES['a text file']!).error?.message).toBe(
      'this looks like a text file, not a WebAssembly binary (which starts with the bytes 00 61 73 6d) (offset 0)',
    );
    expect(parseWasm(Buffer.from('(module (func))')).error?.message).toMatch(/^this is WebAssembly text \(\.wat\)/);
  });

  it('reports an unknown version with the header it read', () => {
    const parsed = parseWasm(MALFORMED_MODULES['an unknown binary version']!);
    expect(parsed.header).toEqual({ kind: 'module', version: 2, layer: 0 });
    expect(parsed.error).toEqual({
      message: 'unknown binary version 2 (layer 0) at offset 4: core modules have version 1 and layer 0, components layer 1',
      offset: 4,
      framing: true,
    });
  });

  it('recognises a component by its layer', () => {
    const parsed = parseWasm(Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]));
    expect(parsed.header).toEqual({ kind: 'component', version: 0x0d, layer: 1 });
    expect(parsed.error).toBeNull();
  });
});

describe('parseWasm: sections', () => {
  it('lists every section with its id, offset and size', async () => {
    const bytes = await compileWatWithFeatures('(module (memory (export "memory") 1) (func (export "f")))');
    const parsed = parseWasm(bytes);
    expect(parsed.error).toBeNull();
    expect(parsed.sections.map((s) => [s.id, s.name])).toEqual([
      [1, 'type'], [3, 'function'], [5, 'memory'], [7, 'export'], [10, 'code'],
    ]);
    expect(parsed.sections[0]).toMatchObject({ offset: 8, payloadOffset: 10 });
    const last = parsed.sections.at(-1)!;
    expect(last.payloadOffset + last.size).toBe(bytes.length);
  });

  it('says which section claims more bytes than the file has', () => {
    const bytes = moduleOf(Buffer.from([10, 0x88, 0x27]), Buffer.alloc(120));
    expect(parseWasm(bytes).error).toEqual({
      message: 'the code section (id 10) claims 5000 bytes but only 120 remain in the file (offset 8)',
      offset: 8,
      framing: true,
    });
  });

  it('stops at a section cut off in its size field', () => {
    const parsed = parseWasm(moduleOf(Buffer.from([1, 0x80])));
    expect(parsed.error).toEqual({
      message: 'unexpected end inside the LEB128 size of the type section (offset 9)',
      offset: 9,
      framing: true,
    });
  });

  it('refuses a LEB128 longer than 32 bits', () => {
    const parsed = parseWasm(moduleOf(Buffer.from([1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00])));
    expect(parsed.error).toEqual({
      message: 'malformed LEB128 size of the type section: more than 32 bits (offset 9)',
      offset: 9,
      framing: true,
    });
  });

  it('refuses an unknown section id', () => {
    expect(parseWasm(moduleOf(section(14, Buffer.alloc(0)))).error).toEqual({
      message: 'unknown section id 14 (offset 8)',
      offset: 8,
      framing: true,
    });
  });

  it('fails fast, without allocating, on a vector claiming 0xFFFFFFFF entries', () => {
    const payload = Buffer.concat([leb128(0xffffffff), Buffer.alloc(10)]);
    const started = performance.now();
    const parsed = parseWasm(moduleOf(section(2, payload)));
    expect(performance.now() - started).toBeLessThan(100);
    expect(parsed.imports).toEqual([]);
    expect(parsed.error).toEqual({
      message: 'import vector claims 4294967295 entries but only 10 bytes remain (import section, offset 10)',
      offset: 10,
      framing: false,
    });
  });

  it('reads the sections after one whose contents are broken', () => {
    const badImport = section(2, Buffer.concat([leb128(1), wasmName('env'), Buffer.from([0x02, 0xff, 0xfe])]));
    const exports = section(7, Buffer.concat([leb128(1), wasmName('memory'), Buffer.from([0x02, 0x00])]));
    const parsed = parseWasm(moduleOf(badImport, exports));
    expect(parsed.error?.framing).toBe(false);
    expect(parsed.error?.message).toBe('import name is not valid UTF-8 (import section, offset 15)');
    expect(parsed.exports).toEqual([{ name: 'memory', kind: 'memory', index: 0, offset: parsed.sections[1]!.payloadOffset + 1 }]);
  });

  it('reads imports of every kind, memory64 and shared limits, and tables of any reference type', async () => {
    // wabt's validator ignores the feature flags, so this one is compiled unchecked.
    const bytes = await compileWatUnchecked(`(module
      (import "env" "f" (func (param i32)))
      (import "env" "t" (table 2 10 externref))
      (import "env" "m" (memory 1 4 shared))
      (import "env" "g" (global (mut i32)))
      (import "env" "e" (tag (param i32)))
      (memory i64 3)
      (table 1 funcref)
      (export "e2" (tag 0))
      (export "m64" (memory 1)))`);
    const parsed = parseWasm(bytes);
    expect(parsed.error).toBeNull();
    expect(parsed.imports.map(({ module, name, kind }) => `${kind} ${module}.${name}`)).toEqual([
      'function env.f', 'table env.t', 'memory env.m', 'global env.g', 'tag env.e',
    ]);
    expect(parsed.imports[1]!.table).toEqual({
      elementType: 'externref',
      limits: { initial: 2, maximum: 10, shared: false, memory64: false, pageSizeLog2: null },
    });
    expect(parsed.imports[2]!.memory).toEqual({ initial: 1, maximum: 4, shared: true, memory64: false, pageSizeLog2: null });
    expect(parsed.memories).toEqual([{ initial: 3, maximum: null, shared: false, memory64: true, pageSizeLog2: null }]);
    expect(parsed.tables.map((t) => t.elementType)).toEqual(['funcref']);
    expect(parsed.exports.map((e) => [e.name, e.kind, e.index])).toEqual([['e2', 'tag', 0], ['m64', 'memory', 1]]);
  });

  it('reads typed function references in tables', () => {
    // table: (ref null 0), min 1; type 0 is a function type
    const types = section(1, Buffer.from([0x01, 0x60, 0x00, 0x00]));
    const tables = section(4, Buffer.from([0x01, 0x63, 0x00, 0x00, 0x01]));
    const parsed = parseWasm(moduleOf(types, tables));
    expect(parsed.error).toBeNull();
    expect(parsed.tables).toEqual([
      { elementType: '(ref null 0)', limits: { initial: 1, maximum: null, shared: false, memory64: false, pageSizeLog2: null } },
    ]);
  });

  it('records the start function and function types', async () => {
    const parsed = parseWasm(await compileWatWithFeatures('(module (func $s) (func (param i64) (result f32) (f32.const 0)) (start $s))'));
    expect(parsed.startFunction).toBe(0);
    expect(parsed.functionTypeIndices).toEqual([0, 1]);
    expect(parsed.types).toEqual([{ params: [], results: [] }, { params: ['i64'], results: ['f32'] }]);
  });
});

describe('parseWasm: custom sections', () => {
  it('parses producers and target_features', () => {
    const producers = customSection(
      'producers',
      producersPayload({
        language: [['Rust', '1.80']],
        'processed-by': [['rustc', '1.80.0 (051478957 2024-07-21)']],
        sdk: [['proxy-wasm-rust-sdk', '0.2.2']],
      }),
    );
    const features = customSection('target_features', targetFeaturesPayload([['+', 'mutable-globals'], ['-', 'simd128'], ['=', 'sign-ext']]));
    const parsed = parseWasm(moduleOf(producers, features));
    expect(parsed.error).toBeNull();
    expect(parsed.warnings).toEqual([]);
    expect(parsed.producers).toEqual({
      language: [{ name: 'Rust', version: '1.80' }],
      processedBy: [{ name: 'rustc', version: '1.80.0 (051478957 2024-07-21)' }],
      sdk: [{ name: 'proxy-wasm-rust-sdk', version: '0.2.2' }],
    });
    expect(parsed.targetFeatures).toEqual([
      { prefix: '+', name: 'mutable-globals' },
      { prefix: '-', name: 'simd128' },
      { prefix: '=', name: 'sign-ext' },
    ]);
    expect(parsed.customSections).toEqual([
      { name: 'producers', size: producers.length - 2, offset: 8 },
      { name: 'target_features', size: features.length - 2, offset: 8 + producers.length },
    ]);
  });

  it('turns a malformed producers section into a warning and keeps reading', () => {
    // Claims one field with 200 values, then stops.
    const broken = customSection('producers', Buffer.concat([leb128(1), wasmName('language'), leb128(200)]));
    const exports = section(7, Buffer.concat([leb128(1), wasmName('memory'), Buffer.from([0x02, 0x00])]));
    const parsed = parseWasm(moduleOf(broken, exports));
    expect(parsed.error).toBeNull();
    expect(parsed.producers).toBeNull();
    expect(parsed.warnings).toEqual([
      {
        code: 'malformed_custom_section',
        message:
          'The "producers" custom section is malformed and was ignored: "language" value vector claims 200 entries but only 0 bytes remain ("producers" custom section, offset 30)',
        offset: 8,
      },
    ]);
    expect(parsed.exports.map((e) => e.name)).toEqual(['memory']);
  });

  it('warns about a target feature with an unknown prefix', () => {
    const parsed = parseWasm(moduleOf(customSection('target_features', targetFeaturesPayload([['*', 'simd128']]))));
    expect(parsed.targetFeatures).toBeNull();
    expect(parsed.warnings[0]?.message).toMatch(/^The "target_features" custom section is malformed and was ignored: invalid feature prefix "\*"/);
  });

  it('warns about a custom section whose name runs past the section', () => {
    const parsed = parseWasm(moduleOf(Buffer.from([0x00, 0x02, 0x09, 0x61])));
    expect(parsed.error).toBeNull();
    expect(parsed.warnings).toEqual([
      {
        code: 'malformed_custom_section',
        message: 'A custom section has an unreadable name: custom section name claims 9 bytes but only 1 remain (custom section, offset 10)',
        offset: 8,
      },
    ]);
  });

  it('detects the name section', async () => {
    const parsed = parseWasm(await compileWatWithNames('(module (func $named))'));
    expect(parsed.hasNameSection).toBe(true);
    expect(parsed.customSections.map((c) => c.name)).toEqual(['name']);
  });
});

describe('encodeUnsignedLeb128', () => {
  it('encodes values up to 2^32 - 1', () => {
    expect([...encodeUnsignedLeb128(0)]).toEqual([0]);
    expect([...encodeUnsignedLeb128(624485)]).toEqual([0xe5, 0x8e, 0x26]);
    expect([...encodeUnsignedLeb128(0xffffffff)]).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
  });
});
