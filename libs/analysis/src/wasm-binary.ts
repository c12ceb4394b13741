import { shorten } from './bound-report.js';
import type { ExternalKind, Producers, ProducerValue, TargetFeature } from './report.js';

/**
 * A linear, defensive reader of the WebAssembly binary format
 * (https://webassembly.github.io/spec/core/binary/). It decodes the module's
 * structure (sections, imports, exports, memories, tables, custom sections)
 * without validating function bodies: V8 does that (see validate.ts).
 *
 * Hostile input is expected: every read is bounds-checked, every vector count
 * is checked against the bytes left before anything is allocated, nothing
 * recurses, and nothing throws out of parseWasm.
 */

export type BinaryKind = 'module' | 'component';

export interface WasmHeader {
  kind: BinaryKind;
  /** Bytes 4-5, little endian: 1 for core modules, 0x0d for components. */
  version: number;
  /** Bytes 6-7, little endian: 0 for core modules, 1 for components. */
  layer: number;
}

export interface ParseError {
  message: string;
  offset: number;
  /**
   * True when the problem is in the framing (header, section ids and sizes),
   * so nothing after it could be read; false when it is inside one section
   * and the following sections were still read.
   */
  framing: boolean;
}

export interface ParseWarning {
  code: 'malformed_custom_section';
  message: string;
  offset: number;
}

export interface SectionInfo {
  id: number;
  /** 'type', 'import' … ; for custom sections the section's own name when readable. */
  name: string;
  /** Offset of the section's id byte. */
  offset: number;
  /** Offset of the first payload byte. */
  payloadOffset: number;
  /** Payload size in bytes. */
  size: number;
}

export interface Limits {
  initial: number;
  maximum: number | null;
  shared: boolean;
  memory64: boolean;
  /** log2 of the page size when the custom-page-sizes flag is set. */
  pageSizeLog2: number | null;
}

export interface TableType {
  elementType: string;
  limits: Limits;
}

export interface FuncType {
  params: string[];
  results: string[];
}

export interface ParsedImport {
  module: string;
  name: string;
  kind: ExternalKind;
  /** Offset of the entry's module name. */
  offset: number;
  /** Function or tag imports: the type index. */
  typeIndex: number | null;
  table: TableType | null;
  memory: Limits | null;
}

export interface ParsedExport {
  name: string;
  kind: ExternalKind;
  index: number;
  offset: number;
}

export interface ParsedCustomSection {
  name: string;
  /** Payload size in bytes, name included. */
  size: number;
  /** Offset of the section's id byte. */
  offset: number;
}

export interface ParsedModule {
  size: number;
  header: WasmHeader | null;
  sections: SectionInfo[];
  /** Function types by type index; null for a non-function type (GC struct/array). */
  types: (FuncType | null)[];
  imports: ParsedImport[];
  /** Type index of each function defined in the module (function section). */
  functionTypeIndices: number[];
  tables: TableType[];
  memories: Limits[];
  globalCount: number;
  exports: ParsedExport[];
  startFunction: number | null;
  customSections: ParsedCustomSection[];
  producers: Producers | null;
  targetFeatures: TargetFeature[] | null;
  hasNameSection: boolean;
  warnings: ParseWarning[];
  /** The first structural problem, or null when the structure read cleanly. */
  error: ParseError | null;
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];
export const CORE_VERSION = 1;
export const COMPONENT_LAYER = 1;

const CORE_SECTION_NAMES = [
  'custom', 'type', 'import', 'function', 'table', 'memory', 'global',
  'export', 'start', 'element', 'code', 'data', 'datacount', 'tag',
];

// Component Model top-level section ids (Binary.md in WebAssembly/component-model).
const COMPONENT_SECTION_NAMES = [
  'custom', 'core module', 'core instance', 'core type', 'component', 'instance',
  'alias', 'type', 'canon', 'start', 'import', 'export', 'value',
];

const KIND_BY_BYTE: readonly ExternalKind[] = ['function', 'table', 'memory', 'global', 'tag'];

class WasmParseError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A name from the module inside a message: cut, since names are the publisher's and may be megabytes long. */
const inMessage = (name: string): string => shorten(name, 64);

/** A cursor over bytes[pos, end) that throws WasmParseError on any overrun. */
class Reader {
  constructor(
    private readonly bytes: Uint8Array,
    public pos: number,
    readonly end: number,
    /** Names the place in messages, e.g. "import section". */
    readonly where: string,
  ) {}

  get remaining(): number {
    return this.end - this.pos;
  }

  fail(message: string, offset = this.pos): never {
    const place = this.where === '' ? '' : `${this.where}, `;
    throw new WasmParseError(`${message} (${place}offset ${offset})`, offset);
  }

  peek(): number | undefined {
    return this.pos < this.end ? this.bytes[this.pos] : undefined;
  }

  byte(what: string): number {
    if (this.pos >= this.end) this.fail(`unexpected end while reading ${what}`);
    return this.bytes[this.pos++]!;
  }

  skip(count: number, what: string): void {
    if (count > this.remaining) this.fail(`${what} needs ${count} bytes but only ${this.remaining} remain`);
    this.pos += count;
  }

  /** Unsigned LEB128 of at most `bits` bits (32 → at most 5 bytes). */
  u32(what: string): number {
    const start = this.pos;
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) this.fail(`unexpected end inside the LEB128 ${what}`, start);
      const byte = this.bytes[this.pos++]!;
      if (i === 4 && (byte & 0xf0) !== 0) this.fail(`malformed LEB128 ${what}: more than 32 bits`, start);
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
    // Unreachable: a fifth byte with its continuation bit set fails the check above.
    return this.fail(`malformed LEB128 ${what}`, start);
  }

  /** Unsigned LEB128 of at most 64 bits, as a number (precision is lost above 2^53, which no real limit reaches). */
  u64(what: string): number {
    const start = this.pos;
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail(`unexpected end inside the LEB128 ${what}`, start);
      const byte = this.bytes[this.pos++]!;
      if (i === 9 && (byte & 0xfe) !== 0) this.fail(`malformed LEB128 ${what}: more than 64 bits`, start);
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return Number(result);
      shift += 7n;
    }
    // Unreachable, as in u32.
    return this.fail(`malformed LEB128 ${what}`, start);
  }

  /** Signed LEB128 of at most `maxBytes` bytes, skipped (only its extent matters here). */
  skipSigned(maxBytes: number, what: string): void {
    const start = this.pos;
    for (let i = 0; i < maxBytes; i++) {
      const byte = this.byte(what);
      if ((byte & 0x80) === 0) return;
    }
    this.fail(`malformed signed LEB128 ${what}`, start);
  }

  /** Signed 33-bit LEB128 (heap types, block types), returned as a number. */
  s33(what: string): number {
    const start = this.pos;
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      const byte = this.byte(what);
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) {
        if (byte & 0x40) result -= 2 ** shift;
        return result;
      }
    }
    return this.fail(`malformed LEB128 ${what}`, start);
  }

  /**
   * A vector count, refused before anything is allocated when even the
   * smallest entries could not fit in the bytes left.
   */
  count(what: string, minEntryBytes = 1): number {
    const at = this.pos;
    const n = this.u32(`${what} count`);
    if (n * minEntryBytes > this.remaining) {
      this.fail(`${what} vector claims ${n} entries but only ${this.remaining} bytes remain`, at);
    }
    return n;
  }

  name(what: string): string {
    const at = this.pos;
    const length = this.u32(`${what} length`);
    if (length > this.remaining) this.fail(`${what} claims ${length} bytes but only ${this.remaining} remain`, at);
    const slice = this.bytes.subarray(this.pos, this.pos + length);
    try {
      const text = utf8.decode(slice);
      this.pos += length;
      return text;
    } catch {
      return this.fail(`${what} is not valid UTF-8`, at);
    }
  }
}

/** Describes the first bytes of something that is not a Wasm binary, so the message says what it is. */
function describeNonWasm(bytes: Uint8Array): string {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    return 'this is a gzip stream (magic bytes 1f 8b), not a WebAssembly binary: decompress it and publish the .wasm file';
  }
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return 'this is a zip archive (magic bytes "PK"), not a WebAssembly binary';
  const head = bytes.subarray(0, Math.min(bytes.length, 512));
  const printable = head.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b !== 0x7f));
  if (printable) {
    const text = new TextDecoder('utf-8').decode(head).trimStart();
    if (text.startsWith('(module') || text.startsWith('(component')) {
      return 'this is WebAssembly text (.wat), not a binary: compile it with wat2wasm or wasm-tools first';
    }
    return 'this looks like a text file, not a WebAssembly binary (which starts with the bytes 00 61 73 6d)';
  }
  const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return `not a WebAssembly binary: expected the magic bytes 00 61 73 6d ("\\0asm"), found ${hex}`;
}

function readHeader(bytes: Uint8Array): WasmHeader {
  if (bytes.length === 0) {
    throw new WasmParseError('the file is empty: a WebAssembly binary starts with an 8-byte header (offset 0)', 0);
  }
  const magicLength = Math.min(bytes.length, 4);
  for (let i = 0; i < magicLength; i++) {
    if (bytes[i] !== WASM_MAGIC[i]) throw new WasmParseError(`${describeNonWasm(bytes)} (offset 0)`, 0);
  }
  if (bytes.length < 8) {
    throw new WasmParseError(
      `truncated header: the file ends after ${bytes.length} bytes, inside the 8-byte header (offset ${bytes.length})`,
      bytes.length,
    );
  }
  const version = bytes[4]! | (bytes[5]! << 8);
  const layer = bytes[6]! | (bytes[7]! << 8);
  if (layer === COMPONENT_LAYER) return { kind: 'component', version, layer };
  if (layer !== 0 || version !== CORE_VERSION) {
    throw new WasmParseError(
      `unknown binary version ${version} (layer ${layer}) at offset 4: core modules have version 1 and layer 0, components layer 1`,
      4,
    );
  }
  return { kind: 'module', version, layer };
}

function emptyModule(size: number): ParsedModule {
  return {
    size,
    header: null,
    sections: [],
    types: [],
    imports: [],
    functionTypeIndices: [],
    tables: [],
    memories: [],
    globalCount: 0,
    exports: [],
    startFunction: null,
    customSections: [],
    producers: null,
    targetFeatures: null,
    hasNameSection: false,
    warnings: [],
    error: null,
  };
}

/** Reads the header and every section it can. Never throws. */
export function parseWasm(bytes: Uint8Array): ParsedModule {
  const module = emptyModule(bytes.length);
  try {
    module.header = readHeader(bytes);
  } catch (error) {
    module.error = toParseError(error, true);
    // An unknown version still has a readable header worth reporting.
    if (bytes.length >= 8 && WASM_MAGIC.every((b, i) => bytes[i] === b)) {
      module.header = { kind: 'module', version: bytes[4]! | (bytes[5]! << 8), layer: bytes[6]! | (bytes[7]! << 8) };
    }
    return module;
  }
  const names = module.header.kind === 'component' ? COMPONENT_SECTION_NAMES : CORE_SECTION_NAMES;
  const top = new Reader(bytes, 8, bytes.length, '');
  while (top.pos < top.end) {
    const offset = top.pos;
    let section: SectionInfo;
    try {
      const id = top.byte('section id');
      const sectionName = names[id];
      if (sectionName === undefined) top.fail(`unknown section id ${id}`, offset);
      const size = top.u32(`size of the ${sectionName} section`);
      if (size > top.remaining) {
        top.fail(
          `the ${sectionName} section (id ${id}) claims ${size} bytes but only ${top.remaining} remain in the file`,
          offset,
        );
      }
      section = { id, name: sectionName, offset, payloadOffset: top.pos, size };
      top.pos += size;
    } catch (error) {
      module.error ??= toParseError(error, true);
      return module;
    }
    module.sections.push(section);
    try {
      if (section.id === 0) readCustomSection(bytes, section, module);
      else if (module.header.kind === 'module') readCoreSection(bytes, section, module);
    } catch (error) {
      // The section's extent is known, so the following sections can still be read.
      module.error ??= toParseError(error, false);
    }
  }
  return module;
}

function toParseError(error: unknown, framing: boolean): ParseError {
  if (error instanceof WasmParseError) return { message: error.message, offset: error.offset, framing };
  throw error;
}

function readCoreSection(bytes: Uint8Array, section: SectionInfo, module: ParsedModule): void {
  const r = new Reader(bytes, section.payloadOffset, section.payloadOffset + section.size, `${section.name} section`);
  switch (section.id) {
    case 1:
      readTypes(r, module);
      break;
    case 2:
      readImports(r, module);
      break;
    case 3: {
      const n = r.count('function');
      for (let i = 0; i < n; i++) module.functionTypeIndices.push(r.u32('type index'));
      break;
    }
    case 4: {
      const n = r.count('table', 3);
      for (let i = 0; i < n; i++) module.tables.push(readTableEntry(r));
      break;
    }
    case 5: {
      const n = r.count('memory', 2);
      for (let i = 0; i < n; i++) module.memories.push(readLimits(r, 'memory'));
      break;
    }
    case 6:
      // Globals are counted, not decoded: the report does not describe them and V8 checks their initialisers.
      module.globalCount = r.count('global', 3);
      return;
    case 7:
      readExports(r, module);
      break;
    case 8:
      module.startFunction = r.u32('start function index');
      break;
    default:
      // element, code, data, datacount, tag: V8 validates them; their extent is all that matters here.
      return;
  }
  if (r.pos !== r.end) {
    r.fail(`the section declares ${section.size} bytes but its contents end after ${r.pos - section.payloadOffset}`);
  }
}

function readTypes(r: Reader, module: ParsedModule): void {
  const n = r.count('type', 1);
  for (let i = 0; i < n; i++) {
    const form = r.byte('type form');
    if (form === 0x4e) {
      // rec group (GC proposal): a vector of subtypes.
      const m = r.count('rec group', 1);
      for (let j = 0; j < m; j++) module.types.push(readSubType(r, r.byte('type form')));
    } else {
      module.types.push(readSubType(r, form));
    }
  }
}

function readSubType(r: Reader, form: number): FuncType | null {
  if (form === 0x50 || form === 0x4f) {
    const supers = r.count('supertype', 1);
    for (let i = 0; i < supers; i++) r.u32('supertype index');
    form = r.byte('type form');
  }
  switch (form) {
    case 0x60: {
      const params = readValTypes(r, 'parameter');
      const results = readValTypes(r, 'result');
      return { params, results };
    }
    case 0x5f: {
      const fields = r.count('struct field', 2);
      for (let i = 0; i < fields; i++) readFieldType(r);
      return null;
    }
    case 0x5e:
      readFieldType(r);
      return null;
    default:
      return r.fail(`unknown type form 0x${form.toString(16)}`, r.pos - 1);
  }
}

function readFieldType(r: Reader): void {
  const storage = r.byte('storage type');
  if (storage !== 0x78 && storage !== 0x77) readValTypeAfter(r, storage);
  const mut = r.byte('field mutability');
  if (mut > 1) r.fail(`invalid mutability ${mut}`, r.pos - 1);
}

function readValTypes(r: Reader, what: string): string[] {
  const n = r.count(what, 1);
  const types: string[] = [];
  for (let i = 0; i < n; i++) types.push(readValTypeAfter(r, r.byte(`${what} type`)));
  return types;
}

const NUMERIC_TYPES: Record<number, string> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128' };

const ABSTRACT_HEAP_TYPES: Record<number, string> = {
  0x70: 'func', 0x6f: 'extern', 0x6e: 'any', 0x6d: 'eq', 0x6c: 'i31', 0x6b: 'struct', 0x6a: 'array',
  0x69: 'exn', 0x71: 'none', 0x72: 'noextern', 0x73: 'nofunc', 0x74: 'noexn',
};

/** A value type whose first byte has been read. */
function readValTypeAfter(r: Reader, first: number): string {
  const numeric = NUMERIC_TYPES[first];
  if (numeric) return numeric;
  return readRefTypeAfter(r, first);
}

/** A reference type whose first byte has been read: funcref, externref, the GC abbreviations, or (ref null? ht). */
function readRefTypeAfter(r: Reader, first: number): string {
  const abbreviated = ABSTRACT_HEAP_TYPES[first];
  if (abbreviated) return `${abbreviated}ref`;
  if (first === 0x63 || first === 0x64) {
    const heap = readHeapType(r);
    return first === 0x63 ? `(ref null ${heap})` : `(ref ${heap})`;
  }
  return r.fail(`unknown value type 0x${first.toString(16)}`, r.pos - 1);
}

function readHeapType(r: Reader): string {
  const at = r.pos;
  const value = r.s33('heap type');
  if (value >= 0) return String(value);
  // Negative values are the one-byte abstract heap types.
  const byte = value + 0x80;
  const name = ABSTRACT_HEAP_TYPES[byte];
  if (!name) r.fail(`unknown heap type ${value}`, at);
  return name!;
}

function readLimits(r: Reader, what: 'memory' | 'table'): Limits {
  const at = r.pos;
  const flags = r.byte(`${what} limits flags`);
  // bit 0: has maximum, bit 1: shared, bit 2: 64-bit index, bit 3: custom page size.
  if (flags > 0x0f || (what === 'table' && (flags & 0x0a) !== 0)) r.fail(`invalid ${what} limits flags 0x${flags.toString(16)}`, at);
  const memory64 = (flags & 0x04) !== 0;
  const read = memory64 ? () => r.u64(`${what} limit`) : () => r.u32(`${what} limit`);
  const initial = read();
  const maximum = flags & 0x01 ? read() : null;
  const pageSizeLog2 = flags & 0x08 ? r.u32('page size') : null;
  return { initial, maximum, shared: (flags & 0x02) !== 0, memory64, pageSizeLog2 };
}

function readTableType(r: Reader): TableType {
  const elementType = readRefTypeAfter(r, r.byte('table element type'));
  return { elementType, limits: readLimits(r, 'table') };
}

function readTableEntry(r: Reader): TableType {
  // 0x40 0x00: a table with an explicit initialiser expression (function-references proposal).
  if (r.peek() === 0x40) {
    r.byte('table prefix');
    const zero = r.byte('table prefix');
    if (zero !== 0) r.fail(`invalid table encoding 0x40 0x${zero.toString(16)}`, r.pos - 1);
    const table = readTableType(r);
    skipConstExpr(r);
    return table;
  }
  return readTableType(r);
}

/**
 * Skips a constant expression up to its `end`. Only the opcodes allowed in
 * constant expressions (MVP, extended-const, GC) are known; anything else is
 * reported rather than guessed.
 */
function skipConstExpr(r: Reader): void {
  for (;;) {
    const at = r.pos;
    const op = r.byte('constant expression');
    switch (op) {
      case 0x0b:
        return;
      case 0x41:
        r.skipSigned(5, 'i32.const');
        break;
      case 0x42:
        r.skipSigned(10, 'i64.const');
        break;
      case 0x43:
        r.skip(4, 'f32.const');
        break;
      case 0x44:
        r.skip(8, 'f64.const');
        break;
      case 0x23:
      case 0xd2:
        r.u32('index');
        break;
      case 0xd0:
        readHeapType(r);
        break;
      case 0x6a: case 0x6b: case 0x6c: case 0x7c: case 0x7d: case 0x7e:
        break;
      case 0xfb: {
        const sub = r.u32('GC opcode');
        if (sub === 0 || sub === 1 || sub === 6 || sub === 7) r.u32('type index');
        else if (sub === 8) {
          r.u32('type index');
          r.u32('element count');
        } else if (sub < 26 || sub > 28) r.fail(`unsupported opcode 0xfb ${sub} in a constant expression`, at);
        break;
      }
      case 0xfd:
        if (r.u32('SIMD opcode') !== 12) r.fail('unsupported SIMD opcode in a constant expression', at);
        r.skip(16, 'v128.const');
        break;
      default:
        r.fail(`unsupported opcode 0x${op.toString(16)} in a constant expression`, at);
    }
  }
}

function readImports(r: Reader, module: ParsedModule): void {
  // Smallest entry: two empty names, a kind byte and a one-byte index.
  const n = r.count('import', 4);
  for (let i = 0; i < n; i++) {
    const offset = r.pos;
    const moduleName = r.name('import module name');
    const name = r.name('import name');
    const kindAt = r.pos;
    const kindByte = r.byte('import kind');
    const entry: ParsedImport = { module: moduleName, name, kind: 'function', offset, typeIndex: null, table: null, memory: null };
    switch (kindByte) {
      case 0x00:
        entry.typeIndex = r.u32('function type index');
        break;
      case 0x01:
        entry.kind = 'table';
        entry.table = readTableType(r);
        break;
      case 0x02:
        entry.kind = 'memory';
        entry.memory = readLimits(r, 'memory');
        break;
      case 0x03:
        entry.kind = 'global';
        readValTypeAfter(r, r.byte('global type'));
        if (r.byte('global mutability') > 1) r.fail('invalid global mutability', r.pos - 1);
        break;
      case 0x04: {
        entry.kind = 'tag';
        const attribute = r.byte('tag attribute');
        if (attribute !== 0) r.fail(`invalid tag attribute ${attribute}`, r.pos - 1);
        entry.typeIndex = r.u32('tag type index');
        break;
      }
      default:
        r.fail(`unknown import kind 0x${kindByte.toString(16)} for ${inMessage(moduleName)}.${inMessage(name)}`, kindAt);
    }
    module.imports.push(entry);
  }
}

function readExports(r: Reader, module: ParsedModule): void {
  const n = r.count('export', 3);
  for (let i = 0; i < n; i++) {
    const offset = r.pos;
    const name = r.name('export name');
    const kindAt = r.pos;
    const kindByte = r.byte('export kind');
    const kind = KIND_BY_BYTE[kindByte];
    if (!kind) r.fail(`unknown export kind 0x${kindByte.toString(16)} for "${inMessage(name)}"`, kindAt);
    module.exports.push({ name, kind: kind!, index: r.u32('export index'), offset });
  }
}

/**
 * Custom sections never make a module invalid, so a malformed one becomes a
 * warning; only its name is needed to list it.
 */
function readCustomSection(bytes: Uint8Array, section: SectionInfo, module: ParsedModule): void {
  const r = new Reader(bytes, section.payloadOffset, section.payloadOffset + section.size, 'custom section');
  let name: string;
  try {
    name = r.name('custom section name');
  } catch (error) {
    if (!(error instanceof WasmParseError)) throw error;
    module.warnings.push({
      code: 'malformed_custom_section',
      message: `A custom section has an unreadable name: ${error.message}`,
      offset: section.offset,
    });
    module.customSections.push({ name: '', size: section.size, offset: section.offset });
    return;
  }
  section.name = name;
  module.customSections.push({ name, size: section.size, offset: section.offset });
  const body = new Reader(bytes, r.pos, r.end, `"${inMessage(name)}" custom section`);
  try {
    if (name === 'name') module.hasNameSection = true;
    else if (name === 'producers' && module.producers === null) module.producers = readProducers(body);
    else if (name === 'target_features' && module.targetFeatures === null) module.targetFeatures = readTargetFeatures(body);
  } catch (error) {
    if (!(error instanceof WasmParseError)) throw error;
    module.warnings.push({
      code: 'malformed_custom_section',
      message: `The "${inMessage(name)}" custom section is malformed and was ignored: ${error.message}`,
      offset: section.offset,
    });
  }
}

const PRODUCER_FIELDS: Record<string, keyof Producers> = {
  language: 'language',
  'processed-by': 'processedBy',
  sdk: 'sdk',
};

/** https://github.com/WebAssembly/tool-conventions/blob/main/ProducersSection.md */
function readProducers(r: Reader): Producers {
  const producers: Producers = { language: [], processedBy: [], sdk: [] };
  const fields = r.count('producers field', 2);
  for (let i = 0; i < fields; i++) {
    const fieldAt = r.pos;
    const fieldName = r.name('field name');
    const key = PRODUCER_FIELDS[fieldName];
    if (!key) r.fail(`unknown producers field "${inMessage(fieldName)}"`, fieldAt);
    const values = r.count(`"${fieldName}" value`, 2);
    const list: ProducerValue[] = producers[key!];
    for (let j = 0; j < values; j++) {
      const name = r.name('producer name');
      const version = r.name('producer version');
      list.push({ name, version });
    }
  }
  if (r.pos !== r.end) r.fail(`${r.end - r.pos} unexpected bytes after the last field`);
  return producers;
}

/** https://github.com/WebAssembly/tool-conventions/blob/main/Linking.md#target-features-section */
function readTargetFeatures(r: Reader): TargetFeature[] {
  const features: TargetFeature[] = [];
  const n = r.count('feature', 2);
  for (let i = 0; i < n; i++) {
    const at = r.pos;
    const prefix = String.fromCharCode(r.byte('feature prefix'));
    if (prefix !== '+' && prefix !== '-' && prefix !== '=') r.fail(`invalid feature prefix "${prefix}"`, at);
    features.push({ prefix, name: r.name('feature name') });
  }
  if (r.pos !== r.end) r.fail(`${r.end - r.pos} unexpected bytes after the last feature`);
  return features;
}

/** Encodes an unsigned LEB128; exported for tests and fixtures that build sections by hand. */
export function encodeUnsignedLeb128(value: number): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest !== 0);
  return Uint8Array.from(bytes);
}
