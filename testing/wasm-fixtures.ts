import wabtFactory from 'wabt';
import { encodeUnsignedLeb128 } from '../libs/analysis/index.js';

const leb128 = (value: number): Buffer => Buffer.from(encodeUnsignedLeb128(value));

/**
 * Test modules compiled from WebAssembly text by wabt (the npm build of the
 * WebAssembly Binary Toolkit), plus the malformed inputs publishing must refuse.
 */

type Wabt = Awaited<ReturnType<typeof wabtFactory>>;
let wabt: Promise<Wabt> | null = null;

/** Post-MVP proposals the fixtures use (tags, memory64, shared memory …). */
const FEATURES = {
  bulk_memory: true,
  mutable_globals: true,
  sign_extension: true,
  exceptions: true,
  memory64: true,
  threads: true,
  reference_types: true,
  multi_value: true,
};

export interface CompileOptions {
  name?: string;
  /** Type-check the module (default); off for modules that decode but are invalid. */
  validate?: boolean;
  /** Keep the `name` custom section. */
  names?: boolean;
}

/** The one place where WebAssembly text becomes a binary, through npm wabt. */
export async function compileWat(source: string, options: CompileOptions | string = {}): Promise<Buffer> {
  const { name = 'fixture.wat', validate = true, names = false } = typeof options === 'string' ? { name: options } : options;
  wabt ??= wabtFactory();
  const module = (await wabt).parseWat(name, source, FEATURES);
  try {
    if (validate) module.validate();
    else module.resolveNames();
    return Buffer.from(module.toBinary({ log: false, write_debug_names: names }).buffer);
  } finally {
    module.destroy();
  }
}

/**
 * A small filter in the shape of a Proxy-Wasm plugin (ABI 0.2.1): an HTTP filter, or a network (TCP)
 * filter with connection and downstream-data callbacks and no HTTP ones. `tag` changes the bytes.
 */
export function proxyWasmFilterWat(tag = 'v1', chain: 'http' | 'network' = 'http'): string {
  const logTag = `(drop (call $log (i32.const 2) (i32.const 16) (i32.const ${Math.min(tag.length, 32)})))`;
  const callbacks =
    chain === 'http'
      ? `(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    ${logTag}
    (i32.const 0))`
      : `(func (export "proxy_on_new_connection") (param i32) (result i32) (i32.const 0))
  (func (export "proxy_on_downstream_data") (param i32 i32 i32) (result i32)
    ${logTag}
    (i32.const 0))`;
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
  ${callbacks}
)`;
}

export async function proxyWasmFilter(tag = 'v1', chain: 'http' | 'network' = 'http'): Promise<Buffer> {
  return compileWat(proxyWasmFilterWat(tag, chain), `${chain === 'http' ? 'filter' : 'network'}-${tag}.wat`);
}

/** The filter above importing a host function no host has (env.proxy_made_up): the analysis rejects it. */
export async function rejectedFilter(tag = 'rejected'): Promise<Buffer> {
  const wat = proxyWasmFilterWat(tag).replace('(memory', '(import "env" "proxy_made_up" (func (param i32) (result i32)))\n  (memory');
  return compileWat(wat, `rejected-${tag}.wat`);
}

/**
 * A valid module of exactly `size` bytes: a compiled filter followed by a
 * custom section that pads it (custom sections are valid anywhere after the header).
 */
export async function paddedModule(size: number, tag = 'padded'): Promise<Buffer> {
  const { head, fillerLength } = await paddedModuleLayout(size, tag);
  return Buffer.concat([head, Buffer.alloc(fillerLength, PADDING_BYTE)]);
}

export const PADDING_BYTE = 0x5a;

/**
 * The bytes of paddedModule(size, tag) as a head (module and section header)
 * followed by `fillerLength` bytes of PADDING_BYTE, so that a caller can stream
 * a large module without holding it.
 */
export async function paddedModuleLayout(size: number, tag = 'padded'): Promise<{ head: Buffer; fillerLength: number }> {
  const base = await proxyWasmFilter(tag);
  const name = Buffer.from('padding');
  // section = id(0) + leb(payloadLength) + leb(name.length) + name + filler
  for (let lebBytes = 1; lebBytes <= 5; lebBytes++) {
    const payloadLength = size - base.length - 1 - lebBytes;
    const fillerLength = payloadLength - 1 - name.length;
    if (fillerLength < 0) throw new Error(`cannot pad a ${base.length}-byte module to ${size} bytes`);
    const leb = leb128(payloadLength);
    if (leb.length !== lebBytes) continue;
    return { head: Buffer.concat([base, Buffer.from([0]), leb, Buffer.from([name.length]), name]), fillerLength };
  }
  throw new Error(`cannot pad to ${size} bytes`);
}

/**
 * A valid module with `count` tiny functions (each returns 42), written byte
 * by byte: V8 must validate every body, so it is slow to analyse for its size.
 * V8 accepts at most 1,000,000 functions.
 */
export function manyFunctionsModule(count: number): Buffer {
  const section = (id: number, payload: Buffer): Buffer => Buffer.concat([Buffer.from([id]), leb128(payload.length), payload]);
  const countLeb = leb128(count);
  const types = section(1, Buffer.from([0x01, 0x60, 0x00, 0x01, 0x7f]));
  const functions = section(3, Buffer.concat([countLeb, Buffer.alloc(count, 0x00)]));
  // body: size 4, no locals, i32.const 42, end
  const body = Buffer.from([0x04, 0x00, 0x41, 0x2a, 0x0b]);
  const code = section(10, Buffer.concat([countLeb, Buffer.alloc(count * body.length).fill(body)]));
  const memory = section(5, Buffer.from([0x01, 0x00, 0x01]));
  const exportName = Buffer.from('memory');
  const exports = section(7, Buffer.concat([Buffer.from([0x01, exportName.length]), exportName, Buffer.from([0x02, 0x00])]));
  return Buffer.concat([Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]), types, functions, memory, exports, code]);
}


/** Inputs that are not WebAssembly binaries, with what makes each wrong. */
export const MALFORMED_MODULES: Readonly<Record<string, Buffer>> = {
  'a text file': Buffer.from('this is not a WebAssembly module\n'),
  'an empty body': Buffer.alloc(0),
  'a truncated header': Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01]),
  'an unknown binary version': Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00]),
  'a gzip stream': Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]),
};
