/**
 * Generates code-heavy Proxy-Wasm modules of a given size for
 * bench/analysis.ts: what the analyser and V8 face with a real plugin built by
 * a C++, Rust or Go toolchain, rather than a small filter padded with a
 * custom section (which V8 skips in one step).
 *
 * The module is a valid HTTP filter (ABI 0.2.1: marker, allocator, memory,
 * callbacks, one proxy_log import), so the registry's policy makes it ready.
 * Around it, ~92 % of the bytes are a code section of many functions, the
 * rest a data segment (read-only data, as compilers emit). Each function has
 * i32 and i64 locals and a body of nested statements: arithmetic and
 * comparison trees, loads and stores, direct calls to nearby functions,
 * call_indirect through a table, if/else, counted loops and br_table
 * switches. Each body is filled with statements up to a log-normal target
 * (median 200 bytes, 30 B to 16 KiB); the last statement overshoots, so bodies
 * average ~410 bytes and a 30 MiB module has ~70 000 functions, well under
 * V8's cap of 1,000,000. (Real compiled modules: 300-1 200 bytes a function,
 * 70-95 % code; see bench/RESULTS.md.) Calls go only to functions at or
 * before the caller, so that every callee exists whatever the final count.
 *
 * Deterministic: the same (size, seed) gives the same bytes; another seed
 * gives another module of about the same shape.
 */

const MAGIC = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const I32 = 0x7f;
const I64 = 0x7e;
const FUNCREF = 0x70;
const EMPTY = 0x40;

/** Type indices. */
const T_I32_I32__I32 = 0; // most generated functions
const T_I32_I64__I64 = 1; // every fifth generated function
const T_VOID = 2; // proxy_abi_version_0_2_1
const T_I32__I32 = 3; // proxy_on_memory_allocate
const T_I32_I32__VOID = 4; // proxy_on_context_create
const T_I32_I32_I32__I32 = 5; // proxy_log, proxy_on_request_headers

/** Function indices: the import first, then the ABI exports, then the generated functions. */
const F_PROXY_LOG = 0;
const FIXED_FUNCTIONS = 4; // marker, allocator, context_create, request_headers
const FIRST_GENERATED = 1 + FIXED_FUNCTIONS;

/** Of the generated functions (index relative to FIRST_GENERATED), which have the i64 signature. */
const isI64Function = (relative: number): boolean => relative % 5 === 4;

const DATA_SHARE = 0.08;
const DATA_OFFSET = 1024;
const TABLE_SIZE_MAX = 4096;

/** A growable byte buffer. */
class Writer {
  bytes: Uint8Array;
  length = 0;
  constructor(capacity = 1024) {
    this.bytes = new Uint8Array(capacity);
  }
  private grow(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    let capacity = this.bytes.length * 2;
    while (capacity < this.length + extra) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }
  byte(b: number): void {
    this.grow(1);
    this.bytes[this.length++] = b;
  }
  bytesOf(list: ArrayLike<number>): void {
    this.grow(list.length);
    this.bytes.set(list, this.length);
    this.length += list.length;
  }
  u32(value: number): void {
    do {
      let b = value & 0x7f;
      value >>>= 7;
      if (value !== 0) b |= 0x80;
      this.byte(b);
    } while (value !== 0);
  }
  /** Signed LEB128 of a value within ±2^31 (also used for i64.const, whose values here are small). */
  s32(value: number): void {
    for (;;) {
      const b = value & 0x7f;
      value >>= 7;
      const done = (value === 0 && (b & 0x40) === 0) || (value === -1 && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return;
    }
  }
  name(text: string): void {
    const encoded = Buffer.from(text);
    this.u32(encoded.length);
    this.bytesOf(encoded);
  }
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

/** xorshift32: fast, deterministic, good enough to vary code shapes. */
class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 0x1_0000_0000;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  /** Standard normal (Box-Muller). */
  normal(): number {
    return Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next());
  }
}

function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

// Opcodes.
const OP = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, brIf: 0x0d, brTable: 0x0e,
  call: 0x10, callIndirect: 0x11, drop: 0x1a, select: 0x1b,
  localGet: 0x20, localSet: 0x21, localTee: 0x22, globalGet: 0x23, globalSet: 0x24,
  i32Load: 0x28, i64Load: 0x29, i32Load8u: 0x2d, i32Load16u: 0x2f, i32Store: 0x36, i64Store: 0x37, i32Store8: 0x3a,
  i32Const: 0x41, i64Const: 0x42,
  i32Eqz: 0x45, i64Eqz: 0x50, i32Clz: 0x67, i32Ctz: 0x68, i32Popcnt: 0x69,
  i32WrapI64: 0xa7, i64ExtendI32s: 0xac, i64ExtendI32u: 0xad,
} as const;
const I32_BINARY = [0x6a, 0x6b, 0x6c, 0x6e, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78]; // add … rotr
const I32_COMPARE = [0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f]; // eq … ge_u
const I64_BINARY = [0x7c, 0x7d, 0x7e, 0x80, 0x83, 0x84, 0x85, 0x86, 0x88, 0x89]; // add sub mul div_u and or xor shl shr_u rotl
const I64_COMPARE = [0x51, 0x52, 0x54, 0x56, 0x58]; // eq ne lt_u gt_u le_u

/** Writes one function body (locals and code, without its size prefix). */
class BodyWriter {
  private readonly w: Writer;
  private readonly rng: Random;
  private readonly tableSize: number;
  private self = 0;
  private i32Locals: number[] = [];
  private i64Locals: number[] = [];
  private loopCounter = 0;

  constructor(w: Writer, rng: Random, tableSize: number) {
    this.w = w;
    this.rng = rng;
    this.tableSize = tableSize;
  }

  /** Body of generated function `relative`, aiming at `target` bytes. */
  body(relative: number, target: number): void {
    const { w } = this;
    this.self = relative;
    const i64 = isI64Function(relative);
    // params: 0 (i32), 1 (i32 or i64); locals: 2-5 i32, 6-7 i64.
    this.i32Locals = i64 ? [0, 2, 3, 4, 5] : [0, 1, 2, 3, 4, 5];
    this.i64Locals = i64 ? [1, 6, 7] : [6, 7];
    this.loopCounter = 5;
    const start = w.length;
    w.bytesOf([0x02, 0x04, I32, 0x02, I64]);
    while (w.length - start < target) this.statement(0);
    if (i64) this.i64Expr(2);
    else this.i32Expr(2);
    w.byte(OP.end);
  }

  private local(list: readonly number[]): number {
    return this.rng.pick(list);
  }

  private memarg(align: number): void {
    this.w.byte(align);
    this.w.u32(this.rng.int(4) === 0 ? 0 : this.rng.int(64) * 4);
  }

  private address(): void {
    // (i32.and <expr> 0xfff0): an address inside the first pages
    this.i32Expr(1);
    this.w.byte(OP.i32Const);
    this.w.s32(0xfff0);
    this.w.byte(0x71);
  }

  private i32Expr(depth: number): void {
    const { w, rng } = this;
    if (depth <= 0 || rng.next() < 0.25) {
      const r = rng.int(10);
      if (r < 6) {
        w.byte(OP.localGet);
        w.u32(this.local(this.i32Locals));
      } else if (r < 9) {
        w.byte(OP.i32Const);
        w.s32(rng.int(4) === 0 ? rng.int(0x7fffffff) - 0x3fffffff : rng.int(256));
      } else {
        w.byte(OP.globalGet);
        w.u32(0);
      }
      return;
    }
    const r = rng.int(20);
    if (r < 8) {
      this.i32Expr(depth - 1);
      this.i32Expr(depth - 1);
      w.byte(rng.pick(I32_BINARY));
    } else if (r < 10) {
      this.i32Expr(depth - 1);
      this.i32Expr(depth - 1);
      w.byte(rng.pick(I32_COMPARE));
    } else if (r < 11) {
      this.i32Expr(depth - 1);
      w.byte(rng.pick([OP.i32Eqz, OP.i32Clz, OP.i32Ctz, OP.i32Popcnt]));
    } else if (r < 14) {
      this.address();
      const load = rng.pick([OP.i32Load, OP.i32Load, OP.i32Load8u, OP.i32Load16u]);
      w.byte(load);
      this.memarg(load === OP.i32Load ? 2 : load === OP.i32Load16u ? 1 : 0);
    } else if (r < 15) {
      this.i64Expr(depth - 1);
      w.byte(OP.i32WrapI64);
    } else if (r < 16) {
      this.i64Expr(depth - 1);
      this.i64Expr(depth - 1);
      w.byte(rng.pick(I64_COMPARE));
    } else if (r < 18) {
      this.i32Expr(depth - 1);
      w.byte(OP.localTee);
      w.u32(this.local(this.i32Locals));
    } else {
      this.i32Expr(depth - 1);
      this.i32Expr(depth - 1);
      this.i32Expr(depth - 1);
      w.byte(OP.select);
    }
  }

  private i64Expr(depth: number): void {
    const { w, rng } = this;
    if (depth <= 0 || rng.next() < 0.25) {
      const r = rng.int(10);
      if (r < 5) {
        w.byte(OP.localGet);
        w.u32(this.local(this.i64Locals));
      } else if (r < 8) {
        w.byte(OP.i64Const);
        w.s32(rng.int(0x7fffffff) - 0x3fffffff);
      } else {
        w.byte(OP.localGet);
        w.u32(this.local(this.i32Locals));
        w.byte(rng.pick([OP.i64ExtendI32u, OP.i64ExtendI32s]));
      }
      return;
    }
    const r = rng.int(10);
    if (r < 6) {
      this.i64Expr(depth - 1);
      this.i64Expr(depth - 1);
      w.byte(rng.pick(I64_BINARY));
    } else if (r < 8) {
      this.address();
      w.byte(OP.i64Load);
      this.memarg(3);
    } else {
      this.i32Expr(depth - 1);
      w.byte(OP.i64ExtendI32u);
    }
  }

  /** A call to a generated function near this one (or to itself). */
  private call(): void {
    const { w, rng } = this;
    // Backwards only (or recursive), so that every callee exists whatever the final count.
    const callee = this.self - rng.int(Math.min(this.self, 400) + 1);
    this.i32Expr(1);
    if (isI64Function(callee)) {
      this.i64Expr(1);
      w.byte(OP.call);
      w.u32(FIRST_GENERATED + callee);
      w.byte(OP.localSet);
      w.u32(this.local(this.i64Locals));
    } else {
      this.i32Expr(1);
      w.byte(OP.call);
      w.u32(FIRST_GENERATED + callee);
      if (rng.int(3) === 0) w.byte(OP.drop);
      else {
        w.byte(OP.localSet);
        w.u32(this.local(this.i32Locals));
      }
    }
  }

  /** Leaves the stack as it found it. */
  private statement(nesting: number): void {
    const { w, rng } = this;
    const r = rng.int(nesting < 3 ? 100 : 70);
    if (r < 24) {
      this.i32Expr(3);
      w.byte(OP.localSet);
      w.u32(this.local(this.i32Locals));
    } else if (r < 34) {
      this.i64Expr(3);
      w.byte(OP.localSet);
      w.u32(this.local(this.i64Locals));
    } else if (r < 44) {
      this.address();
      if (rng.int(3) === 0) {
        this.i64Expr(2);
        w.byte(OP.i64Store);
        this.memarg(3);
      } else {
        this.i32Expr(2);
        const store = rng.int(4) === 0 ? OP.i32Store8 : OP.i32Store;
        w.byte(store);
        this.memarg(store === OP.i32Store ? 2 : 0);
      }
    } else if (r < 58) {
      this.call();
    } else if (r < 61 && this.tableSize > 0) {
      // call_indirect (type 0) through the table
      this.i32Expr(1);
      this.i32Expr(1);
      this.i32Expr(1);
      w.byte(OP.i32Const);
      w.s32(this.tableSize - 1);
      w.byte(0x71); // and: an index within the table
      w.byte(OP.callIndirect);
      w.u32(T_I32_I32__I32);
      w.byte(0x00);
      w.byte(OP.localSet);
      w.u32(this.local(this.i32Locals));
    } else if (r < 64) {
      // proxy_log(level, ptr, len)
      w.byte(OP.i32Const);
      w.s32(rng.int(6));
      this.i32Expr(1);
      this.i32Expr(1);
      w.byte(OP.call);
      w.u32(F_PROXY_LOG);
      w.byte(OP.drop);
    } else if (r < 67) {
      this.i32Expr(2);
      w.byte(OP.globalSet);
      w.u32(0);
    } else if (r < 70) {
      // early return
      this.i32Expr(2);
      w.byte(OP.if);
      w.byte(EMPTY);
      if (isI64Function(this.self)) this.i64Expr(2);
      else this.i32Expr(2);
      w.byte(0x0f); // return
      w.byte(OP.end);
    } else if (r < 82) {
      this.i32Expr(2);
      w.byte(OP.if);
      w.byte(EMPTY);
      for (let n = 1 + rng.int(3); n > 0; n--) this.statement(nesting + 1);
      if (rng.int(2) === 0) {
        w.byte(OP.else);
        for (let n = 1 + rng.int(3); n > 0; n--) this.statement(nesting + 1);
      }
      w.byte(OP.end);
    } else if (r < 94) {
      // block { loop { …; br_if 1 (exit); …; counter += 1; br_if 0 (counter < n) } }
      const counter = this.local(this.i32Locals.slice(1));
      w.bytesOf([OP.block, EMPTY, OP.loop, EMPTY]);
      for (let n = 1 + rng.int(3); n > 0; n--) this.statement(nesting + 1);
      if (rng.int(2) === 0) {
        this.i32Expr(2);
        w.byte(OP.brIf);
        w.u32(1);
      }
      w.byte(OP.localGet);
      w.u32(counter);
      w.bytesOf([OP.i32Const, 1, 0x6a, OP.localTee]);
      w.u32(counter);
      w.byte(OP.i32Const);
      w.s32(this.loopCounter + rng.int(100));
      w.byte(0x49); // lt_u
      w.bytesOf([OP.brIf, 0, OP.end, OP.end]);
    } else {
      // switch: block { block { block { br_table 0 1 2 (expr) } s } s } s
      const cases = 2 + rng.int(4);
      for (let i = 0; i <= cases; i++) w.bytesOf([OP.block, EMPTY]);
      this.i32Expr(2);
      w.byte(OP.brTable);
      w.u32(cases);
      for (let i = 0; i < cases; i++) w.u32(i);
      w.u32(cases);
      w.byte(OP.end);
      for (let i = 0; i < cases; i++) {
        this.statement(nesting + 1);
        w.byte(OP.br);
        w.u32(cases - 1 - i);
        w.byte(OP.end);
      }
    }
  }
}

export interface CodeModule {
  bytes: Buffer;
  functions: number;
  codeBytes: number;
  dataBytes: number;
}

/**
 * A valid Proxy-Wasm module of about `size` bytes (within one function body
 * of it), mostly code. Throws if V8 does not accept it.
 */
export function codeHeavyModule(size: number, tag = 'code'): CodeModule {
  const rng = new Random(seedOf(`${tag}:${size}`));
  const dataBytes = Math.floor(size * DATA_SHARE);
  // Headers, types, imports, exports, the fixed functions (~250 bytes), the function section (~1 byte a
  // function) and the element segment (~3 bytes an entry).
  const approxFunctions = (size - dataBytes) / 300; // an overestimate: bodies average ~410 bytes
  const elemBytes = Math.min(TABLE_SIZE_MAX, Math.max(1, Math.floor(approxFunctions / 8))) * 3;
  const codeBudget = Math.floor(size - dataBytes - 300 - approxFunctions * 1.1 - elemBytes);
  if (codeBudget < 1024) throw new Error(`cannot build a code-heavy module of only ${size} bytes`);

  // Bodies first: the function count follows from the budget.
  const code = new Writer(codeBudget + 64 * 1024);
  const scratch = new Writer(64 * 1024);
  // The table is sized from a rough count; its members cycle over the functions.
  const tableSize = Math.min(TABLE_SIZE_MAX, Math.max(1, Math.floor(codeBudget / 300 / 8)));
  const bodies = new BodyWriter(scratch, rng, tableSize);
  let functions = 0;
  while (code.length < codeBudget - 8) {
    const target = Math.min(16 * 1024, Math.max(30, Math.round(Math.exp(Math.log(200) + 0.9 * rng.normal()))));
    scratch.length = 0;
    bodies.body(functions, Math.min(target, Math.max(30, codeBudget - code.length - 16)));
    code.u32(scratch.length);
    code.bytesOf(scratch.view());
    functions += 1;
  }

  const out = new Writer(size + 128 * 1024);
  out.bytesOf(MAGIC);
  const section = (id: number, write: (w: Writer) => void): void => {
    const payload = new Writer(4096);
    write(payload);
    out.byte(id);
    out.u32(payload.length);
    out.bytesOf(payload.view());
  };

  section(1, (w) => {
    const types: [number[], number[]][] = [
      [[I32, I32], [I32]],
      [[I32, I64], [I64]],
      [[], []],
      [[I32], [I32]],
      [[I32, I32], []],
      [[I32, I32, I32], [I32]],
    ];
    w.u32(types.length);
    for (const [params, results] of types) {
      w.byte(0x60);
      w.u32(params.length);
      w.bytesOf(params);
      w.u32(results.length);
      w.bytesOf(results);
    }
  });
  section(2, (w) => {
    w.u32(1);
    w.name('env');
    w.name('proxy_log');
    w.byte(0x00);
    w.u32(T_I32_I32_I32__I32);
  });
  section(3, (w) => {
    w.u32(FIXED_FUNCTIONS + functions);
    w.bytesOf([T_VOID, T_I32__I32, T_I32_I32__VOID, T_I32_I32_I32__I32]);
    for (let i = 0; i < functions; i++) w.byte(isI64Function(i) ? T_I32_I64__I64 : T_I32_I32__I32);
  });
  section(4, (w) => {
    w.u32(1);
    w.byte(FUNCREF);
    w.byte(0x01); // min and max
    w.u32(tableSize);
    w.u32(tableSize);
  });
  const pages = Math.ceil((DATA_OFFSET + dataBytes) / 65536) + 16;
  section(5, (w) => {
    w.u32(1);
    w.byte(0x00);
    w.u32(pages);
  });
  section(6, (w) => {
    // $heap: mut i32 = end of data
    w.u32(1);
    w.byte(I32);
    w.byte(0x01);
    w.byte(OP.i32Const);
    w.s32(DATA_OFFSET + dataBytes);
    w.byte(OP.end);
  });
  section(7, (w) => {
    const exports: [string, number, number][] = [
      ['memory', 0x02, 0],
      ['proxy_abi_version_0_2_1', 0x00, 1],
      ['proxy_on_memory_allocate', 0x00, 2],
      ['proxy_on_context_create', 0x00, 3],
      ['proxy_on_request_headers', 0x00, 4],
    ];
    w.u32(exports.length);
    for (const [name, kind, index] of exports) {
      w.name(name);
      w.byte(kind);
      w.u32(index);
    }
  });
  section(9, (w) => {
    // active, table 0, offset 0: generated functions of type 0
    const members: number[] = [];
    for (let i = 0; members.length < tableSize; i++) if (!isI64Function(i % functions)) members.push(FIRST_GENERATED + (i % functions));
    w.u32(1);
    w.byte(0x00);
    w.bytesOf([OP.i32Const, 0x00, OP.end]);
    w.u32(members.length);
    for (const index of members) w.u32(index);
  });
  section(10, (w) => {
    w.u32(FIXED_FUNCTIONS + functions);
    // proxy_abi_version_0_2_1: nothing
    w.bytesOf([0x02, 0x00, OP.end]);
    // proxy_on_memory_allocate(size): $at = heap; heap += size; $at
    const alloc = [0x01, 0x01, I32, OP.globalGet, 0, OP.localSet, 1, OP.globalGet, 0, OP.localGet, 0, 0x6a, OP.globalSet, 0, OP.localGet, 1, OP.end];
    w.u32(alloc.length);
    w.bytesOf(alloc);
    // proxy_on_context_create(ctx, parent): nothing
    w.bytesOf([0x02, 0x00, OP.end]);
    // proxy_on_request_headers(ctx, headers, eos): call the first generated function, return 0
    const headers = [0x00, OP.localGet, 0, OP.localGet, 1, OP.call, FIRST_GENERATED, OP.drop, OP.i32Const, 0, OP.end];
    w.u32(headers.length);
    w.bytesOf(headers);
    w.bytesOf(code.view());
  });
  section(11, (w) => {
    // read-only data: strings and tables, as a compiler lays them out
    w.u32(1);
    w.byte(0x00);
    w.byte(OP.i32Const);
    w.s32(DATA_OFFSET);
    w.byte(OP.end);
    w.u32(dataBytes);
    const words = ['proxy', 'header', ':authority', 'x-request-id', 'content-type', 'application/json', 'failed to parse', 'jwt', 'claims', 'upstream'];
    let written = 0;
    while (written < dataBytes) {
      const chunk = rng.int(4) === 0 ? Buffer.from(Array.from({ length: 16 }, () => rng.int(256))) : Buffer.from(`${rng.pick(words)}\0`);
      const part = chunk.subarray(0, dataBytes - written);
      w.bytesOf(part);
      written += part.length;
    }
  });

  const bytes = Buffer.from(out.view());
  if (!WebAssembly.validate(bytes)) {
    let reason = 'no reason given';
    try {
      new WebAssembly.Module(bytes);
    } catch (error) {
      reason = (error as Error).message;
    }
    throw new Error(`the generated ${size}-byte module is not valid WebAssembly: ${reason}`);
  }
  return { bytes, functions: FIXED_FUNCTIONS + functions, codeBytes: code.length, dataBytes };
}

/**
 * A small custom section ("bench-tag": `tag`) to append to a module: another
 * digest for the same code, so that one generated module can be published
 * many times as distinct modules. V8 validates the code all the same.
 */
export function tagSection(tag: string): Buffer {
  const section = new Writer(64);
  const payload = new Writer(64);
  payload.name('bench-tag');
  payload.bytesOf(Buffer.from(tag));
  section.byte(0x00);
  section.u32(payload.length);
  section.bytesOf(payload.view());
  return Buffer.from(section.view());
}
